"""Shared pieces of the hostile-input checks: the corpus, the world, recording what a view reads.

The routes come from the permission matrix and app.url_map exactly as in tests/security
(`targets`), so a new route is fuzzed and crawled without being listed here.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser

from flask import Flask
from werkzeug.datastructures import ImmutableMultiDict

from intranet.extensions import db
from tests.permissions.matrix import SUBJECTS, all_rows
from tests.permissions.world import build_world
from tests.security.support import UNSAFE, Target, sign_in, targets

DEEP = os.environ.get("HYPOTHESIS_PROFILE") == "deep"

# --- the corpus -------------------------------------------------------------------------------
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
XSS = [
    SCRIPT,
    IMG,
    "'><svg/onload=alert(1)>",
    "javascript:alert(1)",
    "{{7*7}}",
    "{% raw %}{%{% endraw %}",
    "{%print(7*7)%}",
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(1+1)",
    "\u202eexe.pdf",
    "a\u200bb\u200c\u200d\ufeff",
    "a\x00b",
    "Я" * 10_000,
]

# Values for query-string parameters and form fields that are not free text.
NUMBERS = ["-1", "0", "99999999999999999999", "18446744073709551616", "1e309", "NaN", "0x10"]
DATES = ["2026-02-30", "0000-01-01", "9999-12-31", "275760-09-13", "2026-13-01", "31.12.2026"]
TIMES = ["25:61", "24:00", "-1:00", "12:00:00.000000001"]
ZONES = ["Mars/Olympus", "../../etc/passwd", "UTC+99", "Europe/Moscow\x00"]
RRULES = [
    "FREQ=SECONDLY",
    "FREQ=DAILY;COUNT=10000000",
    "FREQ=WEEKLY;UNTIL=19700101T000000Z",
    "FREQ=YEARLY;BYMONTHDAY=31;BYMONTH=2",
    "garbage;;=",
]
PHONES = ["+7 (999) 000-00-00 доб. 5", "телефон", "9" * 100, "+"]
ODD = ["", "\x00", "%00", "a\x00b", "x" * 10_000, "\u202e\u200b", "../../etc/passwd", "[]", "%"]
QUERY_VALUES = NUMBERS + DATES + ZONES + RRULES[:2] + PHONES[:1] + ODD + [SCRIPT]
QUERY_VALUES_QUICK = [
    "-1",
    "99999999999999999999",
    "2026-02-30",
    "9999-12-31",
    "Mars/Olympus",
    "a\x00b",
    "x" * 10_000,
    IMG,
]


def hostile_text(marker: str = "") -> str:
    """One string with every kind of trouble in it (markup, formula, RTL, NUL), tagged."""
    return f"=1+1 {SCRIPT}{IMG}{{{{7*7}}}}\u202e\u200b{marker}"


# --- the world and the routes -----------------------------------------------------------------
@dataclass
class Routes:
    world: object
    gets: list[Target]
    posts: list[Target]
    allowed: dict[tuple[str, str], str] = field(default_factory=dict)  # (method, path) → subject


REFUSED = {401, 403, 404, 405}
PREFERENCE = ("admin", "head", "deputy", "tutor", "teacher", "student", "parent")


def _who_uses(expect: dict[str, int]) -> str:
    """The subject a route is for: anon for a page only a visitor gets (the login form),
    else the first signed-in subject (admin first) the matrix does not refuse."""
    if expect["anon"] == 200 and expect["admin"] != 200:
        return "anon"
    for subject in PREFERENCE:
        if expect[subject] not in REFUSED:
            return subject
    return "anon"


def build_routes(app: Flask) -> Routes:
    """The world, every GET and unsafe target, and for each unsafe path who may post it."""
    world = build_world()
    gets, _ = targets(app, world, ("GET",))
    posts, _ = targets(app, world, UNSAFE)
    allowed: dict[tuple[str, str], str] = {}
    for row in all_rows():
        allowed.setdefault((row.method, row.resolve(world)), _who_uses(row.expect))
    return Routes(world, gets, posts, allowed)


def subject_for(routes: Routes, target: Target) -> str:
    """The first subject (admin first) the matrix lets use this path."""
    return routes.allowed.get((target.method, target.path), "admin")


def become(client, world, subject: str) -> None:
    if subject == "anon":
        with client.session_transaction() as session:
            session.clear()
    else:
        sign_in(client, world.subject(subject))


# --- what a view reads ------------------------------------------------------------------------
READ_KEYS: set[str] = set()


class RecordingDict(ImmutableMultiDict):
    """request.args / request.form that note every key a view asks for."""

    def __getitem__(self, key):
        READ_KEYS.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None, type=None):  # noqa: A002 - MultiDict's signature
        READ_KEYS.add(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):  # noqa: A002
        READ_KEYS.add(key)
        return super().getlist(key, type)

    def __contains__(self, key):
        READ_KEYS.add(key)
        return super().__contains__(key)


@contextmanager
def recording(app: Flask) -> Iterator[set[str]]:
    """Within: READ_KEYS collects the query and form keys views read; yields that set."""
    original = app.request_class

    class Recording(RecordingDict, original.parameter_storage_class):
        pass

    class RecordingRequest(original):
        parameter_storage_class = Recording

    app.request_class = RecordingRequest
    READ_KEYS.clear()
    try:
        yield READ_KEYS
    finally:
        app.request_class = original


# --- crashes ----------------------------------------------------------------------------------
@contextmanager
def crash_log(app: Flask) -> Iterator[list[str]]:
    """Collects the last line of each unhandled exception's traceback the app logs."""
    import logging

    found: list[str] = []

    class Handler(logging.Handler):
        def emit(self, record):
            if record.exc_info:
                error = record.exc_info[1]
                found.append(f"{type(error).__name__}: {str(error)[:300]}")

    handler = Handler(level=logging.ERROR)
    app.logger.addHandler(handler)
    try:
        yield found
    finally:
        app.logger.removeHandler(handler)


