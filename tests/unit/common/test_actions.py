"""The action registry, and every place that must agree with it.

Each container action is declared once in zun.common.actions. These tests
fail when a route, a policy rule, a driver capability, an agent method or an
OpenAPI operation exists for an action the registry does not define, or the
other way round, and they pin the allowed-status table to upstream's.
"""
from __future__ import annotations

import inspect

import pytest

from zun.api import openapi, versions
from zun.api.controllers import containers as containers_ctl
from zun.common import actions, exception, states
from zun.common.policies import container as container_policies
from zun.compute import manager as manager_mod
from zun.compute import rpcapi
from zun.container.driver import base as driver_base
from zun.container.driver import docker as docker_driver
from zun.container.driver import rkt as rkt_driver
from zun.network import docker as network_docker

UUID = "6f3c1c9e-2c55-4c8e-9a39-6b8f3f0d0c11"
ITEM = "/v1/containers/{container_ident}"
# container:* rules that guard reads or sub-decisions, not actions
NOT_ACTIONS = {"get_one", "get_all", "get_all_all_projects", "get_one_all_projects",
               "delete_all_projects"}


# --- the allowed-status table (upstream's VALID_STATES) -------------------------
@pytest.mark.parametrize("action,allowed", [
    ("start", {"Created", "Stopped", "Error"}),
    ("stop", {"Running"}), ("pause", {"Running"}), ("kill", {"Running"}),
    ("execute", {"Running"}), ("top", {"Running"}), ("stats", {"Running"}),
    ("unpause", {"Paused"}),
    ("reboot", {"Created", "Running", "Stopped", "Error"}),
    ("rebuild", {"Created", "Running", "Stopped", "Error"}),
    ("update", {"Created", "Running", "Stopped", "Paused"}),
    ("logs", {"Created", "Error", "Paused", "Running", "Stopped", "Unknown"}),
    ("delete", {"Created", "Error", "Stopped", "Deleted", "Dead"}),
    ("delete_after_stop", {"Created", "Error", "Stopped", "Deleted", "Dead", "Running"}),
])
def test_allowed_statuses_match_the_upstream_table(action, allowed):
    assert set(actions.get(action).allowed or ()) == allowed
    for status in states.ALL_STATUSES:
        if status in allowed:
            actions.check_allowed(action, UUID, status, None)
        else:
            with pytest.raises(exception.InvalidStateException):
                actions.check_allowed(action, UUID, status, None)


def test_force_delete_allows_everything_but_paused_even_in_flight():
    for status in states.ALL_STATUSES:
        if status == states.PAUSED:
            with pytest.raises(exception.InvalidStateException):
                actions.check_allowed("delete_force", UUID, status, None)
        else:
            actions.check_allowed("delete_force", UUID, status,
                                  states.CONTAINER_STOPPING)


def test_disallowed_action_message_and_code():
    with pytest.raises(exception.InvalidStateException) as err:
        actions.check_allowed("delete_after_stop", UUID, states.PAUSED, None)
    assert err.value.code == 409
    assert str(err.value) == "Cannot delete container %s in Paused state." % UUID


def test_task_in_flight_refuses_any_state_change_but_not_reads():
    with pytest.raises(exception.ContainerTaskInFlight) as err:
        actions.check_allowed("start", UUID, states.STOPPED, states.CONTAINER_STOPPING)
    assert err.value.code == 409 and "container_stopping" in str(err.value)
    actions.check_allowed("logs", UUID, states.RUNNING, states.CONTAINER_PAUSING)


# --- the rows themselves ----------------------------------------------------------
@pytest.mark.parametrize("action", list(actions.ACTIONS.values()), ids=lambda a: a.name)
def test_each_row_is_complete_and_consistent(action):
    assert action.summary.endswith((".", ")")), action.name
    if action.task_state is not None:
        assert action.task_state in states.ALL_TASK_STATES
        # create claims a row it makes itself: no status to check
        assert action.allowed or action.name == "create", action.name
        assert action.rpc in ("cast", "call")
    for status in action.allowed or ():
        assert status in states.ALL_STATUSES
    assert (action.agent_method is None) == (action.rpc is None)
    if action.capability:
        assert action.agent_method, "a capability means the host does something"
    if action.generic:
        assert action.agent_method == "container_action" and action.task_state
    assert action.variant_of is None or action.variant_of in actions.ACTIONS
    low = versions.Version.parse(action.min_version)
    assert versions.MIN_VERSION <= low <= versions.MAX_VERSION
    if action.max_version:
        assert low <= versions.Version.parse(action.max_version) < versions.MAX_VERSION


def test_every_task_state_belongs_to_an_action():
    claimed = {a.task_state for a in actions.ACTIONS.values() if a.task_state}
    # image_pulling is part of create (kept for upstream's task-state list)
    assert set(states.ALL_TASK_STATES) - claimed == {states.IMAGE_PULLING}


