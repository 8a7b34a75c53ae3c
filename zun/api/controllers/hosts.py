"""``/v1/hosts``: the inventory each compute agent reports (API 1.4+, admin).

Rows are written by the agents (zun.compute.resources); the API only reads
them, so listing hosts never waits on a host. Below 1.4 the resource does
not exist for the client: 406, as for every other method outside its
version window.
"""
from __future__ import annotations

from typing import Any

import pecan
from pecan import rest

from zun.api import utils, versions
from zun.api.views import hosts as view
from zun.common import exception, policy
from zun.conf import CONF
from zun.db import api as db_api

# Microversion facts of this resource (see the report: belong in versions.py).

LIST_PARAMS = ("limit", "marker", "sort_key", "sort_dir")


def _check_version() -> versions.Version:
    version = utils.api_version()
    if version < versions.HOSTS_MIN_VERSION:
        raise exception.NotAcceptable(
            reason="the hosts API is not available before API version %s "
                   "(requested %s)" % (versions.HOSTS_MIN_VERSION, version))
    return version


def _hidden(version: versions.Version) -> frozenset[str]:
    return frozenset() if version >= versions.CPU_PINNING_MIN_VERSION else frozenset(
        {"enable_cpu_pinning"})


class HostsController(rest.RestController):

    @pecan.expose("json")
    def get_all(self, **kwargs: Any) -> dict[str, Any]:
        version = _check_version()
        ctx = utils.context()
        policy.authorize(ctx, "host:get_all")
        utils.check_query_keys(LIST_PARAMS)
        limit = min(utils.query_int("limit", minimum=1) or CONF.api.max_limit,
                    CONF.api.max_limit)
        marker = utils.query_value("marker")
        try:
            rows = db_api.compute_node_list(
                ctx, limit=limit, marker=marker,
                sort_key=utils.query_value("sort_key", "id"),
                sort_dir=utils.query_value("sort_dir", "asc"))
        except exception.ComputeNodeNotFound as exc:
            raise exception.InvalidValue(value=marker,
                                         field="marker (no such host)") from exc
        hidden = _hidden(version)
        host_url = pecan.request.host_url
        return {"hosts": [view.format_host(r, host_url, hidden) for r in rows],
                "next": utils.next_page_url("hosts", rows, limit)}

    @pecan.expose("json")
    def get_one(self, host_ident: str, **kwargs: Any) -> dict[str, Any]:
        version = _check_version()
        ctx = utils.context()
        policy.authorize(ctx, "host:get")
        node = db_api.compute_node_get(ctx, host_ident)
        return view.format_host(node, pecan.request.host_url, _hidden(version))
