"""What an accepted action asked for, and how often it was resumed.

Revision ID: 0006_action_intent
Revises: 0005_published_ports
Create Date: 2026-11-30 08:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_action_intent"
down_revision = "0005_published_ports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The parameters the API accepted (run, image, timeout, ...): enough for
    # an agent restarted mid-operation to finish it (zun/compute/resume.py).
    op.add_column("container_actions", sa.Column("intent", sa.JSON))
    op.add_column("container_actions",
                  sa.Column("attempts", sa.Integer, nullable=False,
                            server_default="0"))


def downgrade() -> None:
    op.drop_column("container_actions", "attempts")
    op.drop_column("container_actions", "intent")
