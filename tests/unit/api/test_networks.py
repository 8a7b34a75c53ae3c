"""network_list, network_attach and network_detach as the zun CLI sends them."""
from __future__ import annotations

import pytest

from tests.unit.api.conftest import ALICE, BOB, make_container, v

ADDRESSES = {"zun-0a1b2c3d4e5f": [
    {"addr": "10.128.4.2", "version": 4, "port": None, "subnet_id": "10.128.4.0/24",
     "preserve_on_delete": False}]}


def _title(response) -> str:
    return response.json["errors"][0]["title"]


def test_network_list_grouped_from_1_18(app):
    make_container(addresses=ADDRESSES)
    networks = app.get("/v1/containers/c1/network_list", headers=v("1.18", ALICE)).json
    assert networks == {"networks": [{
        "net_id": "zun-0a1b2c3d4e5f", "port_id": None,
        "fixed_ips": [{"ip_address": "10.128.4.2", "version": 4,
                       "subnet_id": "10.128.4.0/24"}]}]}


def test_network_list_one_entry_per_address_before_1_18(app):
    make_container(addresses=ADDRESSES)
    networks = app.get("/v1/containers/c1/network_list", headers=v("1.17", ALICE)).json
    assert networks == {"networks": [{
        "net_id": "zun-0a1b2c3d4e5f", "subnet_id": "10.128.4.0/24", "port_id": None,
        "version": 4, "ip_address": "10.128.4.2"}]}


def test_network_list_of_a_container_without_addresses_is_empty(app):
    make_container(addresses=None)
    assert app.get("/v1/containers/c1/network_list",
                   headers=v("1.40", ALICE)).json == {"networks": []}


@pytest.mark.parametrize("path,version", [
    ("network_list", "1.12"), ("network_attach?network=default", "1.7"),
    ("network_detach?network=default", "1.5")])
def test_network_routes_below_their_version_are_406(app, path, version):
    make_container()
    method = app.get if path == "network_list" else app.post
    response = method("/v1/containers/c1/%s" % path, headers=v(version, ALICE),
                      status=406)
    assert "only served at API versions from" in _title(response)


def test_attach_hands_the_network_to_compute(app, compute):
    make_container()
    app.post("/v1/containers/c1/network_attach?network=default",
             headers=v("1.40", ALICE), status=200)
    args, _ = compute.last("container_network_attach")
    assert args[2] == "default"


def test_detach_is_202(app, compute):
    make_container()
    app.post("/v1/containers/c1/network_detach?network=zun-0a1b2c3d4e5f",
             headers=v("1.40", ALICE), status=202)
    args, _ = compute.last("container_network_detach")
    assert args[2] == "zun-0a1b2c3d4e5f"


@pytest.mark.parametrize("query,field", [
    ("", "network"), ("network=default&port=p1", "port"),
    ("network=default&fixed_ip=10.0.0.9", "fixed_ip")])
def test_attach_refuses_missing_network_and_neutron_parameters(app, compute, query, field):
    make_container()
    response = app.post("/v1/containers/c1/network_attach?%s" % query,
                        headers=v("1.40", ALICE), status=400)
    assert _title(response).startswith("Invalid input for field '%s'." % field)
    assert "container_network_attach" not in compute.names()


def test_another_projects_container_is_404(app, compute):
    make_container()
    app.post("/v1/containers/c1/network_attach?network=default",
             headers=v("1.40", BOB), status=404)
    app.get("/v1/containers/c1/network_list", headers=v("1.40", BOB), status=404)


def test_attach_to_a_container_in_a_status_that_forbids_it_is_409(app):
    make_container(status="Paused")
    response = app.post("/v1/containers/c1/network_attach?network=default",
                        headers=v("1.40", ALICE), status=409)
    assert "Paused" in _title(response)
