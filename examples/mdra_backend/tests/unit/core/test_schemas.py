from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from mdra.models import PredicateDevice, Project, ProjectStatus
from mdra.schemas import (
    PredicateCreate,
    ProjectCreate,
    ProjectRead,
    ProjectUpdate,
    StatusChange,
    UserCreate,
)


def test_email_is_normalised_to_lowercase_without_spaces() -> None:
    user = UserCreate(email="  Jane.Roe@Example.COM ", password="long-enough", full_name="Jane")

    assert user.email == "jane.roe@example.com"


@pytest.mark.parametrize("email", ["no-at-sign", "a@b", "two@@example.com", "sp ace@example.com"])
def test_invalid_emails_are_rejected(email: str) -> None:
    with pytest.raises(ValidationError, match="email"):
        UserCreate(email=email, password="long-enough", full_name="Jane")


def test_passwords_shorter_than_eight_characters_are_rejected() -> None:
    with pytest.raises(ValidationError, match="at least 8"):
        UserCreate(email="jane@example.com", password="short", full_name="Jane")


def test_k_number_and_product_code_are_uppercased() -> None:
    predicate = PredicateCreate(k_number="k213456", device_name="Stent", product_code="dqy")

    assert predicate.k_number == "K213456"
    assert predicate.product_code == "DQY"


@pytest.mark.parametrize("k_number", ["K12345", "K1234567", "X123456", "213456", "DEN12345"])
def test_malformed_k_numbers_are_rejected(k_number: str) -> None:
    with pytest.raises(ValidationError, match="k_number"):
        PredicateCreate(k_number=k_number, device_name="Stent", product_code="DQY")


def test_de_novo_numbers_are_accepted() -> None:
    assert PredicateCreate(k_number="DEN200012", device_name="x", product_code="QAS").k_number


def test_project_name_is_stripped_and_may_not_be_blank() -> None:
    assert ProjectCreate(name="  Catheter 510(k)  ").name == "Catheter 510(k)"
    with pytest.raises(ValidationError, match="name"):
        ProjectCreate(name="   ")


def test_project_update_does_not_accept_a_status() -> None:
    with pytest.raises(ValidationError, match="status"):
        ProjectUpdate.model_validate({"status": "COMPLETED"})


def test_status_change_accepts_only_known_statuses() -> None:
    assert StatusChange(status="ACTIVE").status is ProjectStatus.ACTIVE  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        StatusChange(status="ARCHIVED")  # type: ignore[arg-type]


def test_project_read_is_built_from_an_orm_object_with_its_predicates() -> None:
    now = datetime.now(UTC)
    predicate = PredicateDevice(
        id=3,
        project_id=1,
        k_number="K213456",
        device_name="Stent",
        product_code="NIQ",
        decision_date=date(2021, 6, 15),
        applicant=None,
        created_at=now,
    )
    project = Project(
        id=1,
        name="P",
        description=None,
        device_type=None,
        intended_use=None,
        status=ProjectStatus.ACTIVE,
        owner_id=9,
        created_at=now,
        updated_at=now,
        predicates=[predicate],
    )

    read = ProjectRead.model_validate(project)

    assert read.status is ProjectStatus.ACTIVE
    assert [p.k_number for p in read.predicates] == ["K213456"]
    assert read.model_dump(mode="json")["predicates"][0]["decision_date"] == "2021-06-15"
