from __future__ import annotations

import pytest

from mdra.errors import InvalidStatusTransitionError
from mdra.models import ProjectStatus
from mdra.services.projects import ALLOWED_TRANSITIONS, can_transition, check_transition

S = ProjectStatus


@pytest.mark.parametrize(
    ("current", "target"),
    [(S.DRAFT, S.ACTIVE), (S.ACTIVE, S.IN_PROGRESS), (S.IN_PROGRESS, S.COMPLETED)],
)
def test_each_status_may_advance_one_step(current: ProjectStatus, target: ProjectStatus) -> None:
    assert can_transition(current, target)
    check_transition(current, target)  # does not raise


@pytest.mark.parametrize("target", list(ProjectStatus))
def test_completed_is_terminal(target: ProjectStatus) -> None:
    assert not can_transition(S.COMPLETED, target)
    with pytest.raises(InvalidStatusTransitionError, match="allowed: none"):
        check_transition(S.COMPLETED, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [(S.DRAFT, S.IN_PROGRESS), (S.DRAFT, S.COMPLETED), (S.ACTIVE, S.COMPLETED)],
)
def test_skipping_a_step_is_refused(current: ProjectStatus, target: ProjectStatus) -> None:
    with pytest.raises(InvalidStatusTransitionError):
        check_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [(S.ACTIVE, S.DRAFT), (S.IN_PROGRESS, S.ACTIVE), (S.IN_PROGRESS, S.DRAFT)],
)
def test_moving_backwards_is_refused(current: ProjectStatus, target: ProjectStatus) -> None:
    assert not can_transition(current, target)


@pytest.mark.parametrize("status", list(ProjectStatus))
def test_staying_in_the_same_status_is_not_a_transition(status: ProjectStatus) -> None:
    assert not can_transition(status, status)


def test_error_names_both_statuses_and_the_allowed_target() -> None:
    with pytest.raises(InvalidStatusTransitionError) as excinfo:
        check_transition(S.DRAFT, S.COMPLETED)

    message = excinfo.value.message
    assert "DRAFT" in message
    assert "COMPLETED" in message
    assert "allowed: ACTIVE" in message
    assert excinfo.value.status_code == 409
    assert excinfo.value.code == "invalid_status_transition"


def test_every_status_has_a_rule_and_the_workflow_is_a_single_chain() -> None:
    assert set(ALLOWED_TRANSITIONS) == set(ProjectStatus)
    chain, current = [S.DRAFT], S.DRAFT
    while ALLOWED_TRANSITIONS[current]:
        (current,) = ALLOWED_TRANSITIONS[current]
        chain.append(current)
    assert chain == [S.DRAFT, S.ACTIVE, S.IN_PROGRESS, S.COMPLETED]
