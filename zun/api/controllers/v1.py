"""``GET /v1``: the resources of version 1 (public)."""
from __future__ import annotations

from typing import Any

import pecan

from zun.api import versions
from zun.api.controllers import containers
from zun.api.controllers import availability_zones, hosts, services
from zun.api.controllers import quota_classes, quotas
from zun.api.controllers import openapi


def _links(host_url: str, name: str) -> list[dict[str, str]]:
    base = host_url.rstrip("/")
    return [{"href": "%s/v1/%s/" % (base, name), "rel": "self"},
            {"href": "%s/%s/" % (base, name), "rel": "bookmark"}]


class V1Controller:
    containers = containers.ContainersController()
    services = services.ServicesController()
    hosts = hosts.HostsController()
    availability_zones = availability_zones.AvailabilityZonesController()
    quotas = quotas.QuotasController()
    quota_classes = quota_classes.QuotaClassesController()

    @pecan.expose("json")
    def index(self) -> dict[str, Any]:
        host_url = pecan.request.host_url
        return {
            "id": "v1",
            "min_version": str(versions.MIN_VERSION),
            "max_version": str(versions.MAX_VERSION),
            "media_types": [{"base": "application/json",
                             "type": "application/vnd.openstack.zun.v1+json"}],
            "links": [{"href": "%s/v1/" % host_url.rstrip("/"), "rel": "self"}],
            "containers": _links(host_url, "containers"),
            "services": _links(host_url, "services"),
            "hosts": _links(host_url, "hosts"),
            "availability_zones": _links(host_url, "availability_zones"),
        }


# Not a Python identifier, so mounted by name.
pecan.route(V1Controller, "openapi.json", openapi.OpenAPIController())
