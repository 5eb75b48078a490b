"""Strategies, their symbol mappings, the webhook alert queue; paper orders carry the caller's tag.

Revision ID: 0050_strategies
Revises: 0040_journal
Create Date: 2026-11-24
"""
import sqlalchemy as sa
from alembic import op

revision = "0050_strategies"
down_revision = "0040_journal"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "strategies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("webhook_digest", sa.String(length=64), nullable=False),
        sa.Column("webhook_enc", sa.Text(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("is_intraday", sa.Boolean(), nullable=False),
        sa.Column("trading_mode", sa.String(length=8), nullable=False),
        sa.Column("start_time", sa.String(length=5), nullable=False),
        sa.Column("end_time", sa.String(length=5), nullable=False),
        sa.Column("squareoff_time", sa.String(length=5), nullable=False),
        sa.Column("default_quantity", sa.Integer(), nullable=False),
        sa.Column("default_product", sa.String(length=8), nullable=False),
        sa.Column("last_squareoff_on", sa.Date(), nullable=True),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_strategies_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_strategies")),
        sa.UniqueConstraint("user_id", "name", name=op.f("uq_strategies_user_id_name")),
        sa.UniqueConstraint("webhook_digest", name=op.f("uq_strategies_webhook_digest")),
    )
    op.create_index(op.f("ix_strategies_user_id"), "strategies", ["user_id"])
    op.create_table(
        "strategy_symbols",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("strategy_id", sa.Integer(), nullable=False),
        sa.Column("symbol", sa.String(length=64), nullable=False),
        sa.Column("exchange", sa.String(length=16), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("product", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(["strategy_id"], ["strategies.id"], name=op.f("fk_strategy_symbols_strategy_id_strategies"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_strategy_symbols")),
        sa.UniqueConstraint("strategy_id", "symbol", name=op.f("uq_strategy_symbols_strategy_id_symbol")),
    )
    op.create_index(op.f("ix_strategy_symbols_strategy_id"), "strategy_symbols", ["strategy_id"])
    op.create_table(
        "strategy_alerts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("strategy_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("order_json", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(length=128), nullable=True),
        sa.Column("result_json", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["strategy_id"], ["strategies.id"], name=op.f("fk_strategy_alerts_strategy_id_strategies"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_strategy_alerts_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_strategy_alerts")),
    )
    op.create_index("ix_strategy_alerts_status_strategy", "strategy_alerts", ["status", "strategy_id", "id"])
    op.create_index(op.f("ix_strategy_alerts_user_id"), "strategy_alerts", ["user_id"])
    op.create_table(
        "strategy_scripts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("strategy_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=100), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("env_encrypted", sa.Text(), nullable=False),
        sa.Column("run_days", sa.String(length=32), nullable=False),
        sa.Column("run_start", sa.String(length=5), nullable=False),
        sa.Column("run_stop", sa.String(length=5), nullable=False),
        sa.Column("cpu_seconds", sa.Integer(), nullable=False),
        sa.Column("memory_mb", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        sa.Column("last_event", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(["strategy_id"], ["strategies.id"], name=op.f("fk_strategy_scripts_strategy_id_strategies"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_strategy_scripts")),
        sa.UniqueConstraint("strategy_id", name=op.f("uq_strategy_scripts_strategy_id")),
    )
    with op.batch_alter_table("paper_orders") as batch:
        batch.add_column(sa.Column("tag", sa.String(length=20), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("paper_orders") as batch:
        batch.drop_column("tag")
    op.drop_table("strategy_scripts")
    op.drop_table("strategy_alerts")
    op.drop_table("strategy_symbols")
    op.drop_table("strategies")
