"""zun: Containers as a Service for OpenStack clouds."""
import sys

# zun runs on plain threads. oslo.service depends on eventlet and futurist
# imports it whenever it is installed (31 MiB per process, and a hub nobody
# uses); make every optional `import eventlet` fail so it never loads.
# (None in sys.modules is the documented way to make an import fail; typeshed
# only allows modules there.)
sys.modules.setdefault("eventlet", None)  # type: ignore[arg-type]


def _use_threads() -> None:
    """Select oslo.service's threading backend before oslo.messaging loads.

    oslo.messaging imports oslo.service, whose default backend is eventlet.
    """
    from oslo_service import backend
    try:
        backend.init_backend(backend.BackendType.THREADING)
    except backend.exceptions.BackendAlreadySelected:
        pass


_use_threads()
