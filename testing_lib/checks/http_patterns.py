"""core_infrastructure check "HTTP client patterns": no test code uses httpx's removed `app=`.

A static scan with the `http-clients` codemod in dry run (libcst, nothing written): every
`httpx.AsyncClient(app=...)` / `httpx.Client(app=...)` fails on httpx >= 0.28 with
"unexpected keyword argument 'app'". The check fails listing file:line and the command that
rewrites them; files it cannot parse are reported as a warning.
"""

from __future__ import annotations

from typing import Any

from testing_lib.checks.base import PhaseCheck
from testing_lib.codemods.codemod_plan import plan_http_clients
from testing_lib.config.target import TargetConfig
from testing_lib.report import CheckResult, CheckStatus

NAME = "HTTP client patterns"
MAX_LISTED = 12


def _result(status: CheckStatus, details: str, **data: Any) -> CheckResult:
    return CheckResult(name=NAME, status=status, details=details, data=dict(data))


def check_http_client_patterns(target: TargetConfig) -> CheckResult:
    plan = plan_http_clients(target.root)
    found = [
        f"{item.relative}:{rewrite.line} {rewrite.client}(app=...)"
        for item in plan.files
        for rewrite in item.rewrites
    ]
    found += [f"{relative}:{skipped.line} {skipped.reason}" for relative, skipped in plan.skipped]
    unparseable = [f"{item.relative} ({item.error})" for item in plan.unparseable]
    data = {"scanned": plan.scanned, "found": found, "unparseable": unparseable}
    if found:
        listed = "; ".join(found[:MAX_LISTED])
        more = f" (and {len(found) - MAX_LISTED} more)" if len(found) > MAX_LISTED else ""
        return _result(
            CheckStatus.FAILED,
            f"{len(found)} httpx client(s) use app=, removed in httpx 0.28: {listed}{more}; "
            f"rewrite them with `remediate fix http-clients {target.root} --apply`",
            **data,
        )
    if unparseable:
        return _result(
            CheckStatus.WARNING,
            f"no app= clients found, but {len(unparseable)} file(s) could not be parsed: "
            + "; ".join(unparseable[:MAX_LISTED]),
            **data,
        )
    return _result(
        CheckStatus.PASSED,
        f"{plan.scanned} Python files scanned: no httpx client uses the removed app= argument",
        **data,
    )


HTTP_PATTERNS_CHECK = PhaseCheck(
    name=NAME,
    description="no test builds an httpx client with app= (removed in httpx 0.28)",
    run=check_http_client_patterns,
)