# --- savepoints -------------------------------------------------------------------------------
@contextmanager
def rolled_back() -> Iterator[None]:
    """Run a block in a savepoint of the test's connection, rolled back at its end.

    The conftest binds every session (the test's and each request's) to one connection in a
    transaction; a savepoint on that connection undoes whatever a request committed.
    """
    # The test's session closes its own savepoint first, so that every one it opens inside
    # the block is nested in this one (and its rollback below cannot take this one away).
    db.session.commit()
    connection = db.session.get_bind()
    savepoint = connection.begin_nested()
    try:
        yield
    finally:
        # The test's own session may hold a savepoint inside this one: it goes first.
        db.session.rollback()
        if savepoint.is_active:
            savepoint.rollback()
        db.session.expire_all()


def total_changes() -> int | None:
    """SQLite's count of rows written on this connection (None on other engines)."""
    connection = db.session.get_bind()
    if connection.dialect.name != "sqlite":
        return None
    return connection.exec_driver_sql("SELECT total_changes()").scalar()


# --- live markup ------------------------------------------------------------------------------
BAD_SCHEMES = ("javascript:", "vbscript:", "data:text")
OUR_SCRIPTS = ("/static/", "/bootstrap/static/")


class LiveMarkup(HTMLParser):
    """Collects what would run in a browser: scripts not from /static, handlers, bad URLs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "script" and not (names.get("src") or "").startswith(OUR_SCRIPTS):
            self.problems.append(f"<script {attrs}>")
        # (Our own inline SVG charts are fine: a handler in one is caught below.)
        if tag in ("iframe", "object", "embed", "math", "style", "base"):
            self.problems.append(f"<{tag} {attrs}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name in ("href", "src", "action", "formaction", "xlink:href") and value:
                squeezed = "".join(value.split()).lower()
                if squeezed.startswith(BAD_SCHEMES):
                    self.problems.append(f"<{tag} {name}={value!r}>")

    handle_startendtag = handle_starttag


def live_markup(html: str) -> list[str]:
    parser = LiveMarkup()
    parser.feed(html)
    parser.close()
    return parser.problems


TEMPLATE_EVALUATED = re.compile(r"(?<![\d{])49(?!\d)")

__all__ = ["SUBJECTS", "UNSAFE"]
