from __future__ import annotations

from testing_lib.config import load_target_config
from testing_lib.fingerprint import list_files, phase_files, phase_fingerprint


def fingerprints(root) -> dict[str, str]:
    config = load_target_config(root)
    files = list_files(root)
    return {name: phase_fingerprint(config, name, files) for name in config.phases}


def test_a_phase_reads_its_tests_and_shared_files_but_not_other_phases_tests(make_target) -> None:
    root = make_target({"app/core.py": "X = 1\n", "tests/conftest.py": ""})
    config = load_target_config(root)
    files = phase_files(config, "foundation", list_files(root))
    assert "tests/unit/test_unit_math.py" in files
    assert "app/core.py" in files
    assert "tests/conftest.py" in files
    assert "tests/integration/api/test_api_ok.py" not in files
    assert len(phase_files(config, "final_validation", list_files(root))) == len(list_files(root))


def test_changing_a_core_test_keeps_foundation_and_changes_core(make_target) -> None:
    root = make_target()
    before = fingerprints(root)
    (root / "tests/integration/api/test_api_ok.py").write_text("def test_ok():\n    pass\n")
    after = fingerprints(root)
    assert after["foundation"] == before["foundation"]
    assert after["service_integration"] == before["service_integration"]
    assert after["core_infrastructure"] != before["core_infrastructure"]
    assert after["final_validation"] != before["final_validation"]


def test_changing_shared_code_or_config_changes_every_phase(make_target) -> None:
    root = make_target({"app/core.py": "X = 1\n"})
    before = fingerprints(root)
    (root / "app/core.py").write_text("X = 2\n")
    assert all(before[k] != v for k, v in fingerprints(root).items())
    changed = fingerprints(root)
    (root / "pyproject.toml").write_text("[tool.remediation.phases.foundation]\nmarkers = 'x'\n")
    assert all(changed[k] != v for k, v in fingerprints(root).items())


def test_caches_and_engine_state_do_not_count(make_target) -> None:
    root = make_target()
    before = fingerprints(root)
    (root / ".remediation" / "runs").mkdir(parents=True)
    (root / ".remediation" / "runs" / "x.json").write_text("{}")
    (root / "tests" / "__pycache__").mkdir()
    (root / "tests" / "__pycache__" / "m.pyc").write_bytes(b"\0")
    assert fingerprints(root) == before
