"""right to erasure: former sender ids, suppressed addresses (keyed hashes), the erasure audit

A branch of its own from 0002, like every feature's (profile_store.db.migrate upgrades to all
heads): its tables need only `customer`.

Revision ID: 0006_privacy
Revises: 0002
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_privacy"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "former_sender",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("sender_id", sa.String(length=255), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_former_sender_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_former_sender")),
    )
    with op.batch_alter_table("former_sender", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_former_sender_customer_id"), ["customer_id"])

    op.create_table(
        "suppression",
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("hash", name=op.f("pk_suppression")),
    )

    op.create_table(
        "erasure_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_hash", sa.String(length=64), nullable=False),
        sa.Column("by", sa.String(length=80), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasure_audit")),
    )
    with op.batch_alter_table("erasure_audit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_erasure_audit_customer_hash"), ["customer_hash"])


def downgrade() -> None:
    with op.batch_alter_table("erasure_audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_erasure_audit_customer_hash"))
    op.drop_table("erasure_audit")
    op.drop_table("suppression")
    with op.batch_alter_table("former_sender", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_former_sender_customer_id"))
    op.drop_table("former_sender")
