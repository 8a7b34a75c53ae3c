"""[database]: oslo.db's options with zun's SQLite default."""
from oslo_config import cfg
from oslo_db import options as db_options

_DEFAULT_CONNECTION = "sqlite:///$state_path/zun.sqlite"


def register_opts(conf: cfg.ConfigOpts) -> None:
    db_options.set_defaults(conf, connection=_DEFAULT_CONNECTION)


def list_opts() -> dict[str | cfg.OptGroup, list[cfg.Opt]]:
    return {"database": db_options.database_opts}
