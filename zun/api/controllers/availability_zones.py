"""``/v1/availability_zones``: the zones a container can be placed in now.

Only zones with an up compute service are listed: a zone whose hosts are all
down cannot take a container, so offering it would only produce failures.
"""
from __future__ import annotations

from typing import Any

import pecan
from pecan import rest

from zun.api import utils
from zun.api.views import services as service_view
from zun.common import policy
from zun.conf import CONF
from zun.db import api as db_api
from zun.scheduler.scheduler import COMPUTE_BINARY


class AvailabilityZonesController(rest.RestController):

    @pecan.expose("json")
    def get_all(self, **kwargs: Any) -> dict[str, Any]:
        ctx = utils.context()
        policy.authorize(ctx, "availability_zone:get_all")
        utils.check_query_keys(())
        zones = sorted({s.availability_zone or CONF.default_availability_zone
                        for s in db_api.service_list(ctx, binary=COMPUTE_BINARY)
                        if service_view.state(s) == "up"})
        return {"availability_zones": [{"availability_zone": z} for z in zones]}
