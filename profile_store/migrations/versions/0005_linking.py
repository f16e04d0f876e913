"""verified identity linking: link requests (hashed one-time codes) and the link/unlink log

A branch of its own from 0002, like every feature's (profile_store.db.migrate upgrades to all
heads): its tables need only `customer`.

Revision ID: 0005_linking
Revises: 0002
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_linking"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "link_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("salt", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_link_request_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_request")),
    )
    with op.batch_alter_table("link_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_link_request_customer_id"), ["customer_id"])
        batch_op.create_index(
            batch_op.f("ix_link_request_target"), ["channel", "address", "created_at"]
        )

    op.create_table(
        "link_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("by", sa.String(length=80), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_link_event_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_event")),
    )
    with op.batch_alter_table("link_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_link_event_customer_id"), ["customer_id"])


def downgrade() -> None:
    with op.batch_alter_table("link_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_link_event_customer_id"))
    op.drop_table("link_event")
    with op.batch_alter_table("link_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_link_request_target"))
        batch_op.drop_index(batch_op.f("ix_link_request_customer_id"))
    op.drop_table("link_request")
