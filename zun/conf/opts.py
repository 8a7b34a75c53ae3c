"""Entry point for oslo-config-generator (etc/zun/zun-config-generator.conf)."""
from oslo_config import cfg

from zun.conf import MODULES


def list_opts() -> list[tuple[str | cfg.OptGroup, list[cfg.Opt]]]:
    merged: dict[str | cfg.OptGroup, list[cfg.Opt]] = {}
    for module in MODULES:
        for group, opts in module.list_opts().items():
            merged.setdefault(group, []).extend(opts)
    return list(merged.items())
