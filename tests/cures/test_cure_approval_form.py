"""The approval form and the proposal's markdown, without a Prefect server."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.approval import approval_form, pause_key
from testing_lib.cures.cure_models import Change, CureReport, GroupCure, ProofRun
from testing_lib.cures.proposal_markdown import proposal_markdown
from testing_lib.cures.proposals import Proposal, save_proposal
from testing_lib.cures.session import CurePlan
from testing_lib.fingerprint import content_digest


def _proven(label: str, diff: str) -> GroupCure:
    command = "cd /t && python -m pytest tests/unit"
    return GroupCure(
        kind="async",
        label=label,
        count=2,
        status="proven",
        cure="async-mode",
        summary='set `asyncio_mode = "auto"`',
        safe=True,
        before="2 test(s) failed",
        after="2 ran: 2 passed",
        proof=[
            ProofRun(name="before", phase="foundation", command=command, passed=True),
            ProofRun(
                name="after", phase="foundation", command=command, passed=True, detail="2 passed"
            ),
        ],
        diff=diff,
    )


@pytest.fixture
def proposal(tmp_path: Path) -> Proposal:
    (tmp_path / "pytest.ini").write_bytes(b"[pytest]\n")
    change = Change("pytest.ini", b"[pytest]\n", b"[pytest]\nasyncio_mode = auto\n")
    report = CureReport(root=str(tmp_path), phases=["foundation"])
    report.groups = [
        _proven("async tests", "--- a/pytest.ini\n+++ b/pytest.ini\n+asyncio_mode = auto\n"),
        GroupCure(kind="other", label="arithmetic", count=1, status="no cure", summary="by hand"),
        _proven("more async", ""),
    ]
    plan = CurePlan(
        root=tmp_path,
        report=report,
        digest=content_digest(tmp_path),
        by_group={0: (change,), 2: ()},
    )
    return save_proposal(plan)


def test_the_form_has_a_box_per_proven_cure_then_all_and_a_note(proposal: Proposal) -> None:
    form = approval_form(proposal, "shop", "foundation")
    schema = form.model_json_schema()

    assert list(schema["properties"]) == ["cure_1", "cure_3", "approve_all", "note"]
    assert schema["properties"]["cure_1"]["title"] == "1. async-mode: async tests"
    assert form._description.startswith("**2 proven cure(s) for foundation of shop.**")
    assert proposal.apply_command() in form._description


def test_the_answer_names_the_approved_cures(proposal: Proposal) -> None:
    form = approval_form(proposal, "shop", "foundation")

    assert form(cure_3=True).approved([1, 3]) == [3]
    assert form(approve_all=True, note="ok").approved([1, 3]) == [1, 3]
    assert form().approved([1, 3]) == []
    assert form(note="  not now ").said == "not now"
    with pytest.raises(ValueError, match="extra"):
        form(cure_2=True)  # a group without a proven cure has no box


def test_the_markdown_shows_each_cure_its_proof_diff_and_the_apply_command(
    proposal: Proposal,
) -> None:
    text = proposal_markdown(proposal, "shop")

    assert f"# Proven cures for shop: proposal {proposal.id}" in text
    assert "### 1. 2 × async tests" in text
    assert "**before → after:** 2 test(s) failed → 2 ran: 2 passed" in text
    assert "- ✓ foundation: 2 passed\n  `cd /t && python -m pytest tests/unit`" in text
    assert "```diff\n--- a/pytest.ini" in text
    assert "- 1 × arithmetic: no cure: by hand" in text
    assert f"```sh\n{proposal.apply_command()}\n```" in text


def test_the_pause_key_names_the_proposal_in_the_characters_keys_allow() -> None:
    assert pause_key("20261207T205027Z-b15659") == "cures-20261207t205027z-b15659"
