"""Container bind mounts and the compute_node inventory table.

Revision ID: 0002_mounts_compute_node
Revises: 0001_initial
Create Date: 2026-11-22 02:00:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0002_mounts_compute_node"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

DateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql")


def upgrade() -> None:
    op.add_column("container", sa.Column("mounts", sa.JSON))
    op.create_table(
        "compute_node",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("hostname", sa.String(255), nullable=False),
        sa.Column("cpus", sa.Integer),
        sa.Column("cpu_used", sa.Float),
        sa.Column("mem_total", sa.Integer),
        sa.Column("mem_used", sa.Integer),
        sa.Column("mem_free", sa.Integer),
        sa.Column("mem_available", sa.Integer),
        sa.Column("disk_total", sa.Integer),
        sa.Column("disk_used", sa.Integer),
        sa.Column("total_containers", sa.Integer),
        sa.Column("running_containers", sa.Integer),
        sa.Column("paused_containers", sa.Integer),
        sa.Column("stopped_containers", sa.Integer),
        sa.Column("architecture", sa.String(32)),
        sa.Column("os_type", sa.String(32)),
        sa.Column("os", sa.String(64)),
        sa.Column("kernel_version", sa.String(128)),
        sa.Column("labels", sa.JSON),
        sa.Column("runtimes", sa.JSON),
        sa.Column("enable_cpu_pinning", sa.Boolean, nullable=False,
                  server_default=sa.false()),
        sa.Column("created_at", DateTime),
        sa.Column("updated_at", DateTime),
        sa.UniqueConstraint("uuid", name="uniq_compute_node0uuid"),
        sa.UniqueConstraint("hostname", name="uniq_compute_node0hostname"),
    )


def downgrade() -> None:
    op.drop_table("compute_node")
    op.drop_column("container", "mounts")
