"""Every page, as every subject: security headers, cookies, no 500, nothing CSP would block.

The pages are the permission matrix's GET paths (own and someone else's objects), plus any
GET route without a row yet whose arguments the world can fill, plus a page that does not
exist. One world is built per subject and every page is fetched inside that one test.
"""

from __future__ import annotations

from html.parser import HTMLParser
from http.cookies import SimpleCookie

import pytest
from flask import Response

from intranet.extensions import db
from intranet.services import audit
from tests import factories
from tests.permissions.world import build_world
from tests.security.support import (
    SUBJECTS,
    changed_tables,
    extra_app,
    sign_in,
    snapshot,
    targets,
)

STATIC = ("/static/", "/bootstrap/")
# Bookkeeping that a GET may write in a short transaction of its own (DESIGN.md: a feed's
# last use, at most hourly).
GET_BOOKKEEPING = frozenset({"last_used_at", "last_seen_at"})


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = [w.lower() for w in words[1:]]
    return directives


def csp_problems(header: str | None) -> list[str]:
    if not header:
        return ["no Content-Security-Policy"]
    directives = csp_directives(header)
    problems = []
    script = directives.get("script-src", directives.get("default-src"))
    if script is None:
        problems.append("CSP has neither script-src nor default-src")
    else:
        for bad in ("'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:"):
            if bad in script:
                problems.append(f"CSP script-src allows {bad}")
    if directives.get("frame-ancestors") != ["'none'"]:
        problems.append("CSP lacks frame-ancestors 'none'")
    if directives.get("object-src", directives.get("default-src")) != ["'none'"]:
        problems.append("CSP lacks object-src 'none'")
    return problems


class InlineFinder(HTMLParser):
    """What a CSP without 'unsafe-inline' blocks: inline scripts, styles and handlers."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        where = f"<{tag}{' id=' + names['id'] if names.get('id') else ''}>"
        if tag == "script":
            if not names.get("src"):
                self.problems.append("inline <script> without src")
            elif names.get("type", "").lower() not in ("", "text/javascript", "module"):
                self.problems.append(f"<script type={names['type']}>")
        if tag == "style":
            self.problems.append("inline <style> element")
        for name, value in attrs:
            if name == "style":
                self.problems.append(f'style="" attribute on {where}')
            elif name.startswith("on"):
                self.problems.append(f"inline event handler {name} on {where}")
            elif name in ("href", "src", "action", "formaction") and (
                value or ""
            ).strip().lower().startswith("javascript:"):
                self.problems.append(f"javascript: URL in {name} of {where}")

    handle_startendtag = handle_starttag


def inline_problems(html: str) -> list[str]:
    finder = InlineFinder()
    finder.feed(html)
    finder.close()
    return finder.problems


def cookie_problems(response, app) -> list[str]:
    problems = []
    for raw in response.headers.getlist("Set-Cookie"):
        cookie = SimpleCookie()
        cookie.load(raw)
        for name, morsel in cookie.items():
            lowered = raw.lower()
            if "httponly" not in lowered:
                problems.append(f"cookie {name} without HttpOnly")
            if morsel["samesite"].lower() not in ("lax", "strict"):
                problems.append(f"cookie {name} without SameSite=Lax")
            if app.config["SESSION_COOKIE_SECURE"] and "secure" not in lowered.split("; "):
                problems.append(f"cookie {name} without Secure")
    return problems


def response_problems(response, app, *, path: str) -> list[str]:
    """Everything wrong with one answer, as readable lines."""
    problems = []
    if response.status_code >= 500:
        problems.append(f"status {response.status_code}")
    headers = response.headers
    problems += csp_problems(headers.get("Content-Security-Policy"))
    if headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("X-Content-Type-Options is not nosniff")
    if headers.get("Referrer-Policy") != "same-origin":
        problems.append(f"Referrer-Policy is {headers.get('Referrer-Policy')!r}")
    if headers.get("X-Frame-Options") != "DENY":
        problems.append("X-Frame-Options is not DENY")
    is_html = response.mimetype == "text/html"
    # Pages and exports carry personal data: never kept by a shared or back-button cache.
    # Feeds (iCalendar, Atom) choose their own caching: they answer conditional requests.
    private = is_html or response.mimetype == "text/csv"
    if private and not path.startswith(STATIC):
        cache = {d.strip().lower() for d in headers.get("Cache-Control", "").split(",")}
        if "no-store" not in cache:
            problems.append(f"Cache-Control is {headers.get('Cache-Control')!r}, not no-store")
    problems += cookie_problems(response, app)
    if is_html:
        problems += inline_problems(response.get_data(as_text=True))
    return problems


def crawl(client, app, paths: list[str]) -> list[str]:
    failures = []
    for path in paths:
        response = client.get(path)
        for problem in response_problems(response, app, path=path):
            failures.append(f"GET {path}: {problem}")
    return failures


def test_every_get_route_is_crawled(app):
    """A GET route that neither a matrix row nor the world's ids can fill is not crawled."""
    world = build_world()
    _pages, unresolved = targets(app, world, ("GET",))
    assert not unresolved, "GET routes the crawl cannot reach (add permission-matrix rows):\n" + (
        "\n".join(unresolved)
    )


