"""What a target interpreter can run: its Python version and the pytest plugins it can import.

Besides importability, the probe lists the plugins pytest would load on its own (the
``pytest11`` entry points: ``asyncio`` for pytest-asyncio, ``anyio`` for anyio's) and
pytest-asyncio's version: the triage's advice for async tests depends on what is there.
"""

from __future__ import annotations

import functools
import json
import logging
import subprocess
import tempfile

from pydantic import BaseModel, Field, ValidationError

from testing_lib.exceptions import RunnerError

logger = logging.getLogger(__name__)

PROBE_TIMEOUT_S = 60.0

# Runs in the target interpreter: standard library only, Python 3.9-compatible.
_PROBE_SCRIPT = """
import importlib.util, json, platform

def has(name):
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False

def version_of(distribution):
    try:
        from importlib.metadata import version
        return version(distribution)
    except Exception:  # not installed, or its metadata is unreadable
        return None

def pytest_plugins():
    try:
        from importlib.metadata import entry_points
        found = entry_points()
        group = (
            found.select(group="pytest11") if hasattr(found, "select")
            else found.get("pytest11", [])
        )
        return sorted({entry.name for entry in group})
    except Exception:  # broken metadata: no plugin is known to auto-load
        return []

pytest_version = None
pytest_import_error = None
if has("pytest"):
    try:
        import pytest
        pytest_version = str(pytest.__version__)
    except Exception as exc:  # a broken pytest install is reported, not raised
        pytest_import_error = "{}: {}".format(type(exc).__name__, exc)

print(json.dumps({
    "python_version": platform.python_version(),
    "pytest_version": pytest_version,
    "pytest_import_error": pytest_import_error,
    "has_pytest_timeout": has("pytest_timeout"),
    "has_pytest_asyncio": has("pytest_asyncio"),
    "has_pytest_xdist": has("xdist"),
    "has_testing_lib": has("testing_lib"),
    "pytest_asyncio_version": version_of("pytest-asyncio"),
    "pytest_plugins": pytest_plugins(),
}))
"""


class InterpreterInfo(BaseModel):
    """What `probe_interpreter` found in a target interpreter's environment."""

    python: str
    python_version: str
    pytest_version: str | None
    pytest_import_error: str | None = None
    has_pytest_timeout: bool
    has_pytest_asyncio: bool
    has_pytest_xdist: bool = False
    has_testing_lib: bool
    pytest_asyncio_version: str | None = None
    # names of the plugins pytest loads by itself (its `pytest11` entry points)
    pytest_plugins: list[str] = Field(default_factory=list)

    @property
    def has_pytest(self) -> bool:
        return self.pytest_version is not None

    @property
    def has_anyio_plugin(self) -> bool:
        """anyio's pytest plugin (`@pytest.mark.anyio`) registers itself with pytest."""
        return "anyio" in self.pytest_plugins


@functools.lru_cache(maxsize=32)
def probe_interpreter(python: str) -> InterpreterInfo:
    """Ask `python` (in a subprocess) which Python it is and which test packages it can import.

    The answer is cached per interpreter path for the life of this process; a failed probe
    raises `RunnerError` and is not cached. The probe runs in a scratch directory, so the
    caller's working directory does not make packages look importable.
    """
    command = [python, "-c", _PROBE_SCRIPT]
    with tempfile.TemporaryDirectory(prefix="remediation-probe-") as scratch:
        try:
            completed = subprocess.run(
                command,
                cwd=scratch,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=PROBE_TIMEOUT_S,
                check=False,
            )
        except FileNotFoundError as exc:
            raise RunnerError(
                f"Python interpreter {python!r} does not exist: set [tool.remediation] python "
                "to the target's interpreter (for example .venv/bin/python)"
            ) from exc
        except PermissionError as exc:
            raise RunnerError(
                f"Python interpreter {python!r} is not executable: set [tool.remediation] python "
                "to the target's interpreter (for example .venv/bin/python)"
            ) from exc
        except OSError as exc:
            raise RunnerError(f"Python interpreter {python!r} could not be started: {exc}") from exc
        except subprocess.TimeoutExpired as exc:
            raise RunnerError(
                f"Python interpreter {python!r} did not answer a version probe "
                f"within {PROBE_TIMEOUT_S:.0f} s"
            ) from exc

    if completed.returncode != 0:
        raise RunnerError(
            f"Python interpreter {python!r} failed a version probe (exit {completed.returncode}); "
            f"is it Python 3.9 or newer? Its output: {_tail(completed.stderr or completed.stdout)}"
        )
    lines = completed.stdout.strip().splitlines()
    try:
        info = InterpreterInfo.model_validate({**json.loads(lines[-1]), "python": python})
    except (IndexError, json.JSONDecodeError, ValidationError) as exc:
        raise RunnerError(
            f"Python interpreter {python!r} gave an unreadable probe answer: "
            f"{_tail(completed.stdout)}"
        ) from exc
    logger.debug("Probed %s: %s", python, info)
    return info


def require_pytest(python: str) -> InterpreterInfo:
    """Probe `python`; raise `RunnerError` naming the fix when it cannot run our pytest command."""
    info = probe_interpreter(python)
    if not info.has_pytest:
        why = f" ({info.pytest_import_error})" if info.pytest_import_error else ""
        raise RunnerError(
            f"Python interpreter {python} cannot import pytest{why}: install pytest in that "
            "environment or set [tool.remediation] python to an interpreter that has it"
        )
    return info


def _tail(text: str, limit: int = 1000) -> str:
    text = text.strip()
    return text if len(text) <= limit else "..." + text[-limit:]
