"""``/v1``: the resources of version 1, and its own document (public).

Upstream resources this zun does not serve yet are mounted too, from
``unimplemented.RESOURCES``, so they answer a 404 naming the missing feature.
"""
from __future__ import annotations

from typing import Any

import pecan

from zun.api import versions
from zun.api.controllers import (
    availability_zones,
    containers,
    hosts,
    images,
    openapi,
    quota_classes,
    quotas,
    registries,
    services,
    unimplemented,
)


def _links(host_url: str, name: str) -> list[dict[str, str]]:
    base = host_url.rstrip("/")
    return [{"href": "%s/v1/%s/" % (base, name), "rel": "self"},
            {"href": "%s/%s/" % (base, name), "rel": "bookmark"}]


class V1Controller:
    containers = containers.ContainersController()
    services = services.ServicesController()
    hosts = hosts.HostsController()
    images = images.ImagesController()
    availability_zones = availability_zones.AvailabilityZonesController()
    quotas = quotas.QuotasController()
    quota_classes = quota_classes.QuotaClassesController()
    registries = registries.RegistriesController()

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
            "images": _links(host_url, "images"),
            "registries": _links(host_url, "registries"),
            "availability_zones": _links(host_url, "availability_zones"),
        }


# Not a Python identifier, so mounted by name.
pecan.route(V1Controller, "openapi.json", openapi.OpenAPIController())

for _resource in unimplemented.RESOURCES:
    pecan.route(V1Controller, _resource,
                unimplemented.NotImplementedController(_resource))
