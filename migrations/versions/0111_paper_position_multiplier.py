"""Contract multiplier of a paper position (issue 23): units of the underlying per unit of quantity, so a
currency contract counted as 1 (USD 1,000) is valued as 1,000 dollars. Positions that exist when this
revision runs keep 1: their quantities were counted in units of the underlying.

Revision ID: 0111_paper_position_multiplier
Revises: 0110_paper_holding_marks
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0111_paper_position_multiplier"
down_revision = "0110_paper_holding_marks"
branch_labels = None
depends_on = None

_MONEY = sa.Numeric(precision=20, scale=4, asdecimal=False)


def upgrade() -> None:
    with op.batch_alter_table("paper_positions") as batch:
        batch.add_column(sa.Column("multiplier", _MONEY, nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("paper_positions") as batch:
        batch.drop_column("multiplier")
