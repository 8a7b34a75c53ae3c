"""Where a container's exposed ports are published on its compute host.

Revision ID: 0005_published_ports
Revises: 0004_service_rpc_version
Create Date: 2026-12-02 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_published_ports"
down_revision = "0004_service_rpc_version"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # [{"port", "protocol", "host_ip", "host_port"}] as the runtime reports
    # them; NULL until the state sync writes the row again.
    op.add_column("container", sa.Column("published_ports", sa.JSON))


def downgrade() -> None:
    op.drop_column("container", "published_ports")
