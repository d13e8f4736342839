"""Bad input: one clear line, exit 2, nothing written into the target (no Prefect needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.main import main


def snapshot(root: Path) -> set[Path]:
    return set(root.rglob("*"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--phase", "warmup"],
            "unknown phase 'warmup'; valid phases: foundation, core_infrastructure",
        ),
        (["--phase", "foundation", "--from", "foundation"], "either --phase or --from"),
        (["--from", "nowhere"], "unknown phase 'nowhere'"),
    ],
)
def test_bad_phase_options_exit_2(make_target, capsys, args: list[str], message: str) -> None:
    root = make_target()
    before = snapshot(root)
    assert main(["run", str(root), *args]) == 2
    assert message in capsys.readouterr().err.replace("\n", "")
    assert snapshot(root) == before


def test_missing_target_exits_2(tmp_path: Path, capsys) -> None:
    assert main(["run", str(tmp_path / "absent")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_target_without_config_or_tests_exits_2(tmp_path: Path, capsys) -> None:
    (tmp_path / "README.md").write_text("not a project")
    assert main(["run", str(tmp_path)]) == 2
    assert "no [tool.remediation] table" in capsys.readouterr().err.replace("\n", "")
    assert snapshot(tmp_path) == {tmp_path / "README.md"}


def test_invalid_config_value_exits_2_naming_the_key(make_target, capsys) -> None:
    root = make_target(
        pyproject="[tool.remediation.phases.foundation]\nmin_success_rate = 'most'\n"
    )
    before = snapshot(root)
    assert main(["run", str(root)]) == 2
    assert (
        "[tool.remediation.phases.foundation].min_success_rate"
        in capsys.readouterr().err.replace("\n", "")
    )
    assert snapshot(root) == before


def test_selection_leaving_the_target_is_refused(make_target, capsys) -> None:
    root = make_target(pyproject="[tool.remediation.phases.foundation]\npaths = ['../../etc']\n")
    assert main(["run", str(root)]) == 2
    assert "leaves the target" in capsys.readouterr().err.replace("\n", "")


def test_unknown_option_is_a_usage_error(make_target) -> None:
    assert main(["run", str(make_target()), "--frobnicate"]) == 2


def test_an_interpreter_that_cannot_run_pytest_exits_2_before_any_run(
    make_target, capsys, tmp_path: Path
) -> None:
    import venv

    venv.EnvBuilder(with_pip=False).create(tmp_path / "bare")
    python = str(tmp_path / "bare" / "bin" / "python")
    root = make_target()
    before = snapshot(root)
    assert main(["run", str(root), "--python", python]) == 2
    err = capsys.readouterr().err.replace("\n", "")
    assert "cannot import pytest: install pytest in that environment" in err
    assert snapshot(root) == before
