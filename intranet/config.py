"""Configuration: defaults, then instance/config.py, then INTRANET_* variables, then test config."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask


class Defaults:
    """Built-in defaults; every name can be overridden (see README, «Настройка»)."""

    ENV = "development"
    DEBUG = False
    SECRET_KEY: str | None = None
    TOKEN_KEY: str | None = None
    DATABASE_URL: str | None = None  # default: SQLite in instance/
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    SQLITE_BUSY_TIMEOUT_MS = 15000

    BASE_URL = "http://127.0.0.1:5000"
    TRUSTED_HOSTS: list[str] | None = None
    MAX_CONTENT_LENGTH = 12 * 1024 * 1024
    SESSION_COOKIE_SECURE = False
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_NAME = "intranet_session"
    REMEMBER_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 12 * 3600  # absolute session lifetime, seconds
    SESSION_IDLE_TIMEOUT = 2 * 3600  # a session unused this long ends, seconds
    SESSION_TOUCH_SECONDS = 60  # a session's last use is written at most this often
    # Roles that must sign in with a second factor (TOTP). None: admin and head when
    # ENV is production, nobody elsewhere (the demo accounts sign in with a password).
    REQUIRE_2FA_FOR: list[str] | None = None
    TWO_FACTOR_ISSUER = "Колледж · Интранет"  # the account's name in the authenticator app
    TWO_FACTOR_PENDING_SECONDS = 300  # time to enter the code after the password
    TWO_FACTOR_FAILURES_PER_ACCOUNT = "5 per 15 minutes"
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    ARGON2_TIME_COST = 2
    ARGON2_MEMORY_COST = 19 * 1024  # KiB (OWASP: 19 MiB)
    ARGON2_PARALLELISM = 1

    # Flask-Limiter: memory by default, Redis with INTRANET_RATELIMIT_STORAGE_URI.
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = False
    LOGIN_FAILURES_PER_ACCOUNT = "10 per 15 minutes"
    # A whole computer class logs in from one address; only failures count, and the
    # ceiling sits far above what thirty students mistyping their passwords produce.
    LOGIN_FAILURES_PER_ADDRESS = "200 per 15 minutes"
    WEB_CONCURRENCY = 1  # worker processes that serve the app (check-deploy reads it)

    BABEL_DEFAULT_LOCALE = "ru"
    BABEL_DEFAULT_TIMEZONE = "Europe/Moscow"
    LANGUAGES = ("ru", "en")

    BOOTSTRAP_SERVE_LOCAL = True
    BOOTSTRAP_BTN_SIZE = "md"

    MAIL_SERVER: str | None = None
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_TIMEOUT = 20
    MAIL_SENDER = "Колледж · Интранет <intranet@college.local>"
    MAIL_DIR: str | None = None  # the file transport (no MAIL_SERVER): default instance/mail
    MAIL_BATCH_SIZE = 50  # messages a worker claims at once (one SMTP connection)
    MAIL_LEASE_SECONDS = 120  # a claim not renewed for this long is taken by another worker
    MAIL_MAX_ATTEMPTS = 12  # then the message is dead (about 13 hours with the backoff below)
    MAIL_RETRY_BASE_SECONDS = 60.0  # backoff: base × 2^(attempt-1), jittered, capped
    MAIL_RETRY_MAX_SECONDS = 3 * 3600.0
    MAIL_POLL_SECONDS = 1.0  # how often an idle worker looks for new mail
    MAIL_KEEP_SENT_DAYS = 90  # sent messages are purged after this
    RESET_LINKS_PER_ACCOUNT = "5 per hour"
    RESET_LINKS_PER_ADDRESS = "30 per hour"
    VENDOR_SUPPORT_EMAIL = "info@sferum.ru"

    # Help desk (see intranet/services/helpdesk). Replies to our mail come back here.
    HELPDESK_MAILBOX = "Поддержка Сферума <helpdesk@college.local>"
    HELPDESK_VENDOR_DOMAINS: list[str] | None = None  # default: the vendor address's domain
    # (first response, resolution) targets in working hours per priority.
    HELPDESK_SLA_HOURS = {
        "urgent": [1, 4],
        "high": [2, 9],
        "normal": [4, 18],
        "low": [9, 45],
    }
    HELPDESK_DUE_SOON_MINUTES = 60  # working minutes before a due time: "due soon"
    HELPDESK_WORKDAYS = [0, 1, 2, 3, 4]  # Monday = 0
    HELPDESK_WORK_HOURS = ["09:00", "18:00"]
    # Days off besides weekends (Russia, 2026, the government's calendar) and weekend days
    # worked instead; extend them each year in instance/config.py.
    HELPDESK_HOLIDAYS = [
        "2026-01-01", "2026-01-02", "2026-01-05", "2026-01-06", "2026-01-07",
        "2026-01-08", "2026-01-09", "2026-02-23", "2026-03-09", "2026-05-01",
        "2026-05-11", "2026-06-12", "2026-11-04", "2026-12-31",
    ]  # fmt: skip
    HELPDESK_EXTRA_WORKDAYS: list[str] = []
    HELPDESK_VENDOR_REMINDER_DAYS = 3  # working days without the vendor's answer
    HELPDESK_VENDOR_MAX_REMINDERS = 3
    HELPDESK_VENDOR_REF_PATTERN = r"(?:№|#|No\.?|номер)\s*:?\s*([A-Za-z]{0,4}-?\d{4,12})"
    HELPDESK_PUBLIC_RATE = "10 per hour;30 per day"  # public form posts per client address
    HELPDESK_PUBLIC_PER_CONTACT = "5 per day"  # public tickets per e-mail or phone
    HELPDESK_PUBLIC_MIN_FILL_SECONDS = 3  # a person needs longer than this to fill the form
    HELPDESK_MAX_FILES = 5
    HELPDESK_MAX_FILE_MB = 10
    HELPDESK_INBOUND_MAX_BYTES = 25 * 1024 * 1024
    HELPDESK_IMAP_HOST: str | None = None  # set to poll a mailbox (flask helpdesk fetch-mail)
    HELPDESK_IMAP_PORT = 993
    HELPDESK_IMAP_SSL = True
    HELPDESK_IMAP_USERNAME: str | None = None
    HELPDESK_IMAP_PASSWORD: str | None = None
    HELPDESK_IMAP_FOLDER = "INBOX"
    HELPDESK_AUTOCLOSE_DAYS = 7  # resolved tickets not reopened are closed after this

    # Uploads (announcement images, help-desk attachments, imports): outside static files.
    UPLOAD_DIR: str | None = None  # default instance/uploads
    UPLOAD_MAX_BYTES = 5 * 1024 * 1024  # per file; the help desk has its own limit above

    # Events and calendar feeds.
    EVENTS_UID_DOMAIN: str | None = None  # the domain of iCalendar UIDs; default BASE_URL's host
    EVENTS_REMINDER_HOUR = 9  # local hour after which the day-before reminders go out
    EVENTS_FEED_MAX_BYTES = 1_000_000  # a feed larger than this is cut to the nearest events
    EVENTS_FEED_CACHE_BYTES = 64 * 1024 * 1024  # rendered feeds kept in memory per process

    # Figures kept for a while per process (each page says when they were counted).
    CHATS_BOARD_SECONDS = 60  # the college-wide chat compliance board
    STATS_CACHE_SECONDS = 60  # the statistics page

    # Personal data (152-ФЗ).
    PERSONAL_DATA_RETENTION_DAYS = 3 * 365  # after leaving, then anonymised
    PERSONAL_DATA_WITHDRAWAL_DAYS = 30  # after consent is withdrawn

    PAGE_SIZE = 50


def load_config(app: Flask, test_config: dict | None) -> None:
    """Layer the configuration sources and fill in what is derived from them."""
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env(prefix="INTRANET")
    if test_config:
        app.config.update(test_config)

    instance = Path(app.instance_path)
    if app.config["ENV"] != "production" and not (test_config or {}).get("SECRET_KEY"):
        instance.mkdir(parents=True, exist_ok=True)
        for name in ("SECRET_KEY", "TOKEN_KEY"):
            if not app.config.get(name):
                app.config[name] = _key_file(instance / name.lower())
    url = app.config.get("DATABASE_URL") or app.config.get("SQLALCHEMY_DATABASE_URI")
    if not url:
        instance.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{instance / 'intranet.sqlite3'}"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    app.config["DEBUG"] = bool(app.config.get("DEBUG"))
    if app.config.get("REQUIRE_2FA_FOR") is None:
        production = app.config["ENV"] == "production"
        app.config["REQUIRE_2FA_FOR"] = ["admin", "head"] if production else []


def _key_file(path: Path) -> str:
    """Read a generated key from instance/, creating it on first start."""
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # the web server and the worker started together
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key
