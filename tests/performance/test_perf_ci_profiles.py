"""Each CI profile changes what it claims to, seen by tests inside the constrained run."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import pytest

from testing_lib.ci import CICDValidationResult, CICDValidator, can_create_network_namespace

pytestmark = pytest.mark.slow

MEMORY_LIMIT_MB = 1024

OBSERVERS = f"""
import os
import resource
import socket
import tempfile

import pytest


def test_sees_ci_variables():
    assert (os.environ.get("CI"), os.environ.get("TZ"), os.environ.get("LANG")) == (
        "true", "UTC", "C"
    )


def test_developer_variables_are_gone():
    assert "DEVELOPER_ONLY_SETTING" not in os.environ


def test_runs_on_one_cpu():
    assert len(os.sched_getaffinity(0)) == 1


def test_address_space_is_capped():
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    assert soft == {MEMORY_LIMIT_MB} * 1024 * 1024


def test_a_large_allocation_fails():
    with pytest.raises(MemoryError):
        bytearray(3 * {MEMORY_LIMIT_MB} * 1024 * 1024)


def test_tmpdir_is_private():
    assert "remediation-ci-" in tempfile.gettempdir()


def test_only_loopback_exists():
    assert [name for _, name in socket.if_nameindex()] == ["lo"]


def test_loopback_still_works():
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        socket.create_connection(("127.0.0.1", port), timeout=5).close()


def test_runs_in_an_xdist_worker():
    assert os.environ.get("PYTEST_XDIST_WORKER")
"""


def changed(result: CICDValidationResult) -> dict[str, tuple[str | None, str | None]]:
    return {
        c.test.split("::")[1]: (
            c.baseline.value if c.baseline else None,
            c.now.value if c.now else None,
        )
        for c in result.changed_tests
    }


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, CICDValidationResult]:
    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("needs two CPUs to show the one-CPU constraint")
    root = tmp_path_factory.mktemp("ci-target")
    (root / "pytest.ini").write_text("[pytest]\n")
    (root / "test_observers.py").write_text(textwrap.dedent(OBSERVERS))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DEVELOPER_ONLY_SETTING", "from a developer shell")
        validator = CICDValidator(root, python=sys.executable, memory_limit_mb=MEMORY_LIMIT_MB)
        return {r.environment: r for r in validator.validate_cicd_compatibility()}


FIXED = ("failed", "passed")


def test_every_profile_ran_and_the_baseline_fails_the_observers(
    results: dict[str, CICDValidationResult],
) -> None:
    assert list(results) == ["baseline", "ci", "constrained", "offline", "parallel"]
    baseline = results["baseline"]
    assert baseline.changed_tests == []
    assert baseline.passed == 1  # only the loopback test holds without a constraint
    assert baseline.execution_time_ms > 0


def test_the_ci_profile_sets_ci_variables_and_scrubs_the_rest(
    results: dict[str, CICDValidationResult],
) -> None:
    ci = results["ci"]

    assert changed(ci) == {
        "test_sees_ci_variables": FIXED,
        "test_developer_variables_are_gone": FIXED,
    }
    assert ci.resource_usage["variables"]["CI"] == "true"
    assert "scrubbed" in ci.mechanisms[0]


def test_the_constrained_profile_pins_one_cpu_caps_memory_and_isolates_tmp(
    results: dict[str, CICDValidationResult],
) -> None:
    constrained = results["constrained"]

    assert changed(constrained) == {
        "test_runs_on_one_cpu": FIXED,
        "test_address_space_is_capped": FIXED,
        "test_a_large_allocation_fails": FIXED,
        "test_tmpdir_is_private": FIXED,
    }
    assert constrained.resource_usage["cpus"] == 1
    assert constrained.resource_usage["memory_limit_mb"] == MEMORY_LIMIT_MB
    assert constrained.resource_usage["peak_rss_mb"]["self"] > 0


def test_the_offline_profile_leaves_only_loopback(
    results: dict[str, CICDValidationResult],
) -> None:
    if not can_create_network_namespace():
        pytest.skip("this machine permits no network namespace; the socket guard runs instead")
    offline = results["offline"]

    assert changed(offline) == {"test_only_loopback_exists": FIXED}
    assert "network namespace" in offline.mechanisms[0]


def test_the_parallel_profile_runs_tests_in_xdist_workers(
    results: dict[str, CICDValidationResult],
) -> None:
    parallel = results["parallel"]
    if parallel.not_run_reason:
        pytest.skip(parallel.not_run_reason)

    assert changed(parallel) == {"test_runs_in_an_xdist_worker": FIXED}


def test_profiles_are_described_not_simulated(tmp_path: Path) -> None:
    spec = CICDValidator(tmp_path).simulate_cicd_environment("constrained")

    assert (spec["cpus"], spec["memory_limit_mb"], spec["private_tmp"]) == (1, 2048, True)


def _local_non_loopback_address() -> str | None:
    """This machine's address on its default route (a UDP connect sends no packet)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if address.startswith("127.") else address


def test_without_a_network_namespace_the_offline_profile_guards_the_sockets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import testing_lib.ci.ci_validator as validator_module

    address = _local_non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback address to connect to")
    monkeypatch.setattr(validator_module, "can_create_network_namespace", lambda: False)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    # A server of this machine on a non-loopback address: the baseline reaches it, with no
    # packet leaving the machine; under the guard the connect is refused before it is made.
    (tmp_path / "test_network.py").write_text(
        textwrap.dedent(
            f"""
            import socket

            import pytest

            def test_a_non_loopback_address_is_refused():
                with socket.create_server(("0.0.0.0", 0)) as server:
                    port = server.getsockname()[1]
                    with pytest.raises(ConnectionRefusedError, match="{address}"):
                        socket.create_connection(("{address}", port), timeout=5).close()

            def test_loopback_still_works():
                with socket.create_server(("127.0.0.1", 0)) as server:
                    port = server.getsockname()[1]
                    socket.create_connection(("127.0.0.1", port), timeout=5).close()
            """
        )
    )

    _baseline, offline = CICDValidator(
        tmp_path, python=sys.executable, profiles=["offline"]
    ).validate_cicd_compatibility()

    assert "socket guard" in offline.mechanisms[0]
    assert changed(offline) == {"test_a_non_loopback_address_is_refused": FIXED}
