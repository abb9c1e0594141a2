"""Failure throttling on Flask-Limiter's storage (memory, or Redis when configured)."""

from __future__ import annotations

import hashlib

from flask import current_app
from limits import parse

from intranet.extensions import limiter


def _item(setting: str):
    return parse(current_app.config[setting])


def _key(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.casefold().encode()).hexdigest()[:32]
    return f"{kind}:{digest}"


def is_blocked(setting: str, kind: str, value: str) -> bool:
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return False
    return not limiter.limiter.test(_item(setting), _key(kind, value))


def count_failure(setting: str, kind: str, value: str) -> None:
    if current_app.config.get("RATELIMIT_ENABLED", True):
        limiter.limiter.hit(_item(setting), _key(kind, value))


def clear(setting: str, kind: str, value: str) -> None:
    limiter.limiter.clear(_item(setting), _key(kind, value))
