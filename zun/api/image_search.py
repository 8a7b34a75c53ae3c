"""``GET /v1/images/search``: look for an image in the operator's registries.

Upstream asks Docker Hub's search API from a compute host; here the API
itself reads the registry v2 API of each ``[registry] search_registries``
entry (``/v2/_catalog``, then ``/v2/<name>/tags/list`` for each match).
Only operator-named registries are contacted, so a search cannot make the
API reach anything else. A registry that does not answer is skipped and
named in the answer's notes; with none configured the answer is empty and
the note says why.
"""
from __future__ import annotations

import dataclasses
import logging
from typing import Any

import requests

from zun.conf import CONF

LOG = logging.getLogger(__name__)

TIMEOUT = 10  # seconds per registry request
CATALOG_PAGE = 1000  # repositories asked for per catalog request

NO_REGISTRIES = ("no registry to search: an operator lists them in "
                 "[registry] search_registries (Docker Hub cannot be searched)")


@dataclasses.dataclass
class Result:
    """The matches (zunclient's columns: id, name, tags, status, size,
    metadata) and what went wrong on the way."""

    images: list[dict[str, Any]]
    notes: list[str]


def _get(url: str) -> Any:
    response = requests.get(url, timeout=TIMEOUT)
    response.raise_for_status()
    return response.json()


def _matches(term: str, registry: str, name: str, exact: bool) -> bool:
    full = "%s/%s" % (registry, name)
    wanted = term.split("@", 1)[0]
    last = wanted.rsplit("/", 1)[-1]
    if ":" in last:  # a tag in the term: search the repository
        wanted = wanted.rsplit(":", 1)[0]
    if exact:
        return wanted in (name, full)
    return wanted in full


def search(term: str, exact: bool = False) -> Result:
    """Repositories whose name contains ``term`` (equals it with ``exact``),
    across the configured registries, each with its tags."""
    registries = list(CONF.registry.search_registries)
    if not registries:
        return Result([], [NO_REGISTRIES])
    scheme = "https" if CONF.registry.search_https else "http"
    images: list[dict[str, Any]] = []
    notes: list[str] = []
    for registry in registries:
        base = "%s://%s/v2" % (scheme, registry)
        try:
            names = _get("%s/_catalog?n=%d" % (base, CATALOG_PAGE)).get(
                "repositories") or []
            for name in sorted(names):
                if not _matches(term, registry, name, exact):
                    continue
                tags = _get("%s/%s/tags/list" % (base, name)).get("tags") or []
                images.append({"id": None, "name": "%s/%s" % (registry, name),
                               "tags": sorted(tags), "status": None, "size": None,
                               "metadata": {"registry": registry}})
        except (requests.RequestException, ValueError, AttributeError) as exc:
            LOG.warning("Image search: registry %s failed: %s", registry, exc)
            notes.append("registry %s could not be searched (%s)"
                         % (registry, type(exc).__name__))
    return Result(images, notes)
