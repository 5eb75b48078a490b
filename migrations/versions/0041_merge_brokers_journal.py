"""Join the two schema branches (broker tables and the order journal) that grew from 0002_users.

Only on this branch until main carries both; drop it if the lead re-chains 0040 onto 0010 instead.

Revision ID: 0041_merge_brokers_journal
Revises: 0010_brokers, 0040_journal
Create Date: 2026-11-24
"""
revision = "0041_merge_brokers_journal"
down_revision = ("0010_brokers", "0040_journal")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
