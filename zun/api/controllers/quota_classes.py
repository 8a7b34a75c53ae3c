"""``/v1/quota_classes/{name}``: named sets of limits (administrators only).

Only the class ``default`` is ever applied (to projects with no limits of
their own); a class never set shows the defaults.
"""
from __future__ import annotations

from typing import Any

import pecan
from pecan import rest

from zun.api import utils
from zun.api.controllers.quotas import check_name, limits_body
from zun.common import policy
from zun.db import api as db_api


class QuotaClassesController(rest.RestController):

    @pecan.expose("json")
    def get_one(self, class_name: str, **kwargs: Any) -> dict[str, int]:
        ctx = utils.context()
        policy.authorize(ctx, "quota_class:get")
        check_name(class_name, "quota_class_name")
        utils.check_query_keys(())
        return db_api.quota_class_get(ctx, class_name)

    @pecan.expose("json")
    def put(self, class_name: str, **kwargs: Any) -> dict[str, int]:
        ctx = utils.context()
        policy.authorize(ctx, "quota_class:update")
        check_name(class_name, "quota_class_name")
        return db_api.quota_class_update(ctx, class_name, limits_body())