@pytest.mark.parametrize("subject", SUBJECTS)
def test_every_page_has_the_security_headers(app, client, monkeypatch, subject):
    world = build_world()
    # Lists with a second page render their pager too: small pages, and a long audit log.
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    for n in range(55):
        audit.record("test.crawl", actor=world.admin, obj=world.student, summary=f"event {n}")
    db.session.commit()
    if subject != "anon":
        sign_in(client, world.subject(subject))
    # Resolving a row's path may build the object it points at: done before the snapshot.
    pages, _unresolved = targets(app, world, ("GET",))
    paths = [t.path for t in pages] + ["/no-such-page", "/static/css/app.css"]
    assert len(paths) > 10
    before = snapshot(ignore_columns=GET_BOOKKEEPING)
    failures = crawl(client, app, paths)
    # GET answers read only (DESIGN.md): the crawl changed no row.
    changed = changed_tables(before, snapshot(ignore_columns=GET_BOOKKEEPING))
    if changed:
        failures.append(f"the GET requests changed {', '.join(changed)}")
    assert not failures, f"as {subject}:\n" + "\n".join(failures)


@pytest.mark.parametrize("secure", [False, True])
def test_session_cookie_flags(app, client, monkeypatch, secure):
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", secure)
    user = factories.password_user("student")
    response = client.post(
        "/login", data={"login": user.email, "password": "correct horse battery"}
    )
    assert response.status_code == 302
    raw = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("intranet_session=")]
    assert raw, "signing in sets the session cookie"
    attributes = [a.strip().lower() for a in raw[-1].split(";")]
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert ("secure" in attributes) is secure
    assert not cookie_problems(response, app)
    # The pages after signing in are private.
    home = client.get("/")
    assert home.status_code == 200
    assert "no-store" in home.headers["Cache-Control"]
    assert ("Strict-Transport-Security" in home.headers) is secure


def test_checks_catch_what_they_look_for():
    """The checkers themselves find each problem they are meant to find."""
    assert csp_problems(None) == ["no Content-Security-Policy"]
    assert "CSP script-src allows 'unsafe-inline'" in csp_problems(
        "default-src 'self'; script-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
    )
    assert "CSP script-src allows 'unsafe-eval'" in csp_problems(
        "default-src 'self' 'unsafe-eval'; frame-ancestors 'none'; object-src 'none'"
    )
    assert "CSP lacks frame-ancestors 'none'" in csp_problems("default-src 'self'")
    assert inline_problems('<script src="/static/js/app.js"></script><p class="x">a</p>') == []
    assert inline_problems("<script>alert(1)</script>") == ["inline <script> without src"]
    assert inline_problems('<div style="color:red">') == ['style="" attribute on <div>']
    assert inline_problems('<img src="x" onerror="alert(1)">')
    assert inline_problems('<a href=" JavaScript:alert(1)">x</a>')


def test_a_view_with_a_policy_of_its_own_stays_unframeable(app):
    """A download may set a stricter policy (sandbox); framing stays forbidden."""
    with extra_app(app, {}) as other:

        @other.route("/-/test-own-policy")
        def own_policy():
            response = Response("file", mimetype="application/octet-stream")
            response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
            return response

        policy = other.test_client().get("/-/test-own-policy").headers["Content-Security-Policy"]
    assert "sandbox" in policy
    assert not csp_problems(policy), policy
