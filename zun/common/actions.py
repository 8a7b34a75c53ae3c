"""The container action registry: each action declared once, as data.

An action is everything a user can ask of a container. Its row says how it
is reached (HTTP method and route, microversion window), who may do it
(policy rule and default), when (allowed statuses, whether it overrides an
operation in flight), what it claims while it runs (task state), what the
host's runtime must be able to do (driver capability) and how the API hands
it to the agent (agent method, cast or call, the RPC version that first
served it). The controller routes, policy defaults, the compute API's
checks, the manager's dispatch and the OpenAPI document all read these rows;
``tests/unit/common/test_actions.py`` fails when any of them disagrees.

Adding an action is one row here plus its driver method (and, when it takes
more than the generic query parameters, its controller handler).
"""
from __future__ import annotations

import dataclasses
from typing import Any, Literal

from zun.common import exception
from zun.common import states as st

# Policy defaults (the rule names in zun.common.policies.base; repeated as
# strings because policies import this module, not the other way round): a
# project's readers may run the actions that only read (GET), its members
# every other one.
READER = "rule:project_reader"
MEMBER = "rule:project_member"
ADMIN = "rule:admin_api"

# The RPC API version of the compute agent (zun.compute.manager serves it,
# zun.compute.rpcapi sends with it). Bump the minor for every new agent
# method or argument and add a line to RPC_HISTORY; an action's
# ``rpc_version`` is the version that first served it, so a newer API never
# sends it to an older agent (see compute.api's version check).
RPC_VERSION = "1.3"
RPC_HISTORY: tuple[tuple[str, str], ...] = (
    ("1.0", "container_create, container_action (start, stop, reboot, pause, "
            "unpause, kill), container_delete, container_rebuild, "
            "container_update, container_logs, container_exec, container_top, "
            "container_stats"),
    ("1.1", "container_network_attach, container_network_detach (the "
            "project's networks on the host)"),
    ("1.2", "container_get_archive, container_put_archive (cp), "
            "container_commit, image_pull, image_delete, image_search"),
    ("1.3", "container_console (a one-time relay ticket for the console proxy), "
            "container_resize, container_exec_resize, container_exec's "
            "interactive and run arguments"),
)


@dataclasses.dataclass(frozen=True)
class Param:
    """A query parameter of a generic action, passed to the driver as is.

    ``kind`` says how the API reads it ("int": a non-negative integer;
    "signal": a signal name or number); ``schema`` documents it in OpenAPI.
    ``maximum`` ("group.option") names the config option bounding an "int"
    (the API reads it; a larger value is a 400): operators set the bound,
    so the row names it rather than holding a number.
    """

    name: str
    kind: Literal["int", "signal"]
    description: str
    schema: dict[str, Any]
    maximum: str | None = None


_TIMEOUT = Param("timeout", "int",
                 "Seconds before SIGKILL; at most [docker] max_stop_timeout.",
                 {"anyOf": [{"type": "integer", "minimum": 0},
                            {"type": "string", "const": "None"}]},
                 maximum="docker.max_stop_timeout")
_SIGNAL = Param("signal", "signal", "Signal name or number; 'None' means the default.",
                {"type": "string", "minLength": 1, "maxLength": 32,
                 "pattern": "^[A-Za-z0-9+]+$"})


@dataclasses.dataclass(frozen=True)
class Action:
    """One container action. See the module docstring for what reads what."""

    name: str
    summary: str
    method: Literal["GET", "POST", "PATCH", "DELETE"]
    # Path under /v1/containers/{container_ident}: "" is the container itself;
    # None is the collection (create) or a variant of another action's route.
    route: str | None
    allowed: tuple[str, ...] | None      # statuses it may run from; None: any
    task_state: str | None = None        # claimed while in flight
    capability: str | None = None        # what the host's driver must offer
    agent_method: str | None = None      # the manager's RPC endpoint method
    rpc: Literal["cast", "call"] | None = None
    rpc_version: str = "1.0"             # the agent RPC version that first served it
    driver_method: str | None = None     # for generic actions: the driver's method
    params: tuple[Param, ...] = ()       # generic actions' query parameters
    policy_default: str = MEMBER
    min_version: str = "1.1"
    max_version: str | None = None       # last version serving it (None: current)
    overrides_task: bool = False         # may run while another task is in flight
    # waits as long as the caller asks (a grace period): the agent runs it on
    # a pool of its own so it cannot hold the workers other tenants need
    waits: bool = False
    # What an agent restarted mid-operation does with it (zun/compute/resume.py):
    # "redo" runs it again (the driver contract makes state changes
    # idempotent); "redo_if_running" only while the container still runs
    # (kill: a signal that cannot be caught was then never delivered);
    # "resolve" takes the runtime's state. None: "redo" for a cast (its
    # caller was told 202), "resolve" for a call (its caller got an error).
    resume: Literal["redo", "redo_if_running", "resolve"] | None = None
    variant_of: str | None = None        # shares the route of this action

    @property
    def policy(self) -> str:
        """The oslo.policy rule name, ``container:<name>``."""
        return "container:%s" % self.name

    @property
    def resume_mode(self) -> str:
        """``resume``, or its default (see the field)."""
        if self.resume:
            return self.resume
        return "redo" if self.rpc == "cast" else "resolve"

    @property
    def resumable(self) -> bool:
        """Finished by the agent after an interruption (agent restart, lost
        request, an engine not answering) rather than resolved from the
        runtime, so the API records its intent."""
        return self.resume_mode != "resolve"

    @property
    def generic(self) -> bool:
        """Served by the controller's generic handler and the manager's
        ``container_action``: a state change that is one driver call."""
        return self.driver_method is not None


