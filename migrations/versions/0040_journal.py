"""Order journal.

Revision ID: 0040_journal
Revises: 0020_paper
Create Date: 2026-11-24
"""
import sqlalchemy as sa
from alembic import op

revision = "0040_journal"
down_revision = "0020_paper"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "order_journal",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("broker", sa.String(length=32), nullable=True),
        sa.Column("strategy", sa.String(length=255), nullable=True),
        sa.Column("request_json", sa.Text(), nullable=False),
        sa.Column("response_json", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=False),
        sa.Column("orderid", sa.String(length=64), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("validation_ms", sa.Float(), nullable=True),
        sa.Column("broker_ms", sa.Float(), nullable=True),
        sa.Column("total_ms", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_order_journal_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_journal")),
        sa.UniqueConstraint("request_id", name=op.f("uq_order_journal_request_id")),
    )
    op.create_index("ix_order_journal_user_created", "order_journal", ["user_id", "created_at"])
    op.create_index(op.f("ix_order_journal_orderid"), "order_journal", ["orderid"])


def downgrade() -> None:
    op.drop_table("order_journal")
