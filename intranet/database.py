"""Engine set-up: SQLite pragmas and BEGIN IMMEDIATE for writers; request transactions."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

from flask import Flask, current_app, request
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from intranet.extensions import db

# Whether the next transaction on this thread may write. Safe requests (GET/HEAD) read
# without taking SQLite's write lock; everything else (unsafe requests, the worker, CLI)
# begins with BEGIN IMMEDIATE so read-modify-write cycles never lose updates.
_writer: ContextVar[bool] = ContextVar("intranet_writer", default=True)


def init_app(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])

    @app.before_request
    def _mark_readonly() -> None:
        _writer.set(request.method not in ("GET", "HEAD", "OPTIONS"))

    @app.teardown_request
    def _reset_writer(_exc) -> None:
        _writer.set(True)


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Take transaction control away from the sqlite3 module: it would otherwise
        # begin lazily with a plain BEGIN and fail at once with "database is locked".
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _writer.get() else "BEGIN")


@contextlib.contextmanager
def write_transaction() -> Iterator[Connection]:
    """A short transaction of its own that may write, e.g. bookkeeping during a GET."""
    token = _writer.set(True)
    try:
        with db.engine.begin() as conn:
            yield conn
    finally:
        _writer.reset(token)


@contextlib.contextmanager
def short_write(wait_ms: int = 100) -> Iterator[Connection]:
    """A transaction of its own for bookkeeping during a GET that gives up after a moment
    (SQLite's busy timeout, PostgreSQL's lock timeout) instead of holding the request up."""
    token = _writer.set(True)
    try:
        with db.engine.connect() as conn:
            sqlite = conn.dialect.name == "sqlite"
            raw = conn.connection.driver_connection
            if sqlite:
                raw.execute(f"PRAGMA busy_timeout = {int(wait_ms)}")
            try:
                with conn.begin():
                    if not sqlite:
                        conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{int(wait_ms)}ms'")
                    yield conn
            finally:
                if sqlite:
                    timeout = int(current_app.config["SQLITE_BUSY_TIMEOUT_MS"])
                    raw.execute(f"PRAGMA busy_timeout = {timeout}")
    finally:
        _writer.reset(token)


def is_writer() -> bool:
    return _writer.get()
