"""The Docker driver: zun's container operations on a Docker engine.

One SDK client (a pooled HTTP session) is shared by every compute thread;
the event stream gets a client of its own because it holds its connection
open for as long as it runs. The client is created on first use so that the
compute agent starts, and reports the runtime as down, while Docker is away.
Data mapping lives in ``docker_facts`` and the error table in
``docker_errors``; this module only talks to the engine.
"""
from __future__ import annotations

import contextlib
import signal
import threading
import time
from typing import Any, Callable, Iterator

import docker
import docker.errors
import docker.models.containers
from oslo_log import log as logging

from zun.common import exception, timeutils
from zun.conf import CONF
from zun.container.driver import (
    base,
    docker_archive,
    docker_console,
    docker_errors,
    docker_exec,
    docker_facts,
    docker_images,
    docker_output,
)

LOG = logging.getLogger(__name__)

# Connections kept per pool: enough for every compute worker plus the
# periodic sync, so concurrent calls do not queue behind each other.
_POOL_HEADROOM = 4
# How often a delete that found a removal in progress looks again.
_GONE_POLL = 0.05

# Neutral states in which a repeated state change has nothing left to do.
_RUNNING = frozenset({"running"})
_PAUSED = frozenset({"paused"})
_NOT_RUNNING = frozenset({"created", "exited", "dead"})


