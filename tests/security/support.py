"""Shared helpers of the security checks: the routes to visit, signing in, database snapshots.

Paths come from the permission matrix (tests/permissions/rows_*.py), so the checks visit
exactly the matrix's concrete paths. A route that has no row yet is still visited when its
arguments can be filled from the world by name (``group_id`` → ``world.group_own``); a route
that can be neither is reported, so a new route is never silently skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import Flask
from sqlalchemy import select
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import BuildError

from intranet import create_app
from intranet.extensions import db, limiter
from tests import factories
from tests.permissions.matrix import SUBJECTS, all_rows

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
IGNORED_ENDPOINTS = {"static", "bootstrap.static"}
# Argument names that do not follow the "<world attribute>_id" pattern.
ARGUMENT_OBJECTS = {
    "user_id": "student",
    "person_id": "student",
    "student_id": "student",
    "parent_id": "parent",
    "tutor_id": "tutor",
    "teacher_id": "teacher",
    "group_id": "group_own",
}

__all__ = ["SUBJECTS", "Target", "targets", "sign_in", "snapshot", "extra_app"]


@dataclass(frozen=True)
class Target:
    method: str
    path: str
    endpoint: str
    data: tuple[tuple[str, str], ...] = ()
    source: str = "matrix"  # or "generic" for a route that has no matrix row yet


def targets(app: Flask, world, methods: tuple[str, ...]) -> tuple[list[Target], list[str]]:
    """Every (method, path) to visit for these methods, and the routes that could not be filled.

    Matrix rows come first, each once; then every rule × method that no row covers, with its
    arguments taken from the world.
    """
    adapter = app.url_map.bind("localhost")
    found: list[Target] = []
    seen: set[tuple[str, str]] = set()
    covered: set[tuple[str, str]] = set()
    for row in all_rows():
        if row.method not in methods:
            continue
        path = row.resolve(world)
        try:
            endpoint, _args = adapter.match(path.split("?")[0], method=row.method)
        except (NotFound, MethodNotAllowed):
            continue  # the matrix's own test reports rows that match no route
        covered.add((endpoint, row.method))
        if (row.method, path) in seen:
            continue
        seen.add((row.method, path))
        found.append(Target(row.method, path, endpoint, tuple(sorted(row.data.items()))))
    unresolved: list[str] = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in IGNORED_ENDPOINTS:
            continue
        for method in sorted(set(rule.methods or ()) & set(methods)):
            if (rule.endpoint, method) in covered:
                continue
            values = _arguments(rule, world)
            if values is None:
                unresolved.append(f"{method} {rule.rule} ({rule.endpoint})")
                continue
            try:
                path = adapter.build(rule.endpoint, values, method=method)
            except BuildError:
                unresolved.append(f"{method} {rule.rule} ({rule.endpoint})")
                continue
            if (method, path) not in seen:
                seen.add((method, path))
                found.append(Target(method, path, rule.endpoint, source="generic"))
    return found, unresolved


def _arguments(rule, world) -> dict | None:
    values = {}
    for name in rule.arguments:
        if rule.defaults and name in rule.defaults:
            continue
        attribute = ARGUMENT_OBJECTS.get(name) or name.removesuffix("_id")
        obj = getattr(world, attribute, None)
        if obj is None or not name.endswith("_id"):
            return None
        values[name] = obj.id
    return values


def sign_in(client, user) -> None:
    """Sign the client in as this user (a real login session, no password hashing)."""
    sid = factories.login_session(user)
    with client.session_transaction() as session:
        session.clear()
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        session["sid"] = sid


def snapshot(*, ignore_columns: frozenset[str] = frozenset()) -> dict[str, list[tuple]]:
    """Every committed row of every table, to prove that a request changed nothing."""
    db.session.expire_all()
    result = {}
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if c.name not in ignore_columns]
        order = list(table.primary_key.columns) or columns
        rows = db.session.execute(select(*columns).order_by(*order)).all()
        result[table.name] = [tuple(r) for r in rows]
    return result


def changed_tables(before: dict, after: dict) -> list[str]:
    return [name for name in before if before[name] != after.get(name)]


@contextmanager
def extra_app(app: Flask, config: dict) -> Iterator[Flask]:
    """A second app built with this config (from the test app's own).

    Flask-Limiter keeps one storage per Limiter object, and the limiter is module-global, so
    building another app rebinds it; the test app's binding is put back afterwards.
    """
    settings = {
        key: app.config[key]
        for key in (
            "TESTING",
            "ENV",
            "SECRET_KEY",
            "TOKEN_KEY",
            "SQLALCHEMY_DATABASE_URI",
            "ARGON2_TIME_COST",
            "ARGON2_MEMORY_COST",
            "ARGON2_PARALLELISM",
            "RATELIMIT_STORAGE_URI",
            "BASE_URL",
        )
    }
    settings.update(config)
    for key in [k for k, v in settings.items() if v is None]:
        del settings[key]  # None: leave it to the defaults and the INTRANET_* environment
    try:
        # Requests of the second app use the test's session too (conftest binds db.session
        # to the test's connection), so they see the test's data and are rolled back with it.
        other = create_app(settings)
        other.test_client_class = app.test_client_class  # adds CSRF tokens, like the fixture's
        yield other
    finally:
        limiter.init_app(app)
