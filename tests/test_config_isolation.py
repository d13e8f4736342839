"""`[tool.remediation.isolation]`: what nightly isolation validation runs, and its wiring."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from flows.defaults import EXAMPLE_TARGET
from testing_lib.config.target import IsolationConfig, load_target_config
from testing_lib.exceptions import TargetConfigError
from testing_lib.fingerprint import phase_fingerprint
from testing_lib.isolation import IsolationReport
from testing_lib.selection import resolve_isolation_selection
from tests.conftest import MakeTarget

FINAL = """
[tool.remediation.phases.final_validation]
paths = ["tests"]
markers = "not slow"
pytest_args = ["--ignore=tests/planted"]
"""


def test_without_the_table_isolation_runs_what_final_validation_selects(
    make_target: MakeTarget,
) -> None:
    run = load_target_config(make_target(pyproject=FINAL)).isolation_run()

    assert (run.paths, run.markers, run.pytest_args) == (
        ["tests"],
        "not slow",
        ["--ignore=tests/planted"],
    )
    assert run.extra_args == ["-m", "not slow", "--ignore=tests/planted"]


def test_the_table_replaces_only_the_keys_it_sets(make_target: MakeTarget) -> None:
    root = make_target(pyproject=FINAL + '[tool.remediation.isolation]\npytest_args = ["-x"]\n')

    run = load_target_config(root).isolation_run()

    assert (run.paths, run.markers, run.pytest_args) == (["tests"], "not slow", ["-x"])


def test_empty_values_widen_the_selection(make_target: MakeTarget) -> None:
    root = make_target(
        pyproject=FINAL
        + '[tool.remediation.isolation]\npaths = []\nmarkers = ""\npytest_args = []\n'
    )

    run = load_target_config(root).isolation_run()

    assert (run.paths, run.markers, run.extra_args) == ([], None, [])
    assert resolve_isolation_selection(load_target_config(root)).whole_suite


def test_the_selection_splits_existing_and_missing_paths(make_target: MakeTarget) -> None:
    root = make_target(
        pyproject='[tool.remediation.isolation]\npaths = ["tests/unit", "tests/gone"]\n'
    )

    selection = resolve_isolation_selection(load_target_config(root))

    assert (selection.existing, selection.missing) == (("tests/unit",), ("tests/gone",))


@pytest.mark.parametrize(
    ("toml", "named"),
    [
        (
            "paths = ['../elsewhere']",
            "[tool.remediation.isolation].paths: Value error, selection path '../elsewhere' "
            "leaves the target",
        ),
        ("paths = ['~/tests']", "[tool.remediation.isolation].paths: Value error"),
        ("paths = 'tests'", "[tool.remediation.isolation].paths: Input should be a valid list"),
        ("markers = 3", "[tool.remediation.isolation].markers: Input should be a valid string"),
        ("pytest_args = '-x'", "[tool.remediation.isolation].pytest_args: Input should be"),
        ("orders = 8", "[tool.remediation.isolation].orders: Extra inputs are not permitted"),
    ],
)
def test_bad_values_name_the_file_and_key(make_target: MakeTarget, toml: str, named: str) -> None:
    root = make_target(pyproject=f"[tool.remediation.isolation]\n{toml}\n")

    with pytest.raises(TargetConfigError) as error:
        load_target_config(root)

    assert str(root / "pyproject.toml") in str(error.value)
    assert named in str(error.value)


def test_phase_cache_keys_do_not_depend_on_the_isolation_table(make_target: MakeTarget) -> None:
    config = load_target_config(make_target(pyproject=FINAL))
    widened = config.model_copy(update={"isolation": IsolationConfig(paths=[], pytest_args=[])})

    for phase in config.phases:
        assert phase_fingerprint(config, phase) == phase_fingerprint(widened, phase)


def test_the_example_gates_without_its_planted_tests_and_validates_them_nightly() -> None:
    config = load_target_config(EXAMPLE_TARGET)

    assert (
        "--ignore=tests/integration/order_dependent" in config.phase("final_validation").pytest_args
    )
    run = config.isolation_run()
    assert (run.paths, run.extra_args) == (["tests"], [])
    assert (EXAMPLE_TARGET / "tests/integration/order_dependent/__init__.py").is_file()


class _Recorded:
    def __init__(self) -> None:
        self.kwargs: dict[str, Any] = {}

    def __call__(self, **kwargs: Any) -> IsolationReport:
        self.kwargs = kwargs
        return IsolationReport(
            root=str(kwargs["root"]), python=kwargs["python"], seed=7, isolation_score=100
        )


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> _Recorded:
    """`validate_isolation` of the nightly flow replaced by a recorder (no Prefect run needed)."""
    import flows.nightly_isolation

    recorder = _Recorded()
    monkeypatch.setattr(flows.nightly_isolation, "validate_isolation", recorder)
    monkeypatch.setattr(
        flows.nightly_isolation, "get_run_logger", lambda: logging.getLogger("test")
    )
    return recorder


def _run_isolation(root: Path) -> None:
    from flows.nightly_isolation import run_isolation

    run_isolation.fn(load_target_config(root), orders=3, seed=7)


def test_the_nightly_task_validates_the_isolation_selection(
    make_target: MakeTarget, recorded: _Recorded
) -> None:
    root = make_target(
        pyproject=FINAL + '[tool.remediation.isolation]\npaths = ["tests/unit"]\nmarkers = ""\n'
    )

    _run_isolation(root)

    kwargs = recorded.kwargs
    assert (kwargs["selection"], kwargs["orders"], kwargs["seed"]) == (["tests/unit"], 3, 7)
    # no marker filter; pytest_args, left unset, are still final_validation's
    assert kwargs["extra_args"] == ["--ignore=tests/planted"]


def test_the_nightly_task_refuses_a_selection_that_does_not_exist(
    make_target: MakeTarget, recorded: _Recorded
) -> None:
    root = make_target(pyproject='[tool.remediation.isolation]\npaths = ["tests/nowhere"]\n')

    with pytest.raises(TargetConfigError, match=r"fix \[tool.remediation.isolation\].paths"):
        _run_isolation(root)

    assert recorded.kwargs == {}  # nothing ran
