"""Console tokens of attach and exec -it (single use, expiring).

Revision ID: 0009_console_tokens
Revises: 0008_registries
Create Date: 2026-11-30 12:00:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0009_console_tokens"
down_revision = "0008_registries"
branch_labels = None
depends_on = None

_DateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql")


def upgrade() -> None:
    op.create_table(
        "console_token",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("container_uuid", sa.String(36), nullable=False),
        sa.Column("project_id", sa.String(255)),
        sa.Column("user_id", sa.String(255)),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("exec_id", sa.String(255)),
        sa.Column("created_at", _DateTime, nullable=False),
        sa.Column("expires_at", _DateTime, nullable=False),
        sa.Column("used_at", _DateTime),
        sa.UniqueConstraint("token_hash", name="uniq_console_token0token_hash"),
    )
    op.create_index("console_token_project_created_idx", "console_token",
                    ["project_id", "created_at"])
    op.create_index("console_token_expires_idx", "console_token", ["expires_at"])


def downgrade() -> None:
    op.drop_index("console_token_expires_idx", table_name="console_token")
    op.drop_index("console_token_project_created_idx", table_name="console_token")
    op.drop_table("console_token")
