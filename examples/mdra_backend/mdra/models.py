"""ORM models: users own projects; projects collect predicate devices (FDA 510(k) clearances).

Relationships use ``lazy="raise"``: touching one that was not eagerly loaded fails loudly
instead of issuing a synchronous lazy load (which raises ``MissingGreenlet`` under asyncio).
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Dialect,
    Enum,
    ForeignKey,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mdra.database import Base


def now_utc() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes, also on SQLite (which stores them without an offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use datetime.now(UTC)")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class ProjectStatus(enum.StrEnum):
    DRAFT = "DRAFT"
    ACTIVE = "ACTIVE"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"


PROJECT_STATUS_TYPE = Enum(
    ProjectStatus,
    name="project_status",
    native_enum=False,
    create_constraint=True,
    length=20,
    validate_strings=True,
)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True, index=True)
    full_name: Mapped[str] = mapped_column(String(200))
    hashed_password: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)

    projects: Mapped[list[Project]] = relationship(
        back_populates="owner", lazy="raise", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"User(id={self.id!r}, email={self.email!r})"


class Project(Base):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    device_type: Mapped[str | None] = mapped_column(String(200), default=None)
    intended_use: Mapped[str | None] = mapped_column(Text, default=None)
    status: Mapped[ProjectStatus] = mapped_column(
        PROJECT_STATUS_TYPE, default=ProjectStatus.DRAFT, index=True
    )
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc, onupdate=now_utc)

    owner: Mapped[User] = relationship(back_populates="projects", lazy="raise")
    predicates: Mapped[list[PredicateDevice]] = relationship(
        back_populates="project",
        lazy="raise",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="PredicateDevice.id",
    )

    def __repr__(self) -> str:
        return f"Project(id={self.id!r}, name={self.name!r}, status={self.status!r})"


class PredicateDevice(Base):
    __tablename__ = "predicate_devices"
    __table_args__ = (UniqueConstraint("project_id", "k_number", name="uq_predicate_project_k"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    k_number: Mapped[str] = mapped_column(String(20))
    device_name: Mapped[str] = mapped_column(String(500))
    product_code: Mapped[str] = mapped_column(String(10), index=True)
    decision_date: Mapped[date | None] = mapped_column(Date, default=None)
    applicant: Mapped[str | None] = mapped_column(String(300), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)

    project: Mapped[Project] = relationship(back_populates="predicates", lazy="raise")

    def __repr__(self) -> str:
        return f"PredicateDevice(id={self.id!r}, k_number={self.k_number!r})"
