"""preferences: who in the household a fact is about, and when a time-bounded one ends

Revision ID: 0003_household
Revises: 0002
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_household"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Both nullable: every existing fact is about the customer themselves and has no end.
    with op.batch_alter_table("preference", schema=None) as batch_op:
        batch_op.add_column(sa.Column("member", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("preference", schema=None) as batch_op:
        batch_op.drop_column("until")
        batch_op.drop_column("member")
