"""Paper GTT triggers (issue 18): kept across restarts until they trigger, are cancelled or expire.

Revision ID: 0060_paper_gtt
Revises: 0050_strategies
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0060_paper_gtt"
down_revision = "0050_strategies"
branch_labels = None
depends_on = None

_MONEY = sa.Numeric(precision=20, scale=4, asdecimal=False)


def upgrade() -> None:
    op.create_table(
        "paper_gtt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("trigger_id", sa.String(length=24), nullable=False),
        sa.Column("trigger_type", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("strategy", sa.String(length=100), nullable=False),
        sa.Column("symbol", sa.String(length=64), nullable=False),
        sa.Column("exchange", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=4), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("product", sa.String(length=8), nullable=False),
        sa.Column("legs", sa.Text(), nullable=False),
        sa.Column("last_price", _MONEY, nullable=False),
        sa.Column("rejection_reason", sa.String(length=255), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_paper_gtt_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paper_gtt")),
        sa.UniqueConstraint("trigger_id", name=op.f("uq_paper_gtt_trigger_id")),
    )
    op.create_index("ix_paper_gtt_user_id_status", "paper_gtt", ["user_id", "status"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_paper_gtt_user_id_status", table_name="paper_gtt")
    op.drop_table("paper_gtt")
