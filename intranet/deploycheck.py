"""Production readiness: every unsafe setting, listed; a production start refuses to serve."""

from __future__ import annotations

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
    if cfg.get("DEBUG"):
        found.append("Debug mode is on: unset INTRANET_DEBUG.")
    if not cfg.get("SESSION_COOKIE_SECURE"):
        found.append(
            "Session cookies are sent over plain HTTP: set INTRANET_SESSION_COOKIE_SECURE=true."
        )
    if not cfg.get("REMEMBER_COOKIE_SECURE"):
        found.append(
            "Remember-me cookies are sent over plain HTTP: set INTRANET_REMEMBER_COOKIE_SECURE=true."
        )
    if not cfg.get("MAX_CONTENT_LENGTH"):
        found.append("No upload limit: set INTRANET_MAX_CONTENT_LENGTH (bytes).")
    storage = cfg.get("RATELIMIT_STORAGE_URI", "memory://")
    if storage.startswith("memory") and int(cfg.get("WEB_CONCURRENCY") or 1) > 1:
        found.append(
            "Rate limits are kept in memory while several worker processes serve the app: "
            "set INTRANET_RATELIMIT_STORAGE_URI=redis://…"
        )
    if not cfg.get("TRUSTED_HOSTS"):
        found.append("No trusted hosts: set INTRANET_TRUSTED_HOSTS='[\"intranet.college.ru\"]'.")
    if not str(cfg.get("BASE_URL", "")).startswith("https://"):
        found.append("INTRANET_BASE_URL must be the https:// address people use.")
    if (
        str(cfg.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite")
        and int(cfg.get("WEB_CONCURRENCY") or 1) > 4
    ):
        found.append("SQLite with many worker processes: use PostgreSQL (INTRANET_DATABASE_URL).")
    return found


def refuse_unsafe_start(app: Flask) -> None:
    found = problems(app)
    if found:
        print("Refusing to start in production with unsafe settings:", file=sys.stderr)
        for line in found:
            print(f"  - {line}", file=sys.stderr)
        raise SystemExit(1)
