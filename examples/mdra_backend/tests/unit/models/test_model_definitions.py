from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import CheckConstraint, Enum, UniqueConstraint, inspect
from sqlalchemy.dialects import sqlite

from mdra.models import PredicateDevice, Project, ProjectStatus, User, UTCDateTime

DIALECT = sqlite.dialect()


def test_project_status_values_equal_their_names() -> None:
    assert [s.value for s in ProjectStatus] == ["DRAFT", "ACTIVE", "IN_PROGRESS", "COMPLETED"]
    assert all(s.name == s.value for s in ProjectStatus)


@pytest.mark.parametrize("model", [User, Project, PredicateDevice])
def test_relationships_raise_instead_of_lazy_loading(model: type) -> None:
    relationships = inspect(model).relationships

    assert relationships, f"{model.__name__} should declare relationships"
    assert {rel.key: rel.lazy for rel in relationships} == {
        rel.key: "raise" for rel in relationships
    }


def test_status_column_is_a_non_native_enum_with_a_check_constraint() -> None:
    column = Project.__table__.c.status
    assert isinstance(column.type, Enum)
    assert column.type.native_enum is False
    assert column.type.enums == [s.name for s in ProjectStatus]
    assert column.default is not None
    assert column.default.arg is ProjectStatus.DRAFT
    assert any(isinstance(c, CheckConstraint) for c in Project.__table__.constraints)


def test_a_k_number_is_unique_within_a_project() -> None:
    uniques = [
        tuple(c.name for c in constraint.columns)
        for constraint in PredicateDevice.__table__.constraints
        if isinstance(constraint, UniqueConstraint)
    ]
    assert ("project_id", "k_number") in uniques


def test_foreign_keys_cascade_deletes() -> None:
    project_fk = next(iter(Project.__table__.c.owner_id.foreign_keys))
    predicate_fk = next(iter(PredicateDevice.__table__.c.project_id.foreign_keys))

    assert project_fk.ondelete == "CASCADE"
    assert predicate_fk.ondelete == "CASCADE"


def test_utc_datetime_refuses_naive_values() -> None:
    with pytest.raises(ValueError, match="naive"):
        UTCDateTime().process_bind_param(datetime(2024, 1, 1), DIALECT)  # noqa: DTZ001


def test_utc_datetime_stores_other_offsets_as_utc() -> None:
    plus_two = datetime(2024, 1, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))

    stored = UTCDateTime().process_bind_param(plus_two, DIALECT)

    assert stored == datetime(2024, 1, 1, 10, 0, tzinfo=UTC)
    assert stored is not None
    assert stored.utcoffset() == timedelta(0)


def test_utc_datetime_reads_naive_database_values_as_utc() -> None:
    loaded = UTCDateTime().process_result_value(datetime(2024, 1, 1, 10, 0), DIALECT)  # noqa: DTZ001

    assert loaded == datetime(2024, 1, 1, 10, 0, tzinfo=UTC)
    assert UTCDateTime().process_result_value(None, DIALECT) is None
