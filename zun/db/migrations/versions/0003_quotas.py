"""Per-project quotas, quota classes and the per-project lock row.

Revision ID: 0003_quotas
Revises: 0002_mounts_compute_node
Create Date: 2026-11-22 03:20:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0003_quotas"
down_revision = "0002_mounts_compute_node"
branch_labels = None
depends_on = None

DateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql")


def _limits_table(name: str, owner: str) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(owner, sa.String(255), nullable=False),
        sa.Column("resource", sa.String(255), nullable=False),
        sa.Column("hard_limit", sa.Integer, nullable=False),
        sa.Column("created_at", DateTime),
        sa.Column("updated_at", DateTime),
        sa.UniqueConstraint(owner, "resource",
                            name=f"uniq_{name}0{owner}0resource"),
    )


def upgrade() -> None:
    _limits_table("quotas", "project_id")
    _limits_table("quota_classes", "class_name")
    op.create_table(
        "project_lock",
        sa.Column("project_id", sa.String(255), primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("project_lock")
    op.drop_table("quota_classes")
    op.drop_table("quotas")
