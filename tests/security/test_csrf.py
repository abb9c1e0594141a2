"""CSRF: every unsafe route refuses a request without a token (400) and changes nothing.

The routes are the permission matrix's unsafe rows (with the form fields that make them do
something), plus any unsafe route without a row yet whose arguments the world can fill.
"""

from __future__ import annotations

import pytest

from intranet.extensions import db
from tests.permissions.world import build_world
from tests.security.support import UNSAFE, changed_tables, sign_in, snapshot, targets

# Routes that take unsafe requests from outside a browser session and so carry no CSRF
# token by design (each with its reason). Nothing is exempt yet.
EXEMPT: dict[str, str] = {}


@pytest.mark.parametrize("subject", ["anon", "admin", "student"])
def test_unsafe_requests_without_a_token_are_refused(app, client, subject):
    world = build_world()
    if subject != "anon":
        sign_in(client, world.subject(subject))
    routes, _unresolved = targets(app, world, UNSAFE)
    # Signing out last, so that if a refusal ever fails the rest still run signed in.
    routes.sort(key=lambda t: "logout" in t.endpoint)
    failures = []
    checked = 0
    before = snapshot()
    for target in routes:
        if target.endpoint in EXEMPT:
            continue
        response = client.open(
            target.path, method=target.method, data=dict(target.data), csrf=False
        )
        checked += 1
        if response.status_code != 400:
            failures.append(f"{target.method} {target.path}: {response.status_code}, not 400")
    # One snapshot around them all keeps this fast; a change is named by table, and the
    # requests not refused above are where to look.
    changed = changed_tables(before, snapshot())
    if changed:
        failures.append(f"the refused requests changed {', '.join(changed)}")
    assert checked >= 6
    assert not failures, f"as {subject}:\n" + "\n".join(failures)
    # Still signed in: a refused request did not end the session either.
    if subject != "anon":
        assert client.get("/").status_code == 200


def test_every_unsafe_route_is_checked(app):
    """An unsafe route that neither a matrix row nor the world's ids can fill is not checked."""
    _routes, unresolved = targets(app, build_world(), UNSAFE)
    assert not unresolved, "unsafe routes the CSRF check cannot reach (add matrix rows):\n" + (
        "\n".join(unresolved)
    )


def test_a_token_of_another_session_is_refused(app, client, make):
    """A token is bound to its session: one taken from another browser does not work."""
    other = app.test_client()
    foreign = other.csrf_token()
    user = make.user("student")
    sign_in(client, user)
    before = snapshot()
    response = client.post(
        "/profile",
        data={"csrf_token": foreign, "last_name": "Подменов", "first_name": "Иван", "locale": "ru"},
    )
    assert response.status_code == 400
    assert not changed_tables(before, snapshot())


def test_the_same_request_with_a_token_goes_through(app, client, make):
    """The refusal above is about the token: with one, the same request works."""
    user = make.user("student")
    sign_in(client, user)
    response = client.post(
        "/profile",
        data={"last_name": "Подменов", "first_name": "Иван", "middle_name": "", "locale": "ru"},
    )
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.last_name == "Подменов"


def test_logout_and_state_changing_routes_refuse_get(app, client, login_as):
    """Signing out is a POST (a link or an image cannot sign anyone out)."""
    login_as("student")
    post_only = [
        rule
        for rule in app.url_map.iter_rules()
        if "logout" in rule.endpoint or rule.endpoint.endswith(("delete", "remove"))
    ]
    assert post_only
    for rule in post_only:
        assert "GET" not in rule.methods, f"{rule.rule} answers GET"
    assert client.get("/logout").status_code == 405
    assert client.get("/logout-everywhere").status_code == 405
    assert client.get("/").status_code == 200