def test_rpc_versions_are_in_the_history():
    history = [v for v, _ in actions.RPC_HISTORY]
    assert history[-1] == actions.RPC_VERSION
    assert history == sorted(history, key=actions.version_tuple)
    for action in actions.ACTIONS.values():
        assert action.rpc_version in history, action.name


# --- routes ------------------------------------------------------------------------
def test_controller_routes_are_the_registry_routes():
    ctl = containers_ctl.ContainersController
    expected = {a.route: [a.method] for a in actions.routed() if a.route}
    expected.update({name: ["GET", "POST"] for name in actions.NOT_YET_SERVED})
    assert ctl._custom_actions == expected
    for route in expected:
        handler = getattr(ctl, route, None)
        assert handler is not None and getattr(handler, "exposed", False), route
    # the collection and the item: create, update, delete
    assert actions.get("create").method == "POST" and hasattr(ctl, "post")
    for action in actions.routed():
        if action.route == "":
            assert hasattr(ctl, action.method.lower()), action.name


def test_no_route_is_both_served_and_not_yet_served():
    served = {a.route for a in actions.routed()}
    assert not served & set(actions.NOT_YET_SERVED)


# --- policies ----------------------------------------------------------------------
def test_every_action_has_its_policy_rule_with_the_registry_default():
    rules = {r.name: r for r in container_policies.list_rules()}
    for action in actions.ACTIONS.values():
        rule = rules.get(action.policy)
        assert rule is not None, action.name
        assert rule.check_str == action.policy_default


def test_every_container_policy_rule_is_an_action_or_a_known_read():
    for rule in container_policies.list_rules():
        name = rule.name.split(":", 1)[1]
        base = name.split(":", 1)[0]   # create:runtime refines create
        assert base in actions.ACTIONS or base in NOT_ACTIONS, rule.name


# --- capabilities and the agent ------------------------------------------------------
def test_capabilities_are_exactly_what_actions_and_the_agent_need():
    needed = {a.capability for a in actions.ACTIONS.values() if a.capability}
    assert actions.ALL_CAPABILITIES == needed | actions.AGENT_CAPABILITIES
    assert driver_base.ALL_CAPABILITIES == (actions.ALL_CAPABILITIES
                                            - actions.NETWORK_CAPABILITIES)
    for driver in (docker_driver.DockerDriver, rkt_driver.RktDriver):
        assert driver.capabilities <= driver_base.ALL_CAPABILITIES, driver.name
    assert network_docker.DockerNetworkDriver.capabilities <= actions.NETWORK_CAPABILITIES
    assert actions.NETWORK_CAPABILITIES <= actions.ALL_CAPABILITIES


def test_generic_actions_name_a_driver_method_taking_their_params():
    for action in actions.ACTIONS.values():
        if not action.generic:
            continue
        method = getattr(driver_base.ContainerDriver, action.driver_method or "")
        accepted = set(inspect.signature(method).parameters)
        assert {p.name for p in action.params} <= accepted, action.name


def test_agent_methods_are_the_managers_rpc_endpoints():
    served = {a.agent_method for a in actions.ACTIONS.values() if a.agent_method}
    endpoints = {name for name, _ in inspect.getmembers(manager_mod.Manager,
                                                         inspect.isfunction)
                 if name.startswith("container_")}
    assert served == endpoints
    assert manager_mod.Manager.target.version == actions.RPC_VERSION


def test_the_rpc_client_sends_every_agent_method():
    senders = {name for name, _ in inspect.getmembers(rpcapi.ComputeAPI,
                                                       inspect.isfunction)
               if not name.startswith("_")}
    served = {a.agent_method for a in actions.ACTIONS.values() if a.agent_method}
    assert served | set(rpcapi.IMAGE_METHODS) == senders


# --- OpenAPI ---------------------------------------------------------------------------
def test_openapi_documents_exactly_the_routed_actions():
    paths = openapi.document()["paths"]
    documented = {p.rsplit("/", 1)[1]: set(ops) for p, ops in paths.items()
                  if p.startswith(ITEM + "/") and p.count("/") == 4}
    documented.pop("container_actions")
    expected = {a.route: {a.method.lower()} for a in actions.routed() if a.route}
    assert documented == expected
    for action in actions.routed():
        path = ITEM + "/" + action.route if action.route else ITEM
        op = paths[path][action.method.lower()]
        assert op["summary"].startswith(action.summary), action.name
        names = {p.get("name") for p in op["parameters"] if "name" in p}
        assert {p.name for p in action.params} <= names


def test_actions_that_wait_are_the_generic_ones_with_a_grace_period():
    waiting = {a.name for a in actions.ACTIONS.values() if a.waits}
    assert waiting == {"stop", "reboot"}
    assert all(actions.get(n).generic for n in waiting)
