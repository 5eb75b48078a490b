"""Sandbox daily P&L history (issue 23): one row per user, trading day and symbol, written at the day
rollover of the paper account.

Revision ID: 0090_paper_pnl_days
Revises: 0080_paper_accounts
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0090_paper_pnl_days"
down_revision = "0080_paper_accounts"
branch_labels = None
depends_on = None

_NUMBER = sa.Numeric(precision=20, scale=4, asdecimal=False)
_NUMBERS = ("quantity", "average_price", "close_price", "buy_quantity", "buy_average", "sell_quantity",
            "sell_average", "realized", "unrealized", "charges")


def upgrade() -> None:
    op.create_table(
        "paper_pnl_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("symbol", sa.String(length=64), nullable=False),
        sa.Column("exchange", sa.String(length=16), nullable=False),
        sa.Column("product", sa.String(length=8), nullable=False),
        *(sa.Column(name, _NUMBER, nullable=False) for name in _NUMBERS),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_paper_pnl_days_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paper_pnl_days")),
        sa.UniqueConstraint("user_id", "day", "symbol", "exchange", "product",
                            name=op.f("uq_paper_pnl_days_user_id_day_symbol_exchange_product")),
    )
    op.create_index("ix_paper_pnl_days_user_id_day", "paper_pnl_days", ["user_id", "day"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_paper_pnl_days_user_id_day", table_name="paper_pnl_days")
    op.drop_table("paper_pnl_days")
