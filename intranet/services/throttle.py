"""Failure throttling: counters in the app's own limits storage (memory, or Redis when
RATELIMIT_STORAGE_URI says so, shared by every worker process and host).

Each app keeps its storage in app.extensions rather than on the module-global Flask-Limiter
object, so two apps in one process count apart exactly as two worker processes would; with
Redis they share the counters. When the storage cannot be reached, counting goes on in this
process's memory (and says so in the log) rather than failing the sign-in with a 500.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from dataclasses import dataclass

from flask import Flask, current_app
from limits import RateLimitItem, parse
from limits.storage import Storage, storage_from_string
from limits.strategies import STRATEGIES, RateLimiter

_EXTENSION = "intranet.throttle"
_LOCK = threading.Lock()
_REDIS_DEFAULTS = {"socket_connect_timeout": 1.0, "socket_timeout": 1.0}


@dataclass
class _State:
    storage: Storage
    strategy: RateLimiter
    fallback: RateLimiter


def _state(app: Flask | None = None) -> _State:
    app = app or current_app._get_current_object()
    state = app.extensions.get(_EXTENSION)
    if state is None:
        with _LOCK:
            state = app.extensions.get(_EXTENSION)
            if state is None:
                state = app.extensions[_EXTENSION] = _build(app)
    return state


def _build(app: Flask) -> _State:
    uri = app.config.get("RATELIMIT_STORAGE_URI") or "memory://"
    options = dict(app.config.get("RATELIMIT_STORAGE_OPTIONS") or {})
    if uri.startswith(("redis://", "rediss://", "redis+")):
        options = {**_REDIS_DEFAULTS, **options}
    kind = STRATEGIES[app.config.get("RATELIMIT_STRATEGY") or "fixed-window"]
    storage = storage_from_string(uri, **options)
    return _State(storage, kind(storage), kind(storage_from_string("memory://")))


def _item(setting: str) -> RateLimitItem:
    return parse(current_app.config[setting])


def _key(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.casefold().encode()).hexdigest()[:32]
    return f"intranet/{kind}:{digest}"


def _run(operation: str, setting: str, kind: str, value: str) -> bool:
    state = _state()
    item, key = _item(setting), _key(kind, value)
    try:
        return getattr(state.strategy, operation)(item, key)
    except state.storage.base_exceptions:
        current_app.logger.warning(
            "throttle storage unreachable; counting %s in this process's memory", kind
        )
        return getattr(state.fallback, operation)(item, key)


def is_blocked(setting: str, kind: str, value: str) -> bool:
    """Whether the limit named by this setting is used up for this value."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return False
    return not _run("test", setting, kind, value)


def count_failure(setting: str, kind: str, value: str) -> None:
    """Count one failure against the limit named by this setting."""
    if current_app.config.get("RATELIMIT_ENABLED", True):
        _run("hit", setting, kind, value)


def clear(setting: str, kind: str, value: str) -> None:
    """Forget the failures counted for this value."""
    _run("clear", setting, kind, value)


def reset(app: Flask | None = None) -> None:
    """Forget every counter of this app (tests; `flask` shell after an incident)."""
    state = _state(app)
    for strategy in (state.strategy, state.fallback):
        with contextlib.suppress(NotImplementedError):
            strategy.storage.reset()
