"""Paper broker state: accounts, orders, trades, positions, holdings and the funds ledger.

Revision ID: 0020_paper
Revises: 0010_brokers
Create Date: 2026-11-24
"""
import sqlalchemy as sa
from alembic import op


revision = "0020_paper"
down_revision = "0010_brokers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('paper_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('capital', sa.Numeric(precision=20, scale=4, asdecimal=False), nullable=False),
    sa.Column('balance', sa.Numeric(precision=20, scale=4, asdecimal=False), nullable=False),
    sa.Column('realized_today', sa.Numeric(precision=20, scale=4, asdecimal=False), nullable=False),
    sa.Column('realized_total', sa.Numeric(precision=20, scale=4, asdecimal=False), nullable=False),
    sa.Column('trading_day', sa.Date(), nullable=False),
    sa.Column('reset_count', sa.Integer(), nullable=False),
    sa.Column('last_reset', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_paper_accounts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paper_accounts')),
    sa.UniqueConstraint('user_id', name=op.f('uq_paper_accounts_user_id'))
    )
    op.create_table('paper_holdings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('symbol', sa.String(length=64), nullable=False),
    sa.Column('exchange', sa.String(length=16), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('average_price', sa.Numeric(precision=20, scale=4, asdecimal=False), nullable=False),
    sa.Column('settled_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_paper_holdings_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paper_holdings')),
    sa.UniqueConstraint('user_id', 'symbol', 'exchange', name=op.f('uq_paper_holdings_user_id_symbol_exchange'))
    )
    op.create_table('paper_ledger',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('amount', sa.Numeric(precision=20, scale=4, asdecimal=False), nullable=False),
    sa.Column('balance_after', sa.Numeric(precision=20, scale=4, asdecimal=False), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_paper_ledger_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paper_ledger'))
    )
    op.create_index(op.f('ix_paper_ledger_user_id'), 'paper_ledger', ['user_id'], unique=False)

    op.create_table('paper_orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('orderid', sa.String(length=20), nullable=False),
    sa.Column('strategy', sa.String(length=100), nullable=False),
    sa.Column('symbol', sa.String(length=64), nullable=False),
    sa.Column('exchange', sa.String(length=16), nullable=False),
    sa.Column('action', sa.String(length=4), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('price', sa.Numeric(precision=20, scale=4, asdecimal=False), nullable=False),
    sa.Column('trigger_price', sa.Numeric(precision=20, scale=4, asdecimal=False), nullable=False),
    sa.Column('pricetype', sa.String(length=8), nullable=False),
    sa.Column('product', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('filled_quantity', sa.Integer(), nullable=False),
    sa.Column('average_price', sa.Numeric(precision=20, scale=4, asdecimal=False), nullable=False),
    sa.Column('margin_blocked', sa.Numeric(precision=20, scale=4, asdecimal=False), nullable=False),
    sa.Column('rejection_reason', sa.String(length=255), nullable=False),
    sa.Column('triggered', sa.Boolean(), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_paper_orders_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paper_orders')),
    sa.UniqueConstraint('orderid', name=op.f('uq_paper_orders_orderid'))
    )
    op.create_index(op.f('ix_paper_orders_user_id'), 'paper_orders', ['user_id'], unique=False)
    op.create_index(op.f('ix_paper_orders_user_id_status'), 'paper_orders', ['user_id', 'status'], unique=False)

    op.create_table('paper_positions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('symbol', sa.String(length=64), nullable=False),
    sa.Column('exchange', sa.String(length=16), nullable=False),
    sa.Column('product', sa.String(length=8), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('average_price', sa.Numeric(precision=20, scale=4, asdecimal=False), nullable=False),
    sa.Column('realized_pnl', sa.Numeric(precision=20, scale=4, asdecimal=False), nullable=False),
    sa.Column('margin_blocked', sa.Numeric(precision=20, scale=4, asdecimal=False), nullable=False),
    sa.Column('trading_day', sa.Date(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_paper_positions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paper_positions')),
    sa.UniqueConstraint('user_id', 'symbol', 'exchange', 'product', name=op.f('uq_paper_positions_user_id_symbol_exchange_product'))
    )
    op.create_table('paper_trades',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('tradeid', sa.String(length=20), nullable=False),
    sa.Column('orderid', sa.String(length=20), nullable=False),
    sa.Column('strategy', sa.String(length=100), nullable=False),
    sa.Column('symbol', sa.String(length=64), nullable=False),
    sa.Column('exchange', sa.String(length=16), nullable=False),
    sa.Column('product', sa.String(length=8), nullable=False),
    sa.Column('action', sa.String(length=4), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('price', sa.Numeric(precision=20, scale=4, asdecimal=False), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_paper_trades_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paper_trades')),
    sa.UniqueConstraint('tradeid', name=op.f('uq_paper_trades_tradeid'))
    )
    op.create_index(op.f('ix_paper_trades_orderid'), 'paper_trades', ['orderid'], unique=False)
    op.create_index(op.f('ix_paper_trades_user_id'), 'paper_trades', ['user_id'], unique=False)



def downgrade() -> None:
    op.drop_index(op.f('ix_paper_trades_user_id'), table_name='paper_trades')
    op.drop_index(op.f('ix_paper_trades_orderid'), table_name='paper_trades')

    op.drop_table('paper_trades')
    op.drop_table('paper_positions')
    op.drop_index(op.f('ix_paper_orders_user_id_status'), table_name='paper_orders')
    op.drop_index(op.f('ix_paper_orders_user_id'), table_name='paper_orders')

    op.drop_table('paper_orders')
    op.drop_index(op.f('ix_paper_ledger_user_id'), table_name='paper_ledger')

    op.drop_table('paper_ledger')
    op.drop_table('paper_holdings')
    op.drop_table('paper_accounts')
