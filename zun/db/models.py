"""SQLAlchemy models of every table zun keeps.

The alembic revisions under ``migrations/versions``, applied in order,
create exactly these tables; a unit test (tests/unit/db/test_migration.py)
compares the two so they cannot drift apart: a column added here needs a
new revision. Datetimes are naive UTC.
"""
from __future__ import annotations

import datetime
from typing import Any

import sqlalchemy as sa
from oslo_db.sqlalchemy import models
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

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

    created_at: Mapped[datetime.datetime | None] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime.datetime | None] = mapped_column(DateTime, onupdate=utcnow)


class Container(_Timestamps, Base):
    __tablename__ = "container"
    __table_args__ = (
        sa.UniqueConstraint("uuid", name="uniq_container0uuid"),
        sa.Index("container_project_id_idx", "project_id"),
        sa.Index("container_host_idx", "host"),
        sa.Index("container_name_idx", "name"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(sa.String(36), nullable=False)
    container_id: Mapped[str | None] = mapped_column(sa.String(255))
    project_id: Mapped[str | None] = mapped_column(sa.String(255))
    user_id: Mapped[str | None] = mapped_column(sa.String(255))
    name: Mapped[str | None] = mapped_column(sa.String(255))
    image: Mapped[str | None] = mapped_column(sa.String(255))
    cpu: Mapped[float | None] = mapped_column(sa.Float)
    cpu_policy: Mapped[str | None] = mapped_column(sa.String(255))
    memory: Mapped[str | None] = mapped_column(sa.String(255))
    disk: Mapped[int | None] = mapped_column(sa.Integer)
    command: Mapped[Any | None] = mapped_column(sa.JSON)
    entrypoint: Mapped[Any | None] = mapped_column(sa.JSON)
    status: Mapped[str | None] = mapped_column(sa.String(255))
    status_reason: Mapped[str | None] = mapped_column(sa.Text)
    status_detail: Mapped[str | None] = mapped_column(sa.String(255))
    task_state: Mapped[str | None] = mapped_column(sa.String(255))
    environment: Mapped[Any | None] = mapped_column(sa.JSON)
    workdir: Mapped[str | None] = mapped_column(sa.String(255))
    ports: Mapped[Any | None] = mapped_column(sa.JSON)
    hostname: Mapped[str | None] = mapped_column(sa.String(255))
    labels: Mapped[Any | None] = mapped_column(sa.JSON)
    addresses: Mapped[Any | None] = mapped_column(sa.JSON)
    image_pull_policy: Mapped[str | None] = mapped_column(sa.String(255))
    image_driver: Mapped[str | None] = mapped_column(sa.String(255))
    host: Mapped[str | None] = mapped_column(sa.String(255))
    restart_policy: Mapped[Any | None] = mapped_column(sa.JSON)
    interactive: Mapped[bool | None] = mapped_column(sa.Boolean, default=False)
    tty: Mapped[bool | None] = mapped_column(sa.Boolean, default=False)
    security_groups: Mapped[Any | None] = mapped_column(sa.JSON)
    auto_remove: Mapped[bool | None] = mapped_column(sa.Boolean, default=False)
    auto_heal: Mapped[bool | None] = mapped_column(sa.Boolean, default=False)
    runtime: Mapped[str | None] = mapped_column(sa.String(255))
    privileged: Mapped[bool | None] = mapped_column(sa.Boolean, default=False)
    healthcheck: Mapped[Any | None] = mapped_column(sa.JSON)
    exposed_ports: Mapped[Any | None] = mapped_column(sa.JSON)
    # where the runtime published exposed_ports on the host (runtime facts,
    # written by the sync): [{"port", "protocol", "host_ip", "host_port"}]
    published_ports: Mapped[Any | None] = mapped_column(sa.JSON)
    registry_id: Mapped[int | None] = mapped_column(sa.Integer)
    exit_code: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    started_at: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1,
                                         server_default="1")
    # [{"type": "bind", "destination": ..., "content": <base64>}]: injected
    # files, kept here so the agent can recreate them (rebuild); capped by
    # the API
    mounts: Mapped[Any | None] = mapped_column(sa.JSON)


class ZunService(_Timestamps, Base):
    __tablename__ = "zun_service"
    __table_args__ = (
        sa.UniqueConstraint("host", "binary",
                            name="uniq_zun_service0host0binary"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    host: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    binary: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    disabled: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False,
                                           server_default=sa.false())
    disabled_reason: Mapped[str | None] = mapped_column(sa.String(255))
    forced_down: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False,
                                              server_default=sa.false())
    last_seen_up: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    report_count: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0,
                                              server_default="0")
    availability_zone: Mapped[str | None] = mapped_column(sa.String(255))
    driver: Mapped[str | None] = mapped_column(sa.String(255))
    capabilities: Mapped[Any | None] = mapped_column(sa.JSON)
    # The compute RPC API version the service serves (NULL: 1.0, it predates
    # this column); the API sends nothing newer (zun.common.actions).
    rpc_version: Mapped[str | None] = mapped_column(sa.String(16))


