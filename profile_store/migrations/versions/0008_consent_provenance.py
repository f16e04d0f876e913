"""consent provenance: the question the customer saw and the words they answered with

A branch of its own from 0002, like every feature's (profile_store.db.migrate upgrades to all
heads): it changes only `consent`. Rows recorded before it have neither, and read as empty.

Revision ID: 0008_consent_provenance
Revises: 0002
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_consent_provenance"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.add_column(sa.Column("asked", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("answer", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.drop_column("answer")
        batch_op.drop_column("asked")