_DELETABLE = (st.CREATED, st.ERROR, st.STOPPED, st.DELETED, st.DEAD)
# The runtime connects and disconnects created, running and stopped ones.
_NETWORKABLE = (st.CREATED, st.RUNNING, st.STOPPED)
_RUNNING = (st.RUNNING,)
_ARCHIVABLE = (st.CREATED, st.PAUSED, st.RUNNING, st.STOPPED)


def _generic(name: str, summary: str, allowed: tuple[str, ...], task: str,
             params: tuple[Param, ...] = (), waits: bool = False,
             resume: Literal["redo", "redo_if_running", "resolve"] | None = None
             ) -> Action:
    return Action(name, summary, "POST", name, allowed, task_state=task,
                  capability=name, agent_method="container_action", rpc="cast",
                  driver_method=name, params=params, waits=waits, resume=resume)


_ROWS = (
    Action("create", "Create a container (and start it with run=true).", "POST", None,
           None, task_state=st.CONTAINER_CREATING, capability="create",
           agent_method="container_create", rpc="cast"),
    Action("update", "Update cpu, memory, name or auto_heal.", "PATCH", "",
           (st.CREATED, st.RUNNING, st.STOPPED, st.PAUSED),
           task_state=st.CONTAINER_UPDATING, capability="update",
           # a call, yet its new limits are already claimed on the row and
           # applying them again changes nothing: finished after a restart
           agent_method="container_update", rpc="call", resume="redo"),
    Action("delete", "Delete a container.", "DELETE", "", _DELETABLE,
           task_state=st.CONTAINER_DELETING, capability="delete",
           agent_method="container_delete", rpc="cast"),
    Action("delete_after_stop", "Delete a container, stopping it first (?stop=true).",
           "DELETE", None, _DELETABLE + (st.RUNNING,),
           task_state=st.CONTAINER_DELETING, capability="delete",
           agent_method="container_delete", rpc="cast", variant_of="delete"),
    Action("delete_force", "Delete a container whatever its status (?force=true).",
           "DELETE", None, tuple(s for s in st.ALL_STATUSES if s != st.PAUSED),
           task_state=st.CONTAINER_DELETING, capability="delete",
           agent_method="container_delete", rpc="cast", policy_default=ADMIN,
           overrides_task=True, variant_of="delete"),
    _generic("start", "Start a Created/Stopped container.",
             (st.CREATED, st.STOPPED, st.ERROR), st.CONTAINER_STARTING),
    _generic("stop", "Stop a running container.", _RUNNING, st.CONTAINER_STOPPING,
             (_TIMEOUT,), waits=True),
    _generic("reboot", "Restart a container.", (st.CREATED, st.RUNNING, st.STOPPED, st.ERROR),
             st.CONTAINER_REBOOTING, (_TIMEOUT,), waits=True),
    _generic("pause", "Pause a running container.", _RUNNING, st.CONTAINER_PAUSING),
    _generic("unpause", "Unpause a paused container.", (st.PAUSED,),
             st.CONTAINER_UNPAUSING),
    _generic("kill", "Send a signal (default SIGKILL).", _RUNNING, st.CONTAINER_KILLING,
             (_SIGNAL,), resume="redo_if_running"),
    Action("rebuild", "Recreate the runtime container, optionally from another image.",
           "POST", "rebuild", (st.CREATED, st.RUNNING, st.STOPPED, st.ERROR),
           task_state=st.CONTAINER_REBUILDING, capability="create",
           agent_method="container_rebuild", rpc="cast"),
    Action("rename", "Rename (later versions: PATCH the name).", "POST", "rename",
           None, max_version="1.13"),
    Action("execute", "Run a command in a running container and return its output.",
           "POST", "execute", _RUNNING, capability="exec",
           agent_method="container_exec", rpc="call"),
    # Consoles (attach, exec -it): the API hands out a token and the proxy's
    # connection calls the agent ("attach" is that call: container_console
    # answers a one-time relay ticket). Members only: a console types into
    # the container.
    Action("attach", "A websocket URL (one-time token) to the container's console.",
           "GET", "attach", _RUNNING, capability="attach",
           agent_method="container_console", rpc="call", rpc_version="1.3"),
    Action("resize", "Resize the container's tty (h rows, w columns).", "POST",
           "resize", _RUNNING, capability="attach", agent_method="container_resize",
           rpc="call", rpc_version="1.3"),
    Action("execute_resize", "Resize an interactive exec's tty.", "POST",
           "execute_resize", _RUNNING, capability="attach",
           agent_method="container_exec_resize", rpc="call", rpc_version="1.3"),
    Action("logs", "The container's output.", "GET", "logs",
           (st.CREATED, st.ERROR, st.PAUSED, st.RUNNING, st.STOPPED, st.UNKNOWN),
           capability="logs", agent_method="container_logs", rpc="call",
           policy_default=READER),
    Action("top", "The container's processes.", "GET", "top", _RUNNING,
           capability="top", agent_method="container_top", rpc="call",
           policy_default=READER),
    Action("stats", "One resource-usage sample.", "GET", "stats", _RUNNING,
           capability="stats", agent_method="container_stats", rpc="call",
           policy_default=READER),
    # Calls, not casts (upstream casts and answers 200 regardless): the
    # answer says whether the runtime really connected the container.
    Action("network_attach", "Connect the container to one of its project's networks.",
           "POST", "network_attach", _NETWORKABLE, task_state=st.NETWORK_ATTACHING,
           capability="network", agent_method="container_network_attach",
           rpc="call", rpc_version="1.1", min_version="1.8"),
    Action("network_detach", "Disconnect the container from a network.",
           "POST", "network_detach", _NETWORKABLE, task_state=st.NETWORK_DETACHING,
           capability="network", agent_method="container_network_detach",
           rpc="call", rpc_version="1.1", min_version="1.6"),
    Action("network_list", "The container's networks and addresses.", "GET",
           "network_list", None, min_version="1.13", policy_default=READER),
    # cp. Both need a member: the filesystem holds what the container never
    # shows a reader (keys, credentials), and reading any file of it is as
    # much as exec can read.
    Action("get_archive", "A tar archive of a path in the container (cp out).",
           "GET", "get_archive", _ARCHIVABLE, capability="archive",
           agent_method="container_get_archive", rpc="call", rpc_version="1.2"),
    Action("put_archive", "Extract a tar archive at a path in the container (cp in).",
           "POST", "put_archive", _ARCHIVABLE, capability="archive",
           agent_method="container_put_archive", rpc="call", rpc_version="1.2"),
    # A call (the image row's outcome is known when it answers) claiming no
    # task state; the compute API refuses it while any operation (a delete,
    # say) is in flight on the container.
    Action("commit", "Snapshot the container as an image on its host "
           "(202 {uuid}: the image row).", "POST", "commit",
           (st.RUNNING, st.STOPPED, st.PAUSED), capability="commit",
           agent_method="container_commit", rpc="call", rpc_version="1.2"),
)