class ContainerAction(_Timestamps, Base):
    __tablename__ = "container_actions"
    __table_args__ = (
        sa.Index("container_actions_container_uuid_idx", "container_uuid"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    action: Mapped[str | None] = mapped_column(sa.String(255))
    container_uuid: Mapped[str] = mapped_column(sa.String(36), nullable=False)
    request_id: Mapped[str | None] = mapped_column(sa.String(255))
    user_id: Mapped[str | None] = mapped_column(sa.String(255))
    project_id: Mapped[str | None] = mapped_column(sa.String(255))
    start_time: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    finish_time: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    message: Mapped[str | None] = mapped_column(sa.String(255))
    # what the API accepted (e.g. {"run": true}); None for records that no
    # agent may resume (calls, agent-initiated work before 0006)
    intent: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    # resumes of this action after an interruption (zun/compute/resume.py)
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False,
                                          default=0, server_default="0")


class ContainerActionEvent(_Timestamps, Base):
    __tablename__ = "container_actions_events"
    __table_args__ = (
        sa.Index("container_actions_events_action_id_idx", "action_id"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    event: Mapped[str | None] = mapped_column(sa.String(255))
    action_id: Mapped[int] = mapped_column(
        sa.Integer,
        sa.ForeignKey("container_actions.id", ondelete="CASCADE",
                      name="container_actions_events_action_id_fkey"),
        nullable=False)
    start_time: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    finish_time: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    result: Mapped[str | None] = mapped_column(sa.String(255))
    traceback: Mapped[str | None] = mapped_column(sa.Text)
    details: Mapped[str | None] = mapped_column(sa.Text)


class ComputeNode(_Timestamps, Base):
    """Inventory and usage of one compute host, reported by its agent."""

    __tablename__ = "compute_node"
    __table_args__ = (
        sa.UniqueConstraint("uuid", name="uniq_compute_node0uuid"),
        sa.UniqueConstraint("hostname", name="uniq_compute_node0hostname"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(sa.String(36), nullable=False)
    hostname: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    cpus: Mapped[int | None] = mapped_column(sa.Integer)
    cpu_used: Mapped[float | None] = mapped_column(sa.Float)
    mem_total: Mapped[int | None] = mapped_column(sa.Integer)
    mem_used: Mapped[int | None] = mapped_column(sa.Integer)
    mem_free: Mapped[int | None] = mapped_column(sa.Integer)
    mem_available: Mapped[int | None] = mapped_column(sa.Integer)
    disk_total: Mapped[int | None] = mapped_column(sa.Integer)
    disk_used: Mapped[int | None] = mapped_column(sa.Integer)
    total_containers: Mapped[int | None] = mapped_column(sa.Integer)
    running_containers: Mapped[int | None] = mapped_column(sa.Integer)
    paused_containers: Mapped[int | None] = mapped_column(sa.Integer)
    stopped_containers: Mapped[int | None] = mapped_column(sa.Integer)
    architecture: Mapped[str | None] = mapped_column(sa.String(32))
    os_type: Mapped[str | None] = mapped_column(sa.String(32))
    os: Mapped[str | None] = mapped_column(sa.String(64))
    kernel_version: Mapped[str | None] = mapped_column(sa.String(128))
    labels: Mapped[Any | None] = mapped_column(sa.JSON)
    runtimes: Mapped[Any | None] = mapped_column(sa.JSON)
    enable_cpu_pinning: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False,
                                                     server_default=sa.false())


class Quota(_Timestamps, Base):
    """A project's own limit of one resource; absent means the default."""

    __tablename__ = "quotas"
    __table_args__ = (
        sa.UniqueConstraint("project_id", "resource",
                            name="uniq_quotas0project_id0resource"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    resource: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    hard_limit: Mapped[int] = mapped_column(sa.Integer, nullable=False)


class QuotaClass(_Timestamps, Base):
    """A named set of limits; the class ``default`` overrides the config."""

    __tablename__ = "quota_classes"
    __table_args__ = (
        sa.UniqueConstraint("class_name", "resource",
                            name="uniq_quota_classes0class_name0resource"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    class_name: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    resource: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    hard_limit: Mapped[int] = mapped_column(sa.Integer, nullable=False)


class ProjectLock(Base):
    """One row per project, locked (FOR UPDATE) while a create checks quota.

    A project with no quota rows still needs something to lock on MySQL and
    PostgreSQL, so concurrent creates of one project queue here.
    """

    __tablename__ = "project_lock"

    project_id: Mapped[str] = mapped_column(sa.String(255), primary_key=True)


class Image(_Timestamps, Base):
    """An image pulled onto (or committed on) one compute host.

    Upstream's fields (repo, tag, image_id, size, host, project and user),
    plus the pull's outcome: ``status`` (Pulling, Available, Error) with
    ``status_reason``, and every name the engine knows the image by
    (``tags``). One row per (host, repo, tag): a second pull of the same
    name refreshes that row.
    """

    __tablename__ = "image"
    __table_args__ = (
        sa.UniqueConstraint("uuid", name="uniq_image0uuid"),
        sa.UniqueConstraint("host", "repo", "tag", name="uniq_image0host0repo0tag"),
        sa.Index("image_host_idx", "host"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(sa.String(36), nullable=False)
    repo: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    tag: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    image_id: Mapped[str | None] = mapped_column(sa.String(255))
    size: Mapped[int | None] = mapped_column(sa.BigInteger)
    host: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    project_id: Mapped[str | None] = mapped_column(sa.String(255))
    user_id: Mapped[str | None] = mapped_column(sa.String(255))
    status: Mapped[str | None] = mapped_column(sa.String(32))
    status_reason: Mapped[str | None] = mapped_column(sa.Text)
    tags: Mapped[Any | None] = mapped_column(sa.JSON)


class Registry(_Timestamps, Base):
    """A project's private registry: where (``domain``, ``host[:port]``) and
    with which account its containers pull.

    ``password`` holds the Fernet token of the password (encrypted by the
    DB API under ``[registry] key``), never the password itself.
    """

    __tablename__ = "registry"
    __table_args__ = (
        sa.UniqueConstraint("uuid", name="uniq_registry0uuid"),
        sa.Index("registry_project_id_idx", "project_id"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(sa.String(36), nullable=False)
    name: Mapped[str | None] = mapped_column(sa.String(255))
    domain: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    username: Mapped[str | None] = mapped_column(sa.String(255))
    password: Mapped[str | None] = mapped_column(sa.Text)
    project_id: Mapped[str | None] = mapped_column(sa.String(255))
    user_id: Mapped[str | None] = mapped_column(sa.String(255))


class ConsoleToken(Base):
    """A single-use console token (attach or exec -it) of one container.

    ``token_hash`` is the SHA-256 of the token (zun/common/console_token.py);
    ``used_at`` is set by the one connection that consumes it. Rows are
    purged once expired, so the table holds at most a few minutes of tokens.
    """

    __tablename__ = "console_token"
    __table_args__ = (
        sa.UniqueConstraint("token_hash", name="uniq_console_token0token_hash"),
        sa.Index("console_token_project_created_idx", "project_id", "created_at"),
        sa.Index("console_token_expires_idx", "expires_at"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    container_uuid: Mapped[str] = mapped_column(sa.String(36), nullable=False)
    project_id: Mapped[str | None] = mapped_column(sa.String(255))
    user_id: Mapped[str | None] = mapped_column(sa.String(255))
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    exec_id: Mapped[str | None] = mapped_column(sa.String(255))
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime, nullable=False,
                                                          default=utcnow)
    expires_at: Mapped[datetime.datetime] = mapped_column(DateTime, nullable=False)
    used_at: Mapped[datetime.datetime | None] = mapped_column(DateTime)
