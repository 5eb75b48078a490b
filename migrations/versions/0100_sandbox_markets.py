"""Sandbox markets (issue 23): which users' analyzer mode runs on a connected live broker's market.

Revision ID: 0100_sandbox_markets
Revises: 0090_paper_pnl_days
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0100_sandbox_markets"
down_revision = "0090_paper_pnl_days"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sandbox_markets",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("broker", sa.String(length=32), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_sandbox_markets_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_sandbox_markets")),
    )


def downgrade() -> None:
    op.drop_table("sandbox_markets")
