"""Sandbox accounts (issue 23): positions carried forward keep the previous close they are marked
against; fills and accounts keep their charges (PAPER_CHARGES).

Revision ID: 0080_paper_accounts
Revises: 0060_paper_gtt
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0080_paper_accounts"
down_revision = "0060_paper_gtt"
branch_labels = None
depends_on = None

_MONEY = sa.Numeric(precision=20, scale=4, asdecimal=False)
_COLUMNS = {
    "paper_positions": (("overnight_quantity", sa.Integer()), ("close_price", _MONEY), ("carry_pnl", _MONEY)),
    "paper_trades": (("charges", _MONEY),),
    "paper_accounts": (("charges_today", _MONEY), ("charges_total", _MONEY)),
}


def upgrade() -> None:
    for table, columns in _COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for name, type_ in columns:
                batch.add_column(sa.Column(name, type_, nullable=False, server_default="0"))


def downgrade() -> None:
    for table, columns in _COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for name, _type in reversed(columns):
                batch.drop_column(name)
