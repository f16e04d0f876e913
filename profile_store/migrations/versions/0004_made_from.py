"""product: what it is made from without being it (a like of it is not a reason to offer it)

Revision ID: 0004_made_from
Revises: 0002
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_made_from"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Empty for every existing product until the catalogue is imported again.
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.add_column(sa.Column("made_from", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.drop_column("made_from")
