"""initial schema: users, projects, predicate_devices

Revision ID: 0001
Revises:
Create Date: 2026-11-24 00:00:00

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copy of the enum as of this revision (migrations never import the app's models).
project_status = sa.Enum(
    "DRAFT",
    "ACTIVE",
    "IN_PROGRESS",
    "COMPLETED",
    name="project_status",
    native_enum=False,
    create_constraint=True,
    length=20,
)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("hashed_password", sa.String(length=255), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_email"), ["email"], unique=True)

    op.create_table(
        "projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("device_type", sa.String(length=200), nullable=True),
        sa.Column("intended_use", sa.Text(), nullable=True),
        sa.Column("status", project_status, nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_projects_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_projects_status"), ["status"], unique=False)

    op.create_table(
        "predicate_devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("k_number", sa.String(length=20), nullable=False),
        sa.Column("device_name", sa.String(length=500), nullable=False),
        sa.Column("product_code", sa.String(length=10), nullable=False),
        sa.Column("decision_date", sa.Date(), nullable=True),
        sa.Column("applicant", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "k_number", name="uq_predicate_project_k"),
    )
    with op.batch_alter_table("predicate_devices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_predicate_devices_product_code"), ["product_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_predicate_devices_project_id"), ["project_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("predicate_devices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_predicate_devices_project_id"))
        batch_op.drop_index(batch_op.f("ix_predicate_devices_product_code"))
    op.drop_table("predicate_devices")

    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_projects_status"))
        batch_op.drop_index(batch_op.f("ix_projects_owner_id"))
    op.drop_table("projects")

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_email"))
    op.drop_table("users")
