"""Broker sessions and the master contract (symtoken, its staging table, download status).

Revision ID: 0010_brokers
Revises: 0002_users
Create Date: 2026-11-24
"""
import sqlalchemy as sa
from alembic import op

revision = "0010_brokers"
down_revision = "0002_users"
branch_labels = None
depends_on = None


def _instrument_columns() -> list[sa.Column]:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("broker", sa.String(length=32), nullable=False),
        sa.Column("symbol", sa.String(length=64), nullable=False),
        sa.Column("brsymbol", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("exchange", sa.String(length=16), nullable=False),
        sa.Column("brexchange", sa.String(length=16), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("expiry", sa.String(length=9), nullable=False),
        sa.Column("expiry_date", sa.Date(), nullable=True),
        sa.Column("strike", sa.Float(), nullable=False),
        sa.Column("lotsize", sa.Integer(), nullable=False),
        sa.Column("tick_size", sa.Float(), nullable=False),
        sa.Column("instrumenttype", sa.String(length=16), nullable=False),
        sa.Column("freeze_qty", sa.Integer(), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "master_contract_status",
        sa.Column("broker", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.String(length=255), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_seconds", sa.Float(), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("broker", name=op.f("pk_master_contract_status")),
    )
    op.create_table(
        "symtoken",
        *_instrument_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_symtoken")),
        sa.UniqueConstraint("broker", "symbol", "exchange", name=op.f("uq_symtoken_broker_symbol_exchange")),
    )
    op.create_index("ix_symtoken_broker_brsymbol_brexchange", "symtoken", ["broker", "brsymbol", "brexchange"])
    op.create_index("ix_symtoken_broker_token", "symtoken", ["broker", "token"])
    op.create_table(
        "symtoken_staging",
        *_instrument_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_symtoken_staging")),
    )
    op.create_index("ix_symtoken_staging_broker", "symtoken_staging", ["broker"])
    op.create_table(
        "broker_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("broker", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("auth_token_enc", sa.Text(), nullable=False),
        sa.Column("feed_token_enc", sa.Text(), nullable=False),
        sa.Column("extra_enc", sa.Text(), nullable=False),
        sa.Column("broker_user_id", sa.String(length=64), nullable=False),
        sa.Column("connected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=255), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"),
                  nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_broker_sessions_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broker_sessions")),
        sa.UniqueConstraint("user_id", name=op.f("uq_broker_sessions_user_id")),
    )


def downgrade() -> None:
    op.drop_table("broker_sessions")
    op.drop_index("ix_symtoken_staging_broker", table_name="symtoken_staging")
    op.drop_table("symtoken_staging")
    op.drop_index("ix_symtoken_broker_token", table_name="symtoken")
    op.drop_index("ix_symtoken_broker_brsymbol_brexchange", table_name="symtoken")
    op.drop_table("symtoken")
    op.drop_table("master_contract_status")
