"""offer: the diets an offer is made for (a kosher Shabbat table is for those who keep kosher)

A branch of its own from 0002, like every feature's: it changes only `offer`. Offers imported
before it read as made for everyone until the catalogue is imported again.

Revision ID: 0009_offer_for_diets
Revises: 0002
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_offer_for_diets"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("offer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("for_diets", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("offer", schema=None) as batch_op:
        batch_op.drop_column("for_diets")
