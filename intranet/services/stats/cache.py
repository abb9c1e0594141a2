"""A short per-process cache of the statistics as rendered: the page aggregates the whole
college (tens of thousands of rows), and figures a minute old serve the head as well.

The page says when its figures were computed and offers to count them again; entering the
platform's figures empties the cache, so an admin sees their entry at once. Set
STATS_CACHE_SECONDS to 0 to compute every time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from flask import current_app

DEFAULT_SECONDS = 60
MAX_ENTRIES = 64

_entries: dict[Hashable, tuple[float, Any]] = {}
_lock = threading.Lock()


def seconds() -> int:
    return int(current_app.config.get("STATS_CACHE_SECONDS", DEFAULT_SECONDS))


def get_or_compute(key: Hashable, compute: Callable[[], Any], *, fresh: bool = False) -> Any:
    """The cached value for `key` (per database), or compute, keep and return it."""
    ttl = seconds()
    key = (current_app.config["SQLALCHEMY_DATABASE_URI"], key)
    now = time.monotonic()
    if ttl > 0 and not fresh:
        hit = _entries.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
    value = compute()
    if ttl > 0:
        with _lock:
            if len(_entries) >= MAX_ENTRIES:
                for stale in [k for k, (until, _v) in _entries.items() if until <= now]:
                    del _entries[stale]
                if len(_entries) >= MAX_ENTRIES:
                    _entries.pop(next(iter(_entries)))
            _entries[key] = (now + ttl, value)
    return value


def clear() -> None:
    """Forget every cached figure (after the figures were changed here)."""
    with _lock:
        _entries.clear()
