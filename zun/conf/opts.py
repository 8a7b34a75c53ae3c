"""Entry point for oslo-config-generator (etc/zun/zun-config-generator.conf)."""
from zun.conf import api, compute, database, default, docker, quota, scheduler


def list_opts() -> list:
    merged: dict = {}
    for module in (default, api, compute, docker, database, scheduler, quota):
        for group, opts in module.list_opts().items():
            merged.setdefault(group, []).extend(opts)
    return list(merged.items())
