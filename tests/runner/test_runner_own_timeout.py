"""The per-test limit holds in a target interpreter that has pytest but no pytest-timeout."""

from __future__ import annotations

import importlib.util
import textwrap
import venv
from pathlib import Path

import pytest

from testing_lib.results import TestStatus
from testing_lib.runner import probe_interpreter, run_pytest

# pytest and what it imports; nothing else of this interpreter's packages.
_PYTEST_PACKAGES = ("pytest", "_pytest", "pluggy", "iniconfig", "packaging", "pygments", "py")


@pytest.fixture(scope="module")
def python_without_pytest_timeout(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A venv that can import pytest (linked from this one) and not pytest_timeout."""
    root = tmp_path_factory.mktemp("venv-no-timeout")
    venv.EnvBuilder(with_pip=False).create(root)
    (site_packages,) = (root / "lib").glob("python3*/site-packages")
    linked = site_packages / "linked"
    linked.mkdir()
    for name in _PYTEST_PACKAGES:
        spec = importlib.util.find_spec(name)
        assert spec is not None
        assert spec.origin is not None
        origin = Path(spec.origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        (linked / source.name).symlink_to(source)
    (site_packages / "linked.pth").write_text(str(linked) + "\n")
    python = str(root / "bin" / "python")
    info = probe_interpreter(python)
    assert info.has_pytest
    assert not info.has_pytest_timeout
    return python


def _suite(root: Path, body: str) -> Path:
    root.mkdir()
    (root / "pytest.ini").write_text("[pytest]\n")
    (root / "test_hang.py").write_text(textwrap.dedent(body))
    return root


def test_a_hung_test_fails_at_its_limit_and_the_run_goes_on(
    tmp_path: Path, python_without_pytest_timeout: str
) -> None:
    root = _suite(
        tmp_path / "target",
        """
        import threading

        def test_hangs():
            threading.Event().wait()

        def test_after():
            assert True
        """,
    )

    suite = run_pytest(
        cwd=root,
        selection=["."],
        python=python_without_pytest_timeout,
        test_timeout_s=1,
        timeout_s=300,
    )

    outcomes = {r.test_name: r for r in suite.results}
    assert outcomes["test_hang.py::test_hangs"].status is TestStatus.FAILED
    assert "Timeout >1s" in (outcomes["test_hang.py::test_hangs"].error_message or "")
    assert outcomes["test_hang.py::test_after"].status is TestStatus.PASSED
    assert suite.session_finished is True
    assert not suite.timed_out


def test_a_test_that_cannot_be_interrupted_ends_the_run_and_is_named(
    tmp_path: Path, python_without_pytest_timeout: str
) -> None:
    root = _suite(
        tmp_path / "target",
        """
        import signal
        import threading

        def test_first():
            assert True

        def test_blocks_its_alarm():
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
            threading.Event().wait()

        def test_never_reached():
            assert True
        """,
    )

    suite = run_pytest(
        cwd=root,
        selection=["."],
        python=python_without_pytest_timeout,
        test_timeout_s=1,
        timeout_s=300,
    )

    assert not suite.timed_out  # ended by the per-test limit, long before the run's
    assert suite.session_finished is False
    assert suite.running_test == "test_hang.py::test_blocks_its_alarm"
    assert [r.test_name for r in suite.results] == ["test_hang.py::test_first"]
    assert "test_blocks_its_alarm did not stop" in suite.stderr_tail
