"""Index strategy alerts by when they were received, so the retention deletes the oldest finished alerts
(STRATEGY_ALERT_RETENTION) without scanning the table.

Revision ID: 0112_strategy_alerts_received
Revises: 0111_paper_position_multiplier
Create Date: 2026-12-07
"""
from alembic import op

revision = "0112_strategy_alerts_received"
down_revision = "0111_paper_position_multiplier"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_strategy_alerts_received_at"), "strategy_alerts", ["received_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_strategy_alerts_received_at"), table_name="strategy_alerts")
