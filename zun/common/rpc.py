"""Message-bus plumbing shared by the API (client side) and the agent (server).

Two transports carry the same calls:

* :class:`MessagingClient` uses oslo.messaging (RabbitMQ in production), for
  ``zun-api`` and ``zun-compute`` running as separate processes.
* :class:`LocalClient` dispatches straight to an in-process endpoint, for
  ``zun-all``. oslo.messaging's ``fake://`` driver would also work in one
  process, but its listener polls every 50 ms, which would add up to 50 ms to
  every call and cast; a direct dispatch adds nothing.

Both copy the request context through its dict form, so the agent never shares
a mutable context object with the API thread that sent it.
"""
from __future__ import annotations

import concurrent.futures
import logging
from typing import Any

import oslo_messaging as messaging

from zun.common import actions, exception
from zun.common import context as zun_context
from zun.conf import CONF

LOG = logging.getLogger(__name__)

# Exceptions raised on the agent are re-created by class on the API side
# only for modules listed here.
ALLOWED_EXMODS = [exception.__name__]

# Bus failures that mean "the agent cannot be reached right now".
BUS_ERRORS = (messaging.MessageDeliveryFailure, messaging.MessagingTimeout,
              messaging.MessageUndeliverable)


class ContextSerializer(messaging.NoOpSerializer):
    """Sends the request context as a dict and rebuilds zun's context class."""

    def serialize_context(self, ctxt: zun_context.RequestContext) -> dict[str, Any]:
        return ctxt.to_dict()

    def deserialize_context(self, ctxt: dict[str, Any]) -> zun_context.RequestContext:
        return zun_context.RequestContext.from_dict(ctxt)


_TRANSPORT: messaging.Transport | None = None


def get_transport() -> messaging.Transport:
    """The process-wide RPC transport built from ``[DEFAULT] transport_url``."""
    global _TRANSPORT
    if _TRANSPORT is None:
        _TRANSPORT = messaging.get_rpc_transport(
            CONF, allowed_remote_exmods=ALLOWED_EXMODS)
    return _TRANSPORT


def cleanup() -> None:
    global _TRANSPORT
    if _TRANSPORT is not None:
        _TRANSPORT.cleanup()
        _TRANSPORT = None


class MessagingClient:
    """oslo.messaging client: casts and calls addressed to one host."""

    def __init__(self, topic: str, timeout: int, cast_retry: int = 2) -> None:
        # at_least_once: publish with the mandatory flag, so a message for a
        # host whose queue does not exist (agent not listening yet, broker
        # just restarted) fails at once (MessageUndeliverable -> 503) instead
        # of being dropped silently while the API answers 202.
        self._client = messaging.get_rpc_client(
            get_transport(), messaging.Target(topic=topic, version=actions.RPC_VERSION),
            serializer=ContextSerializer(),
            transport_options=messaging.TransportOptions(at_least_once=True))
        self._timeout = timeout
        self._cast_retry = cast_retry

    def cast(self, context: zun_context.RequestContext, host: str,
             method: str, version: str = "1.0", **kwargs: Any) -> None:
        """``version``: the RPC version the message needs (the agent refuses
        a newer one than it serves)."""
        cctxt = self._client.prepare(server=host, retry=self._cast_retry,
                                     version=version)
        cctxt.cast(context, method, **kwargs)

    def call(self, context: zun_context.RequestContext, host: str,
             method: str, version: str = "1.0", **kwargs: Any) -> Any:
        cctxt = self._client.prepare(server=host, timeout=self._timeout,
                                     retry=self._cast_retry, version=version)
        return cctxt.call(context, method, **kwargs)


class LocalClient:
    """Direct dispatch to an in-process endpoint (the ``zun-all`` path).

    Casts run on a thread pool so the API thread returns at once, exactly as
    with a real bus; calls run on the caller's thread.
    """

    def __init__(self, endpoint: Any, workers: int = 16) -> None:
        self._endpoint = endpoint
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="zun-cast")

    @staticmethod
    def _copy(context: zun_context.RequestContext) -> zun_context.RequestContext:
        return zun_context.RequestContext.from_dict(context.to_dict())

    def cast(self, context: zun_context.RequestContext, host: str,
             method: str, version: str = "1.0", **kwargs: Any) -> None:
        # One process: the endpoint is always this code's own version.
        func = getattr(self._endpoint, method)
        future = self._pool.submit(func, self._copy(context), **kwargs)
        future.add_done_callback(_log_cast_failure)

    def call(self, context: zun_context.RequestContext, host: str,
             method: str, version: str = "1.0", **kwargs: Any) -> Any:
        return getattr(self._endpoint, method)(self._copy(context), **kwargs)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True)


def _log_cast_failure(future: concurrent.futures.Future[Any]) -> None:
    exc = future.exception()
    if exc is not None:
        LOG.error("In-process cast failed: %s", exc, exc_info=exc)


def get_server(target: messaging.Target,
               endpoints: list[Any]) -> messaging.rpc.RPCServer:
    """An RPC server on the threading executor (no eventlet)."""
    return messaging.get_rpc_server(get_transport(), target, endpoints,
                                    executor="threading",
                                    serializer=ContextSerializer())
