"""Initial schema: containers, services, container actions and events.

Revision ID: 0001_initial
Revises:
Create Date: 2025-01-01 00:00:00
"""
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None

# Frozen copy of zun.db.models.DateTime: migrations never import models.
DateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql")


def _timestamps() -> list[sa.Column[Any]]:
    return [sa.Column("created_at", DateTime),
            sa.Column("updated_at", DateTime)]


def upgrade() -> None:
    op.create_table(
        "container",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("container_id", sa.String(255)),
        sa.Column("project_id", sa.String(255)),
        sa.Column("user_id", sa.String(255)),
        sa.Column("name", sa.String(255)),
        sa.Column("image", sa.String(255)),
        sa.Column("cpu", sa.Float),
        sa.Column("cpu_policy", sa.String(255)),
        sa.Column("memory", sa.String(255)),
        sa.Column("disk", sa.Integer),
        sa.Column("command", sa.JSON),
        sa.Column("entrypoint", sa.JSON),
        sa.Column("status", sa.String(255)),
        sa.Column("status_reason", sa.Text),
        sa.Column("status_detail", sa.String(255)),
        sa.Column("task_state", sa.String(255)),
        sa.Column("environment", sa.JSON),
        sa.Column("workdir", sa.String(255)),
        sa.Column("ports", sa.JSON),
        sa.Column("hostname", sa.String(255)),
        sa.Column("labels", sa.JSON),
        sa.Column("addresses", sa.JSON),
        sa.Column("image_pull_policy", sa.String(255)),
        sa.Column("image_driver", sa.String(255)),
        sa.Column("host", sa.String(255)),
        sa.Column("restart_policy", sa.JSON),
        sa.Column("interactive", sa.Boolean),
        sa.Column("tty", sa.Boolean),
        sa.Column("security_groups", sa.JSON),
        sa.Column("auto_remove", sa.Boolean),
        sa.Column("auto_heal", sa.Boolean),
        sa.Column("runtime", sa.String(255)),
        sa.Column("privileged", sa.Boolean),
        sa.Column("healthcheck", sa.JSON),
        sa.Column("exposed_ports", sa.JSON),
        sa.Column("registry_id", sa.Integer),
        sa.Column("exit_code", sa.Integer, nullable=True),
        sa.Column("started_at", DateTime),
        sa.Column("finished_at", DateTime),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        *_timestamps(),
        sa.UniqueConstraint("uuid", name="uniq_container0uuid"),
    )
    op.create_index("container_project_id_idx", "container", ["project_id"])
    op.create_index("container_host_idx", "container", ["host"])
    op.create_index("container_name_idx", "container", ["name"])

    op.create_table(
        "zun_service",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("binary", sa.String(255), nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False,
                  server_default=sa.false()),
        sa.Column("disabled_reason", sa.String(255)),
        sa.Column("forced_down", sa.Boolean, nullable=False,
                  server_default=sa.false()),
        sa.Column("last_seen_up", DateTime),
        sa.Column("report_count", sa.Integer, nullable=False,
                  server_default="0"),
        sa.Column("availability_zone", sa.String(255)),
        sa.Column("driver", sa.String(255)),
        sa.Column("capabilities", sa.JSON),
        *_timestamps(),
        sa.UniqueConstraint("host", "binary",
                            name="uniq_zun_service0host0binary"),
    )

    op.create_table(
        "container_actions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("action", sa.String(255)),
        sa.Column("container_uuid", sa.String(36), nullable=False),
        sa.Column("request_id", sa.String(255)),
        sa.Column("user_id", sa.String(255)),
        sa.Column("project_id", sa.String(255)),
        sa.Column("start_time", DateTime),
        sa.Column("finish_time", DateTime),
        sa.Column("message", sa.String(255)),
        *_timestamps(),
    )
    op.create_index("container_actions_container_uuid_idx",
                    "container_actions", ["container_uuid"])

    op.create_table(
        "container_actions_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("event", sa.String(255)),
        sa.Column("action_id", sa.Integer, nullable=False),
        sa.Column("start_time", DateTime),
        sa.Column("finish_time", DateTime),
        sa.Column("result", sa.String(255)),
        sa.Column("traceback", sa.Text),
        sa.Column("details", sa.Text),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["action_id"], ["container_actions.id"], ondelete="CASCADE",
            name="container_actions_events_action_id_fkey"),
    )
    op.create_index("container_actions_events_action_id_idx",
                    "container_actions_events", ["action_id"])
