"""Sandbox P&L report (issue 23): holdings count in the day P&L from the previous close, so each
holding keeps the close it was last marked to and today's P&L of sales from it; a holding sold out
today stays (quantity 0) until the day rollover records it.

Holdings that exist when this revision runs are marked at their average price: their first recorded
day counts from there (their earlier closes were not kept).

Revision ID: 0110_paper_holding_marks
Revises: 0100_sandbox_markets
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0110_paper_holding_marks"
down_revision = "0100_sandbox_markets"
branch_labels = None
depends_on = None

_MONEY = sa.Numeric(precision=20, scale=4, asdecimal=False)
_COLUMNS = ("close_price", "day_realized")


def upgrade() -> None:
    with op.batch_alter_table("paper_holdings") as batch:
        for name in _COLUMNS:
            batch.add_column(sa.Column(name, _MONEY, nullable=False, server_default="0"))
    op.execute("UPDATE paper_holdings SET close_price = average_price")


def downgrade() -> None:
    op.execute("DELETE FROM paper_holdings WHERE quantity = 0")
    with op.batch_alter_table("paper_holdings") as batch:
        for name in reversed(_COLUMNS):
            batch.drop_column(name)
