"""Private registries (/v1/registries): a project's registry and account.

The password column holds a Fernet token (zun/common/registry_secrets.py),
never the password. ``container.registry_id`` exists since 0001.

Revision ID: 0008_registries
Revises: 0007_images
Create Date: 2026-11-30 09:40:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0008_registries"
down_revision = "0007_images"
branch_labels = None
depends_on = None

_DateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql")


def upgrade() -> None:
    op.create_table(
        "registry",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("name", sa.String(255)),
        sa.Column("domain", sa.String(255), nullable=False),
        sa.Column("username", sa.String(255)),
        sa.Column("password", sa.Text),
        sa.Column("project_id", sa.String(255)),
        sa.Column("user_id", sa.String(255)),
        sa.Column("created_at", _DateTime),
        sa.Column("updated_at", _DateTime),
        sa.UniqueConstraint("uuid", name="uniq_registry0uuid"),
    )
    op.create_index("registry_project_id_idx", "registry", ["project_id"])


def downgrade() -> None:
    op.drop_index("registry_project_id_idx", table_name="registry")
    op.drop_table("registry")