ACTIONS: dict[str, Action] = {a.name: a for a in _ROWS}

# Sub-routes upstream serves that zun does not yet: each answers a 404 that
# names the feature and the work that brings it, never a bare "not found".
# route -> (what it does, the issue that brings it)
_IMAGES = "images, private registries, cp and commit"
_NETWORKS = "networks, exposed ports and volumes"
NOT_YET_SERVED: dict[str, tuple[str, str]] = {
    "add_security_group": ("Adding a security group", _NETWORKS),
    "remove_security_group": ("Removing a security group", _NETWORKS),
    "resize_container": ("Resizing by POST .../resize_container",
                         "use PATCH /v1/containers/<id> with cpu and memory"),
}

# Capabilities a driver may declare: those the actions need, plus the ones
# the agent itself uses (``events``: a runtime event stream for the sync;
# ``image``: the images API's pull, delete and list).
AGENT_CAPABILITIES = frozenset({"events", "image"})
ALL_CAPABILITIES = frozenset(
    {a.capability for a in _ROWS if a.capability} | AGENT_CAPABILITIES)
# Offered by the host's network driver (zun.network), not its runtime driver.
NETWORK_CAPABILITIES = frozenset({"network"})
RUNTIME_CAPABILITIES = ALL_CAPABILITIES - NETWORK_CAPABILITIES

# The action behind each task state (the first row claiming it), for the
# messages of recovered operations.
ACTION_FOR_TASK: dict[str, str] = {}
for _row in _ROWS:
    if _row.task_state:
        ACTION_FOR_TASK.setdefault(_row.task_state, _row.name)


def get(name: str) -> Action:
    """The row of ``name``; an unknown name is a programming error."""
    return ACTIONS[name]


def routed() -> list[Action]:
    """The actions with a route of their own under a container."""
    return [a for a in _ROWS if a.route]


def check_allowed(name: str, uuid: str, status: str | None,
                  task_state: str | None) -> None:
    """Raise a 409 unless action ``name`` may run now on this container.

    Checked in the API before anything is written or sent. The caller must
    still claim the task state with a compare-and-set: this check alone
    cannot stop two concurrent requests.
    """
    action = ACTIONS[name]
    verb = action.variant_of or action.name
    if task_state is not None and not action.overrides_task and action.task_state:
        raise exception.ContainerTaskInFlight(action=verb, id=uuid, task_state=task_state)
    if action.allowed is not None and status not in action.allowed:
        raise exception.InvalidStateException(action=verb, id=uuid, actual_state=status)


def version_tuple(text: str) -> tuple[int, ...]:
    """``"1.10"`` -> ``(1, 10)``, for comparing RPC and API versions."""
    return tuple(int(part) for part in text.split("."))
