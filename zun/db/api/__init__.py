"""The DB API: every read and write of zun's state goes through these functions.

Each takes the request context first. Container reads are scoped to
``context.project_id`` unless ``context.all_projects`` is set (an admin who
asked for it), so another project's container is simply "not found".

Functions return detached model objects (``zun.db.models``) whose columns are
loaded; they never lazy-load. Every status/task_state write on a container is
a compare-and-set through :func:`container_update` with ``expected``.

One module per table group (containers, claims, actions, services,
compute_nodes, quotas, images, registries, console_tokens); this package re-exports their
public functions, so
callers keep writing ``from zun.db import api as db_api``.
"""
from zun.db.api.actions import (
    action_count_attempt,
    action_event_finish,
    action_event_start,
    action_events_get,
    action_finish,
    action_get_by_request_id,
    action_in_flight,
    action_start,
    actions_get,
)
from zun.db.api.claims import holds_on_host, host_usage
from zun.db.api.compute_nodes import (
    compute_node_destroy,
    compute_node_get,
    compute_node_list,
    compute_node_upsert,
)
from zun.db.api.console_tokens import console_token_consume, console_token_create
from zun.db.api.containers import (
    container_claim,
    container_create,
    container_destroy,
    container_get,
    container_get_by_uuid,
    container_list,
    container_list_by_host,
    container_update,
)
from zun.db.api.images import (
    image_claim,
    image_create,
    image_destroy,
    image_find,
    image_get,
    image_list,
    image_list_by_host,
    image_update,
)
from zun.db.api.quotas import (
    DEFAULT_QUOTA_CLASS,
    quota_class_get,
    quota_class_update,
    quota_defaults,
    quota_destroy,
    quota_get,
    quota_update,
    quota_usage,
)
from zun.db.api.registries import (
    registry_create,
    registry_destroy,
    registry_get,
    registry_get_by_id,
    registry_list,
    registry_rekey,
    registry_update,
)
from zun.db.api.services import (
    service_create,
    service_destroy,
    service_get,
    service_heartbeat,
    service_list,
    service_list_schedulable,
    service_update,
)

__all__ = [
    "container_create",
    "container_get",
    "container_get_by_uuid",
    "container_list",
    "container_list_by_host",
    "container_update",
    "container_claim",
    "container_destroy",
    "host_usage",
    "holds_on_host",
    "action_start",
    "action_finish",
    "action_get_by_request_id",
    "action_in_flight",
    "action_count_attempt",
    "actions_get",
    "action_event_start",
    "action_event_finish",
    "action_events_get",
    "service_create",
    "service_get",
    "service_list",
    "service_update",
    "service_heartbeat",
    "service_destroy",
    "service_list_schedulable",
    "compute_node_upsert",
    "compute_node_get",
    "compute_node_list",
    "compute_node_destroy",
    "quota_class_get",
    "quota_defaults",
    "quota_class_update",
    "quota_get",
    "quota_update",
    "quota_destroy",
    "quota_usage",
    "DEFAULT_QUOTA_CLASS",
    "image_create",
    "image_claim",
    "image_get",
    "image_find",
    "image_list",
    "image_list_by_host",
    "image_update",
    "image_destroy",
    "registry_create",
    "registry_get",
    "registry_get_by_id",
    "registry_list",
    "registry_update",
    "registry_destroy",
    "registry_rekey",
    "console_token_create",
    "console_token_consume",
]
