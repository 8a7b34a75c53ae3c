"""The compute tests' fakes (runtime and network drivers, a manager on a
SQLite DB), for the agent-side network tests."""
from tests.unit.compute.conftest import _conf_reset, admin, ctx, driver, manager, network  # noqa: F401 - fixtures by name
