"""zun: Containers as a Service for OpenStack clouds."""
import warnings


def _use_threads() -> None:
    """Select oslo.service's threading backend before oslo.messaging loads.

    oslo.messaging imports oslo.service, whose default backend is eventlet;
    zun runs on plain threads and must never load the eventlet backend.
    """
    from oslo_service import backend
    try:
        backend.init_backend(backend.BackendType.THREADING)
    except backend.exceptions.BackendAlreadySelected:
        pass


# futurist imports eventlet only to ask whether it monkey-patched anything
# (nothing is); its deprecation banner is noise in every log.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
_use_threads()
