"""email channel: IMAP cursor and sent mails

Revision ID: 0003_email
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_email"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "email_imap_cursor",
        sa.Column("mailbox", sa.String(length=500), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("last_uid", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("mailbox", name=op.f("pk_email_imap_cursor")),
    )
    op.create_table(
        "email_sent",
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=True),
        sa.Column("subject", sa.String(length=998), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_email_sent_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_email_sent")),
    )
    with op.batch_alter_table("email_sent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_email_sent_address"), ["address"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_email_sent_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_email_sent_sent_at"), ["sent_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("email_sent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_email_sent_sent_at"))
        batch_op.drop_index(batch_op.f("ix_email_sent_customer_id"))
        batch_op.drop_index(batch_op.f("ix_email_sent_address"))
    op.drop_table("email_sent")
    op.drop_table("email_imap_cursor")
