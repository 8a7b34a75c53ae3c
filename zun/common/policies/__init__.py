"""Default policy rules, in code; ``policy.yaml`` may override any of them.

``list_rules`` is the ``oslo.policy.policies`` entry point, so
oslopolicy-sample-generator documents exactly what the enforcer registers.
"""
from __future__ import annotations

import itertools

from oslo_policy import policy

from zun.common.policies import (
    availability_zone,
    base,
    container,
    container_action,
    host,
    image,
    quota,
    registry,
    service,
)


def list_rules() -> list[policy.RuleDefault]:
    return list(itertools.chain(base.list_rules(), container.list_rules(),
                                container_action.list_rules(),
                                service.list_rules(), host.list_rules(),
                                availability_zone.list_rules(),
                                quota.list_rules(), image.list_rules(),
                                registry.list_rules()))
