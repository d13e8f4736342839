"""Foundation check "test organization audit": can pytest collect the suite, and is it in place?

Audits the target's tests (see `testing_lib.organizer`) and plans the standard layout without
changing anything. Problems that break collection (syntax errors, basename clashes,
missing modules, relative imports outside packages, generator tests) fail the check; files
the plan would move, and problems that silently lose tests, make it a warning. The data
holds the problems and the moves, for the phase's artifact.
"""

from __future__ import annotations

from testing_lib.checks.base import PhaseCheck
from testing_lib.config.target import TargetConfig
from testing_lib.exceptions import RunnerError
from testing_lib.organizer.audit import run_audit
from testing_lib.organizer.plan import create_plan
from testing_lib.report import CheckResult, CheckStatus

NAME = "test organization audit"
MAX_LISTED = 100


def check_test_organization(target: TargetConfig) -> CheckResult:
    try:
        audit = run_audit(target.root, python=target.python)
    except RunnerError as exc:
        return CheckResult(name=NAME, status=CheckStatus.FAILED, details=str(exc))
    report = audit.report
    plan = create_plan(audit)
    breaking = report.breaking_problems
    silent = [p for p in report.problems if not p.breaks_collection]
    moves = plan.moves
    modules = [f for f in report.files if f.kind == "test"]
    data: dict[str, object] = {
        "files": len(report.files),
        "test_modules": len(modules),
        "tests": sum(f.test_count for f in modules),
        "problems": [p.model_dump(mode="json") for p in report.problems[:MAX_LISTED]],
        "misplaced": [
            {"source": e.source, "destination": e.destination, "reason": e.reason}
            for e in moves[:MAX_LISTED]
        ],
        "duplicate_pairs": len(report.duplicates),
        "whole_file_copies": sum(1 for f in report.files if f.is_duplicate),
    }
    summary = (
        f"{len(modules)} test modules, {data['tests']} tests, "
        f"{len(report.duplicates)} duplicate pairs"
    )
    fix = f"run `remediate organize {target.root}` for the plan"
    if breaking:
        listed = "; ".join(f"{p.path}:{p.line} {p.kind.value}" for p in breaking[:3])
        more = f" (and {len(breaking) - 3} more)" if len(breaking) > 3 else ""
        return CheckResult(
            name=NAME,
            status=CheckStatus.FAILED,
            details=(
                f"{summary}; {len(breaking)} problem(s) break collection: {listed}{more}; {fix}"
            ),
            data=data,
        )
    if moves or silent:
        return CheckResult(
            name=NAME,
            status=CheckStatus.WARNING,
            details=(
                f"{summary}; {len(moves)} file(s) out of place, {len(silent)} problem(s) that "
                f"silently lose tests; {fix}"
            ),
            data=data,
        )
    return CheckResult(
        name=NAME,
        status=CheckStatus.PASSED,
        details=f"{summary}; every file in the layout, nothing breaks collection",
        data=data,
    )


ORGANIZATION_CHECK = PhaseCheck(
    name=NAME,
    description="pytest can collect every test module, and test files sit in the standard layout",
    run=check_test_organization,
)
