"""The RPC API version each service serves, for rolling upgrades.

Revision ID: 0004_service_rpc_version
Revises: 0003_quotas
Create Date: 2026-11-30 06:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_service_rpc_version"
down_revision = "0003_quotas"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL: a service that predates the column, i.e. one serving RPC 1.0.
    op.add_column("zun_service", sa.Column("rpc_version", sa.String(16)))


def downgrade() -> None:
    op.drop_column("zun_service", "rpc_version")
