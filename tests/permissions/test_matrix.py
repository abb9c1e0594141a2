"""Checks the app against the hand-written permission matrix, and that it covers every route."""

from __future__ import annotations

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound

from tests import factories
from tests.permissions.matrix import SUBJECTS, all_rows
from tests.permissions.world import build_world

ROWS = all_rows()
IGNORED_ENDPOINTS = {"static", "bootstrap.static"}
CELLS = [(row, subject) for row in ROWS for subject in SUBJECTS]


@pytest.mark.parametrize(
    ("row", "subject"), CELLS, ids=[f"{r.label()} {r.note} as {s}".strip() for r, s in CELLS]
)
def test_cell(app, client, row, subject):
    world = build_world()
    if subject != "anon":
        user = world.subject(subject)
        sid = factories.login_session(user)
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
            session["sid"] = sid
    path = row.resolve(world)
    response = client.open(path, method=row.method, data=dict(row.data) or None)
    assert response.status_code == row.expect[subject], (
        f"{row.method} {path} as {subject}: got {response.status_code}, "
        f"expected {row.expect[subject]}"
    )


def test_every_route_is_in_the_matrix(app):
    """A route (and method) missing from the table fails here."""
    adapter = app.url_map.bind("localhost")
    covered: set[tuple[str, str]] = set()
    placeholder = _PlaceholderWorld()
    for row in ROWS:
        path = row.resolve(placeholder)
        try:
            endpoint, _args = adapter.match(path.split("?")[0], method=row.method)
        except (NotFound, MethodNotAllowed) as error:
            raise AssertionError(f"matrix row {row.label()} matches no route") from error
        covered.add((endpoint, row.method))
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in IGNORED_ENDPOINTS:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if (rule.endpoint, method) not in covered:
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert not missing, "routes missing from the permission matrix:\n" + "\n".join(missing)


class _PlaceholderWorld:
    """Resolves object paths without a database: every object has id 1."""

    class _Obj:
        id = 1

    def __getattr__(self, name):
        return self._Obj()
