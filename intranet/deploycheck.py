"""Production readiness: every unsafe setting, listed; a production start refuses to serve."""

from __future__ import annotations

import os
import sys

from flask import Flask

WEAK_SECRETS = {"", "dev", "secret", "changeme", "change-me", "development", "test"}


def problems(app: Flask) -> list[str]:
    """Each unsafe production setting as one line of advice."""
    cfg = app.config
    found: list[str] = []
    for name in ("SECRET_KEY", "TOKEN_KEY"):
        value = cfg.get(name) or ""
        if value.lower() in WEAK_SECRETS or len(value) < 32:
            found.append(
                f"INTRANET_{name} is missing or weak: set at least 32 random characters "
                f"(python -c 'import secrets; print(secrets.token_urlsafe(48))')."
            )
    if cfg.get("SECRET_KEY") and cfg.get("SECRET_KEY") == cfg.get("TOKEN_KEY"):
        found.append("INTRANET_TOKEN_KEY must differ from INTRANET_SECRET_KEY.")
    if cfg.get("DEBUG") or _truthy(os.environ.get("FLASK_DEBUG")):
        found.append("Debug mode is on: unset INTRANET_DEBUG and FLASK_DEBUG.")
    if not cfg.get("SESSION_COOKIE_SECURE"):
        found.append(
            "Session cookies are sent over plain HTTP: set INTRANET_SESSION_COOKIE_SECURE=true."
        )
    if not cfg.get("REMEMBER_COOKIE_SECURE"):
        found.append(
            "Remember-me cookies are sent over plain HTTP: set INTRANET_REMEMBER_COOKIE_SECURE=true."
        )
    if not cfg.get("SESSION_COOKIE_HTTPONLY", True):
        found.append(
            "Scripts can read the session cookie: set INTRANET_SESSION_COOKIE_HTTPONLY=true."
        )
    if str(cfg.get("SESSION_COOKIE_SAMESITE") or "").lower() not in ("lax", "strict"):
        found.append(
            "The session cookie goes with cross-site requests: "
            "set INTRANET_SESSION_COOKIE_SAMESITE=Lax."
        )
    if not cfg.get("MAX_CONTENT_LENGTH"):
        found.append("No upload limit: set INTRANET_MAX_CONTENT_LENGTH (bytes).")
    if not cfg.get("RATELIMIT_ENABLED", True):
        found.append("Sign-in throttling is off: unset INTRANET_RATELIMIT_ENABLED.")
    required = {str(role) for role in cfg.get("REQUIRE_2FA_FOR") or ()}
    if not {"admin", "head"} <= required:
        found.append(
            "Two-factor sign-in is not required for the admin and head roles: unset "
            "INTRANET_REQUIRE_2FA_FOR (production requires it for both) or list both roles."
        )
    if not cfg.get("SESSION_IDLE_TIMEOUT"):
        found.append("Sessions never end when idle: set INTRANET_SESSION_IDLE_TIMEOUT (seconds).")
    storage = cfg.get("RATELIMIT_STORAGE_URI") or "memory://"
    if storage.startswith("memory") and _workers(cfg) > 1:
        found.append(
            "Rate limits are kept in memory while several worker processes serve the app: "
            "set INTRANET_RATELIMIT_STORAGE_URI=redis://…"
        )
    if not cfg.get("TRUSTED_HOSTS"):
        found.append("No trusted hosts: set INTRANET_TRUSTED_HOSTS='[\"intranet.college.ru\"]'.")
    if not str(cfg.get("BASE_URL", "")).startswith("https://"):
        found.append("INTRANET_BASE_URL must be the https:// address people use.")
    if str(cfg.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite") and _workers(cfg) > 4:
        found.append("SQLite with many worker processes: use PostgreSQL (INTRANET_DATABASE_URL).")
    return found


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() not in ("", "0", "false", "no", "off")


def _workers(cfg) -> int:
    """Worker processes: the app's setting, or gunicorn's WEB_CONCURRENCY if that says more."""
    counts = [cfg.get("WEB_CONCURRENCY") or 1, os.environ.get("WEB_CONCURRENCY") or 1]
    try:
        return max(int(c) for c in counts)
    except (TypeError, ValueError):
        return 2  # unreadable: assume several, so memory storage is flagged


def refuse_unsafe_start(app: Flask) -> None:
    found = problems(app)
    if found:
        print("Refusing to start in production with unsafe settings:", file=sys.stderr)
        for line in found:
            print(f"  - {line}", file=sys.stderr)
        raise SystemExit(1)
