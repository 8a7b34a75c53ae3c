"""Images pulled onto (or committed on) compute hosts.

Revision ID: 0007_images
Revises: 0006_action_intent
Create Date: 2026-11-30 09:20:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0007_images"
down_revision = "0006_action_intent"
branch_labels = None
depends_on = None

_DateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql")


def upgrade() -> None:
    op.create_table(
        "image",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("repo", sa.String(255), nullable=False),
        sa.Column("tag", sa.String(255), nullable=False),
        sa.Column("image_id", sa.String(255)),
        sa.Column("size", sa.BigInteger),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("project_id", sa.String(255)),
        sa.Column("user_id", sa.String(255)),
        # Pulling, Available or Error (with status_reason)
        sa.Column("status", sa.String(32)),
        sa.Column("status_reason", sa.Text),
        # every name the engine knows the image by
        sa.Column("tags", sa.JSON),
        sa.Column("created_at", _DateTime),
        sa.Column("updated_at", _DateTime),
        sa.UniqueConstraint("uuid", name="uniq_image0uuid"),
        sa.UniqueConstraint("host", "repo", "tag", name="uniq_image0host0repo0tag"),
    )
    op.create_index("image_host_idx", "image", ["host"])


def downgrade() -> None:
    op.drop_index("image_host_idx", table_name="image")
    op.drop_table("image")
