"""SQLAlchemy models of zun's four tables.

The initial alembic revision creates exactly these tables; a unit test
compares the two so they cannot drift apart. Datetimes are naive UTC.
"""
from __future__ import annotations

import datetime
from typing import Any

import sqlalchemy as sa
from oslo_db.sqlalchemy import models
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase

# MySQL's plain DATETIME drops microseconds; keep them everywhere alike.
DateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql")


def utcnow() -> datetime.datetime:
    """Naive UTC now: every datetime column stores naive UTC."""
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase, models.ModelBase):
    """Declarative base with oslo.db's dict-like helpers."""

    def as_dict(self) -> dict[str, Any]:
        """Column name -> value, for views and RPC payloads."""
        return {c.name: getattr(self, c.key) for c in self.__table__.columns}


class _Timestamps:
    """created_at/updated_at, set on insert and on every ORM update.

    Written here rather than taken from oslo.db's TimestampMixin so the
    timestamps come from the same naive-UTC clock as the other columns.
    """

    created_at = sa.Column(DateTime, default=utcnow)
    updated_at = sa.Column(DateTime, onupdate=utcnow)


class Container(_Timestamps, Base):
    __tablename__ = "container"
    __table_args__ = (
        sa.UniqueConstraint("uuid", name="uniq_container0uuid"),
        sa.Index("container_project_id_idx", "project_id"),
        sa.Index("container_host_idx", "host"),
        sa.Index("container_name_idx", "name"),
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    uuid = sa.Column(sa.String(36), nullable=False)
    container_id = sa.Column(sa.String(255))
    project_id = sa.Column(sa.String(255))
    user_id = sa.Column(sa.String(255))
    name = sa.Column(sa.String(255))
    image = sa.Column(sa.String(255))
    cpu = sa.Column(sa.Float)
    cpu_policy = sa.Column(sa.String(255))
    memory = sa.Column(sa.String(255))
    disk = sa.Column(sa.Integer)
    command = sa.Column(sa.JSON)
    entrypoint = sa.Column(sa.JSON)
    status = sa.Column(sa.String(255))
    status_reason = sa.Column(sa.Text)
    status_detail = sa.Column(sa.String(255))
    task_state = sa.Column(sa.String(255))
    environment = sa.Column(sa.JSON)
    workdir = sa.Column(sa.String(255))
    ports = sa.Column(sa.JSON)
    hostname = sa.Column(sa.String(255))
    labels = sa.Column(sa.JSON)
    addresses = sa.Column(sa.JSON)
    image_pull_policy = sa.Column(sa.String(255))
    image_driver = sa.Column(sa.String(255))
    host = sa.Column(sa.String(255))
    restart_policy = sa.Column(sa.JSON)
    interactive = sa.Column(sa.Boolean, default=False)
    tty = sa.Column(sa.Boolean, default=False)
    security_groups = sa.Column(sa.JSON)
    auto_remove = sa.Column(sa.Boolean, default=False)
    auto_heal = sa.Column(sa.Boolean, default=False)
    runtime = sa.Column(sa.String(255))
    privileged = sa.Column(sa.Boolean, default=False)
    healthcheck = sa.Column(sa.JSON)
    exposed_ports = sa.Column(sa.JSON)
    registry_id = sa.Column(sa.Integer)
    exit_code = sa.Column(sa.Integer, nullable=True)
    started_at = sa.Column(DateTime)
    finished_at = sa.Column(DateTime)
    version = sa.Column(sa.Integer, nullable=False, default=1,
                        server_default="1")
    # [{"type": "bind", "destination": ..., "content": <base64>}]: injected
    # files, kept here so the agent can recreate them (rebuild); capped by
    # the API
    mounts = sa.Column(sa.JSON)


class ZunService(_Timestamps, Base):
    __tablename__ = "zun_service"
    __table_args__ = (
        sa.UniqueConstraint("host", "binary",
                            name="uniq_zun_service0host0binary"),
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    host = sa.Column(sa.String(255), nullable=False)
    binary = sa.Column(sa.String(255), nullable=False)
    disabled = sa.Column(sa.Boolean, nullable=False, default=False,
                         server_default=sa.false())
    disabled_reason = sa.Column(sa.String(255))
    forced_down = sa.Column(sa.Boolean, nullable=False, default=False,
                            server_default=sa.false())
    last_seen_up = sa.Column(DateTime)
    report_count = sa.Column(sa.Integer, nullable=False, default=0,
                             server_default="0")
    availability_zone = sa.Column(sa.String(255))
    driver = sa.Column(sa.String(255))
    capabilities = sa.Column(sa.JSON)


class ContainerAction(_Timestamps, Base):
    __tablename__ = "container_actions"
    __table_args__ = (
        sa.Index("container_actions_container_uuid_idx", "container_uuid"),
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    action = sa.Column(sa.String(255))
    container_uuid = sa.Column(sa.String(36), nullable=False)
    request_id = sa.Column(sa.String(255))
    user_id = sa.Column(sa.String(255))
    project_id = sa.Column(sa.String(255))
    start_time = sa.Column(DateTime)
    finish_time = sa.Column(DateTime)
    message = sa.Column(sa.String(255))


class ContainerActionEvent(_Timestamps, Base):
    __tablename__ = "container_actions_events"
    __table_args__ = (
        sa.Index("container_actions_events_action_id_idx", "action_id"),
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    event = sa.Column(sa.String(255))
    action_id = sa.Column(
        sa.Integer,
        sa.ForeignKey("container_actions.id", ondelete="CASCADE",
                      name="container_actions_events_action_id_fkey"),
        nullable=False)
    start_time = sa.Column(DateTime)
    finish_time = sa.Column(DateTime)
    result = sa.Column(sa.String(255))
    traceback = sa.Column(sa.Text)
    details = sa.Column(sa.Text)


class ComputeNode(_Timestamps, Base):
    """Inventory and usage of one compute host, reported by its agent."""

    __tablename__ = "compute_node"
    __table_args__ = (
        sa.UniqueConstraint("uuid", name="uniq_compute_node0uuid"),
        sa.UniqueConstraint("hostname", name="uniq_compute_node0hostname"),
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    uuid = sa.Column(sa.String(36), nullable=False)
    hostname = sa.Column(sa.String(255), nullable=False)
    cpus = sa.Column(sa.Integer)
    cpu_used = sa.Column(sa.Float)
    mem_total = sa.Column(sa.Integer)
    mem_used = sa.Column(sa.Integer)
    mem_free = sa.Column(sa.Integer)
    mem_available = sa.Column(sa.Integer)
    disk_total = sa.Column(sa.Integer)
    disk_used = sa.Column(sa.Integer)
    total_containers = sa.Column(sa.Integer)
    running_containers = sa.Column(sa.Integer)
    paused_containers = sa.Column(sa.Integer)
    stopped_containers = sa.Column(sa.Integer)
    architecture = sa.Column(sa.String(32))
    os_type = sa.Column(sa.String(32))
    os = sa.Column(sa.String(64))
    kernel_version = sa.Column(sa.String(128))
    labels = sa.Column(sa.JSON)
    runtimes = sa.Column(sa.JSON)
    enable_cpu_pinning = sa.Column(sa.Boolean, nullable=False, default=False,
                                   server_default=sa.false())


class Quota(_Timestamps, Base):
    """A project's own limit of one resource; absent means the default."""

    __tablename__ = "quotas"
    __table_args__ = (
        sa.UniqueConstraint("project_id", "resource",
                            name="uniq_quotas0project_id0resource"),
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    project_id = sa.Column(sa.String(255), nullable=False)
    resource = sa.Column(sa.String(255), nullable=False)
    hard_limit = sa.Column(sa.Integer, nullable=False)


class QuotaClass(_Timestamps, Base):
    """A named set of limits; the class ``default`` overrides the config."""

    __tablename__ = "quota_classes"
    __table_args__ = (
        sa.UniqueConstraint("class_name", "resource",
                            name="uniq_quota_classes0class_name0resource"),
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    class_name = sa.Column(sa.String(255), nullable=False)
    resource = sa.Column(sa.String(255), nullable=False)
    hard_limit = sa.Column(sa.Integer, nullable=False)


class ProjectLock(Base):
    """One row per project, locked (FOR UPDATE) while a create checks quota.

    A project with no quota rows still needs something to lock on MySQL and
    PostgreSQL, so concurrent creates of one project queue here.
    """

    __tablename__ = "project_lock"

    project_id = sa.Column(sa.String(255), primary_key=True)
