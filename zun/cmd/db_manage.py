"""zun-db-manage: create or upgrade zun's schema, or show its revision.

    zun-db-manage [--config-file F] upgrade [REVISION]
    zun-db-manage [--config-file F] version
    zun-db-manage [--config-file F] registry-rekey

``registry-rekey`` re-encrypts every stored registry password under
``[registry] key`` (each read with key or one of old_keys): the step of a
key rotation after which the old key can leave old_keys.
"""
from __future__ import annotations

import argparse
import sys

from oslo_config import cfg
from oslo_log import log as logging

from zun import conf
from zun.db import migration

CONF = conf.CONF
LOG = logging.getLogger(__name__)


def _upgrade() -> None:
    revision = CONF.command.revision
    migration.upgrade(revision)
    LOG.info("Database upgraded to %s (now at %s).", revision,
             migration.version())


def _version() -> None:
    print(migration.version() or "None")


def _registry_rekey() -> None:
    from zun.common import context as zun_context
    from zun.common import exception
    from zun.db import api as db_api
    from zun.db import session as db_session

    db_session.configure(CONF.database.connection)
    try:
        done = db_api.registry_rekey(zun_context.get_admin_context())
    except (exception.RegistryKeyMissing, exception.RegistryKeyInvalid) as exc:
        print("registry-rekey: %s" % exc, file=sys.stderr)
        raise SystemExit(1) from None
    print("%d registry password(s) re-encrypted under [registry] key." % done)


def _add_parsers(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "upgrade", help="Upgrade the schema to REVISION (default: head).")
    parser.add_argument("revision", nargs="?", default="head")
    parser.set_defaults(func=_upgrade)
    parser = subparsers.add_parser(
        "version", help="Print the schema's current revision.")
    parser.set_defaults(func=_version)
    parser = subparsers.add_parser(
        "registry-rekey", help="Re-encrypt every registry password under "
                               "[registry] key (after a key rotation).")
    parser.set_defaults(func=_registry_rekey)


_command_opt = cfg.SubCommandOpt("command", title="Commands",
                                 help="Available commands",
                                 handler=_add_parsers)


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point; returns the process exit code."""
    CONF.register_cli_opt(_command_opt)
    logging.register_options(CONF)
    CONF(sys.argv[1:] if argv is None else argv, project="zun")
    logging.setup(CONF, "zun")
    CONF.command.func()
    return 0


if __name__ == "__main__":
    sys.exit(main())