class DockerDriver(base.ContainerDriver):
    """Runs zun containers on the Docker engine at ``[docker] api_url``.

    Thread-safe: the shared client is created once under a lock and its
    connection pool is sized for every compute worker; the driver keeps no
    per-container state, and the engine itself orders concurrent changes of
    one container. Only :meth:`close` must not overlap other calls.
    """

    name = "docker"
    capabilities = frozenset({
        "create", "start", "stop", "reboot", "pause", "unpause", "kill",
        "delete", "logs", "exec", "top", "stats", "update", "events",
        "image", "archive", "commit", "attach",
    })

    def __init__(self, api_url: str | None = None, timeout: int | None = None) -> None:
        # Arguments exist for tests and tools; the agent relies on CONF.
        self._url = api_url or CONF.docker.api_url
        self._timeout = timeout or CONF.docker.default_timeout
        self._lock = threading.Lock()
        self._client: docker.DockerClient | None = None

    # --- engine access ------------------------------------------------------
    def _new_client(self, pool_size: int = 1) -> docker.DockerClient:
        known = self._client.api.api_version if self._client else None
        try:
            return docker.DockerClient(base_url=self._url, timeout=self._timeout,
                                       max_pool_size=pool_size, version=known)
        except docker.errors.DockerException as err:
            # The SDK asks the engine for its API version on construction.
            LOG.warning("Docker engine unreachable at %s: %s", self._url,
                        docker_errors.short(err))
            raise exception.engine_unreachable() from err

    @property
    def _docker(self) -> docker.DockerClient:
        """The shared client, created once under a lock."""
        client = self._client
        if client is None:
            with self._lock:
                if self._client is None:
                    size = CONF.compute.workers + _POOL_HEADROOM
                    self._client = self._new_client(pool_size=size)
                client = self._client
        return client

    @property
    def _api(self) -> docker.APIClient:
        return self._docker.api

    def _errors(self, container_id: str | None = None,
                image: str | None = None) -> contextlib.AbstractContextManager[None]:
        return docker_errors.translate(self._url, container_id, image)

    def close(self) -> None:
        """Drop pooled connections (tests, shutdown)."""
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    # --- images -------------------------------------------------------------
    def _image_present(self, ref: str) -> bool:
        with self._errors():
            try:
                self._api.inspect_image(ref)
            except docker.errors.NotFound:
                return False
        return True

    def _pull(self, ref: str, why: str,
              credentials: base.RegistryCredentials | None = None) -> None:
        """Pull ``ref`` (with ``credentials``, never logged); any refusal
        becomes ImageNotFound saying ``why`` we pulled."""
        LOG.info("Pulling image %s (%s)%s", ref, why,
                 " as %s" % credentials.username if credentials else "")
        with self._errors():
            try:
                self._docker.images.pull(ref, auth_config=docker_images.auth_config(
                    credentials))
            except docker.errors.APIError as err:
                raise exception.ImageNotFound(
                    image=ref, reason=f"{why} and the pull failed: "
                                      f"{docker_errors.explanation(err)}") from err
            except docker.errors.DockerException as err:
                raise exception.ImageNotFound(
                    image=ref, reason=f"{why} and the pull failed: "
                                      f"{docker_errors.short(err)}") from err

    def _ensure_image(self, ref: str, policy: str,
                      credentials: base.RegistryCredentials | None = None) -> None:
        if policy == "always":
            self._pull(ref, "image_pull_policy is 'always'", credentials)
            return
        if self._image_present(ref):
            return
        if policy == "never":
            raise exception.ImageNotFound(
                image=ref, reason="not present on this host and "
                                  "image_pull_policy is 'never'")
        self._pull(ref, "not present on this host", credentials)

    # images of the API (/v1/images, commit): see docker_images
    def pull_image(self, ref: str) -> base.ImageFacts:
        return docker_images.pull(self._api, self._errors, ref)

    def inspect_image(self, ref: str) -> base.ImageFacts:
        return docker_images.inspect(self._api, self._errors, ref)

    def delete_image(self, ref: str) -> None:
        docker_images.delete(self._api, self._errors, ref)

    def list_images(self) -> list[base.ImageFacts]:
        return docker_images.list_all(self._api, self._errors)

    def commit(self, container_id: str, repository: str, tag: str) -> str:
        return docker_images.commit(self._api, self._errors, container_id,
                                    repository, tag)

    def push_image(self, ref: str, credentials: base.RegistryCredentials | None) -> None:
        LOG.info("Pushing image %s%s", ref,
                 " as %s" % credentials.username if credentials else "")
        docker_images.push(self._api, self._errors, ref, credentials)

    # copy in and out (zun cp): see docker_archive
    def get_archive(self, container_id: str, path: str,
                    max_bytes: int) -> tuple[bytes, dict[str, Any]]:
        return docker_archive.get(self._api, self._errors, container_id, path,
                                  max_bytes)

    def put_archive(self, container_id: str, path: str, data: bytes) -> None:
        docker_archive.put(self._api, self._errors, container_id, path, data)

    # consoles (attach, exec -it): see docker_console
    def exec_create(self, container_id: str, command: list[str],
                    interactive: bool) -> str:
        return docker_console.create_exec(self._api, self._errors, container_id,
                                          command, interactive)

    def console(self, container_id: str, exec_id: str | None = None) -> base.ConsoleStream:
        if exec_id is None:
            return docker_console.attach(self._api, self._errors, container_id)
        return docker_console.start_exec(
            self._api, self._errors, container_id, exec_id,
            lambda sig: self._kill_exec(container_id, exec_id, sig))

    def resize(self, container_id: str, height: int, width: int) -> None:
        docker_console.resize(self._api, self._errors, container_id, height, width)

    def exec_resize(self, container_id: str, exec_id: str, height: int,
                    width: int) -> None:
        docker_console.exec_resize(self._api, self._errors, container_id, exec_id,
                                   height, width)

    # --- lifecycle ----------------------------------------------------------
    def create(self, spec: base.ContainerSpec) -> base.RuntimeFacts:
        """One engine call in the common case (image present, policy not 'always').

        The image is looked for only when the create says it is missing, and
        no inspect follows: a created container's facts are known. Named
        volumes are found or made first (one inspect each).
        """
        kwargs = docker_facts.create_kwargs(spec)
        self._ensure_volumes(spec)
        image = kwargs["image"]
        policy = docker_facts.pull_policy(spec.image_pull_policy)
        if policy == "always":
            self._ensure_image(image, policy, spec.credentials)
        try:
            created = self._create(kwargs)
        except exception.ImageNotFound:
            if policy != "ifnotpresent":
                self._ensure_image(image, policy)  # 'never': says so clearly
            self._pull(image, "not present on this host", spec.credentials)
            created = self._create(kwargs)
        return base.RuntimeFacts(container_id=created["Id"], uuid=spec.uuid,
                                 state="created", project_id=spec.project_id,
                                 host=spec.host,
                                 ports=sorted({port for port, _ in spec.exposed_ports}))

    def _ensure_volumes(self, spec: base.ContainerSpec) -> None:
        """Find or make each named volume of the spec, labelled as its project's.

        Idempotent (a retried create finds what the first one made; two
        concurrent makes of one name get the same volume). A volume of the
        scoped name without the project's labels was made outside zun: it
        is refused rather than handed to the tenant.
        """
        for name in sorted({name for name, _ in spec.volumes if name}):
            runtime_name = docker_facts.volume_name(spec.project_id, name)
            labels = docker_facts.volume_labels(spec.project_id, name)
            with self._errors():
                try:
                    volume = self._api.inspect_volume(runtime_name)
                except docker.errors.NotFound:
                    LOG.info("Creating volume %s (%r of project %s)",
                             runtime_name, name, spec.project_id)
                    volume = self._api.create_volume(
                        name=runtime_name, driver="local", labels=labels)
            if not docker_facts.is_own_volume(volume, labels):
                raise exception.RuntimeOperationFailed(
                    reason=f"volume {runtime_name} exists on this host but was "
                           f"not made by zun for this project; an operator "
                           f"must rename or remove it")

    def _create(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        # The SDK's high-level create would inspect the new container again;
        # its argument mapping (private, stable since docker 3) is reused.
        image, name = kwargs["image"], kwargs["name"]
        sdk: Any = docker.models.containers  # private helpers: untyped on purpose
        api: Any = self._api
        args = dict(kwargs, version=api._version)
        args.setdefault("command", None)
        args = sdk._create_container_args(args)  # consumes args
        # the name identifies the container in a "name already in use" conflict
        with self._errors(name, image=image):
            # Docker's JSON answer ({"Id": ..., "Warnings": [...]}); the
            # stubs leave its type open
            created: dict[str, Any] = self._api.create_container(**args)
        return created

    def _change(self, container_id: str, call: Callable[[], Any],
                done: frozenset[str] = frozenset()) -> base.RuntimeFacts:
        """Run one state change, then report the state it reached.

        A refusal while the container already is in one of the ``done``
        states means the work had been done: the contract makes that a
        no-op (the engine answers 304 for some such calls and 409 for others).
        """
        try:
            with self._errors(container_id):
                call()
        except exception.RuntimeOperationFailed:
            facts = self.inspect(container_id)
            if facts.state in done:
                return facts
            raise
        return self.inspect(container_id)

    def start(self, container_id: str) -> base.RuntimeFacts:
        return self._change(container_id, lambda: self._api.start(container_id),
                            done=_RUNNING)

    def stop(self, container_id: str, timeout: int | None = None) -> base.RuntimeFacts:
        grace = CONF.docker.stop_timeout if timeout is None else int(timeout)
        return self._change(container_id,
                            lambda: self._api.stop(container_id, timeout=grace),
                            done=_NOT_RUNNING)

    def reboot(self, container_id: str, timeout: int | None = None) -> base.RuntimeFacts:
        grace = CONF.docker.stop_timeout if timeout is None else int(timeout)
        return self._change(container_id,
                            lambda: self._api.restart(container_id, timeout=grace))

    def pause(self, container_id: str) -> base.RuntimeFacts:
        return self._change(container_id, lambda: self._api.pause(container_id),
                            done=_PAUSED)

    def unpause(self, container_id: str) -> base.RuntimeFacts:
        return self._change(container_id, lambda: self._api.unpause(container_id),
                            done=_RUNNING)

    def kill(self, container_id: str, signal: str | None = None) -> base.RuntimeFacts:
        # Not idempotent: a container with no process to signal is refused.
        sig = str(signal) if signal else "SIGKILL"
        return self._change(container_id, lambda: self._api.kill(container_id, signal=sig))

    def delete(self, container_id: str, force: bool = False) -> None:
        try:
            with self._errors(container_id):
                # v=True: anonymous volumes die with the container, or they leak.
                self._api.remove_container(container_id, v=True, force=force)
        except exception.RuntimeContainerNotFound:
            LOG.debug("Container %s already gone", container_id)
        except exception.RuntimeOperationFailed as err:
            # auto_remove (or a concurrent or outside delete) is already
            # removing it: the contract is "gone on return", and a recreate
            # under the same name right after (rebuild, auto_heal) needs it.
            if "already in progress" not in str(err):
                raise
            self._wait_gone(container_id)

    def _wait_gone(self, container_id: str) -> None:
        """Poll until the engine no longer knows the container (bounded)."""
        deadline = time.monotonic() + self._timeout
        while time.monotonic() < deadline:
            try:
                self.inspect(container_id)
            except exception.RuntimeContainerNotFound:
                return
            time.sleep(_GONE_POLL)
        raise exception.RuntimeOperationFailed(
            reason="the removal of container %s already in progress did not "
                   "finish within %s s" % (container_id, self._timeout))

    def update(self, container_id: str, cpu: float | None = None,
               memory_mib: int | None = None) -> None:
        body = docker_facts.update_body(cpu, memory_mib)
        if not body:
            return
        api: Any = self._api  # private helpers: untyped on purpose
        with self._errors(container_id):
            # The SDK's update_container cannot send NanoCpus; post the body as is.
            response = api._post_json(api._url("/containers/{0}/update", container_id),
                                      data=body)
            api._result(response, True)

    # --- reads --------------------------------------------------------------
    def inspect(self, container_id: str) -> base.RuntimeFacts:
        with self._errors(container_id):
            data = self._api.inspect_container(container_id)
        return docker_facts.facts_from_inspect(data)

    def list_containers(self) -> list[base.RuntimeFacts]:
        with self._errors():
            summaries = self._api.containers(all=True, filters={"label": base.LABEL_UUID})
        return [docker_facts.facts_from_summary(summary) for summary in summaries]

    def logs(self, container_id: str, stdout: bool = True, stderr: bool = True,
             timestamps: bool = False, tail: str | int = "all",
             since: str | int | None = None) -> str:
        """At most ``[docker] max_log_bytes`` of the requested window.

        The engine's answer is streamed and the read stops at the cap, so
        neither memory nor time grows with the log's size. The FIRST bytes
        of the window are kept: with ``since`` (the window's start) and
        ``tail`` (its last lines) every part of the log stays reachable.
        A cut answer ends with a marker line saying so.
        """
        kwargs: dict[str, Any] = {"stdout": stdout, "stderr": stderr,
                                  "timestamps": timestamps, "tail": _tail(tail),
                                  "stream": True, "follow": False}
        since_epoch = _since(since)
        if since_epoch:
            kwargs["since"] = since_epoch
        limit = CONF.docker.max_log_bytes
        capped = docker_output.Capped(limit)
        with self._errors(container_id):
            stream = self._api.logs(container_id, **kwargs)
            try:
                for chunk in docker_output.chunks(stream):
                    if not capped.add(chunk):
                        break  # stop reading: the engine's answer is dropped
            finally:
                docker_output.close_quietly(stream)
        if capped.truncated:
            return docker_output.text(bytes(capped.kept)) + (
                f"\n[zun: output truncated at the {limit}-byte limit "
                f"([docker] max_log_bytes); use tail or since to read another part]\n")
        return docker_output.text(bytes(capped.kept))

    def execute(self, container_id: str, command: list[str]) -> tuple[str, int]:
        """Run ``command``; its output (capped) and exit code (docker_exec)."""
        return docker_exec.run(self._api, self._errors, container_id, command)

    def _kill_exec(self, container_id: str, exec_id: str,
                   sig: int = signal.SIGKILL) -> bool:
        return docker_exec.kill(self._api, self._errors, container_id, exec_id, sig)

    def top(self, container_id: str, ps_args: str | None = None) -> dict[str, Any]:
        try:
            with self._errors(container_id):
                return dict(self._api.top(container_id, ps_args=ps_args or None))
        except exception.ContainerRuntimeError as err:
            # Docker answers 500 when ps itself rejects the arguments: that
            # is the caller's input, not a server fault.
            if ps_args and "ps:" in str(err):
                raise exception.Invalid(
                    reason="ps_args %r were rejected by ps (%s)" % (ps_args, err)) from err
            raise

    def stats(self, container_id: str) -> dict[str, Any]:
        with self._errors(container_id):
            sample = self._api.stats(container_id, stream=False)
        return docker_facts.stats_summary(sample)

    def ping(self) -> bool:
        try:
            with self._errors():
                return bool(self._api.ping())
        except exception.ZunException as err:
            LOG.warning("Docker engine at %s does not answer: %s", self._url, err)
            return False

    # --- events -------------------------------------------------------------
    def events(self, stop: threading.Event) -> Iterator[base.RuntimeEvent]:
        """Follow Docker's event stream on a dedicated connection.

        A watcher thread closes the connection as soon as ``stop`` is set, so
        the blocked read returns at once. Every failure is a DockerError: the
        caller's answer to all of them is the same (reconnect, reconcile).
        """
        try:
            client = self._new_client()
            with self._errors():
                stream = client.api.events(
                    decode=True, filters={"type": "container", "label": [base.LABEL_UUID]})
        except exception.ZunException as err:
            raise exception.DockerError(error_msg=f"cannot follow events: {err}") from err
        done = threading.Event()
        watcher = threading.Thread(target=docker_output.close_when, args=(stop, done, stream),
                                   name="zun-docker-events-watcher", daemon=True)
        watcher.start()
        try:
            for raw in stream:
                if stop.is_set():
                    return
                event = docker_facts.event_from_docker(raw)
                if event is not None:
                    yield event
        except docker_errors.ENGINE_ERRORS as err:
            if stop.is_set():
                return
            raise exception.DockerError(
                error_msg=f"event stream from {self._url} broke: "
                          f"{docker_errors.short(err)}") from err
        finally:
            done.set()
            docker_output.close_quietly(stream)
            client.close()
        if not stop.is_set():
            raise exception.DockerError(error_msg=f"event stream from {self._url} ended")

    # --- host inventory -------------------------------------------------------
    def host_info(self) -> dict[str, Any]:
        """``docker info`` in the driver-neutral keys of the base class.

        The engine is the authority on what it offers (its OCI runtimes) and
        where it stores images and container layers (the disk to measure).
        """
        with self._errors():
            info = self._api.info()
        mem_total = info.get("MemTotal")
        return {
            "cpus": info.get("NCPU"),
            "mem_total": mem_total // (1024 * 1024) if mem_total else None,
            "os": info.get("OperatingSystem"),
            "os_type": info.get("OSType"),
            "kernel_version": info.get("KernelVersion"),
            "architecture": info.get("Architecture"),
            "runtimes": sorted(info.get("Runtimes") or {}),
            "data_dir": info.get("DockerRootDir"),
        }


def _tail(tail: str | int) -> str | int:
    """Docker takes "all" or a line count; anything else is a 400."""
    if tail in (None, "", "all"):
        return "all"
    try:
        lines = int(tail)
    except (TypeError, ValueError):
        raise exception.InvalidValue(value=tail, field="tail") from None
    if lines < 0:
        raise exception.InvalidValue(value=tail, field="tail")
    return lines


def _since(since: str | int | None) -> int | None:
    """Epoch seconds, as the API checked them (zun.common.timeutils)."""
    if since in (None, ""):
        return None
    try:
        return timeutils.epoch_seconds(since)
    except ValueError:
        raise exception.InvalidValue(value=since, field="since") from None
