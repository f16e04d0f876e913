"""analytics_event: what happened in conversations, from Rasa's event broker (no customer words)

A branch of its own from 0002, like every feature's.

Revision ID: 0010_analytics_event
Revises: 0002
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_analytics_event"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "analytics_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_analytics_event_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_event")),
        sa.UniqueConstraint("key", name=op.f("uq_analytics_event_key")),
    )
    op.create_index(op.f("ix_analytics_event_customer_id"), "analytics_event", ["customer_id"])
    op.create_index(op.f("ix_analytics_event_at"), "analytics_event", ["at"])


def downgrade() -> None:
    op.drop_table("analytics_event")
