"""axe-core on every page the header crawl visits, as every role, in one browser.

The pages are tests/security's collection (the permission matrix's GET paths, own and other
people's objects, plus routes the world's ids fill). Each role's pages are rendered in-process
by the test app on the permission matrix's world, and the browser is served those answers
(Playwright routes every request to the test client, static files included), so the crawl
needs neither a server nor a second copy of the world. Each route is loaded once per role that
gets a page (200, HTML) from it; the first path of a route stands for its others.
Serious and critical violations fail the test, listed per page.
"""

from __future__ import annotations

import time
from urllib.parse import unquote, urlsplit

from tests.browser.support import AXE, BLOCKING
from tests.permissions.world import build_world
from tests.security.support import SUBJECTS, sign_in, targets

HOST = "intranet.test"
BASE = f"http://{HOST}"
STATIC = ("/static/", "/bootstrap/")
# Rules whose findings are never serious or critical are left out: the crawl is about time.
RUN_AXE = """async () => await window.axe.run(document, {
    resultTypes: ['violations'],
    rules: {region: {enabled: false}, 'landmark-one-main': {enabled: false},
            'page-has-heading-one': {enabled: false}, 'heading-order': {enabled: false},
            'landmark-unique': {enabled: false}, 'landmark-complementary-is-top-level':
            {enabled: false}}
})"""
SKIPPED_HEADERS = frozenset({"content-length", "transfer-encoding", "connection"})


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        nodes = ", ".join(str(n["target"]) for n in v["nodes"][:3])
        lines.append(f"  {v['impact']} {v['id']}: {v['help']} ({len(v['nodes'])}× e.g. {nodes})")
    return "\n".join(lines)


def test_every_page_passes_axe_as_every_role(app, browser):
    world = build_world()
    pages, _unresolved = targets(app, world, ("GET",))
    serving = {"client": None}
    failures: list[str] = []
    rendered: dict[str, tuple[int, dict, bytes]] = {}  # a page fetched to see it is one
    static: dict[str, tuple[int, dict, bytes]] = {}  # the same for every role: served once
    spent = {"load": 0.0, "axe": 0.0}

    def serve(route) -> None:
        try:
            respond(route)
        except Exception as error:  # a failing handler would let the request through
            failures.append(f"serving {route.request.url}: {error!r}")
            route.abort()

    def respond(route) -> None:
        request = route.request
        parts = urlsplit(request.url)
        if request.method != "GET" or parts.netloc != HOST:
            route.abort()
            return
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        kept = static.get(path) or rendered.pop(unquote(path), None)
        if kept is None:
            answer = serving["client"].get(path, headers={"Accept-Language": "ru"})
            headers = {k: v for k, v in answer.headers.items() if k.lower() not in SKIPPED_HEADERS}
            kept = (answer.status_code, headers, answer.get_data())
            if path.startswith(STATIC) and answer.status_code == 200:
                static[path] = kept
        route.fulfill(status=kept[0], headers=kept[1], body=kept[2])

    context = browser.new_context(base_url=BASE, locale="ru-RU")
    context.set_default_timeout(15_000)
    context.route("**/*", serve)
    context.add_init_script(script=AXE.read_text())  # through DevTools: the CSP stays
    page = context.new_page()
    crawled: list[str] = []
    started = time.monotonic()
    try:
        for subject in SUBJECTS:
            client = app.test_client()
            if subject != "anon":
                sign_in(client, world.subject(subject))
            serving["client"] = client
            done: set[str] = set()
            for target in pages:
                if target.endpoint in done:
                    continue
                clock = time.monotonic()
                # Fetched first: a redirect fulfilled in a route would leave the routing, and
                # only pages (200, HTML) are checked. The browser is then served this answer.
                probe = client.get(target.path, headers={"Accept-Language": "ru"})
                if probe.status_code != 200 or probe.mimetype != "text/html":
                    continue
                headers = {
                    k: v for k, v in probe.headers.items() if k.lower() not in SKIPPED_HEADERS
                }
                rendered[unquote(target.path)] = (200, headers, probe.get_data())
                page.goto(target.path)
                spent["load"] += time.monotonic() - clock
                done.add(target.endpoint)
                crawled.append(f"{subject} {target.path}")
                clock = time.monotonic()
                found = page.evaluate(RUN_AXE)["violations"]
                blocking = [v for v in found if v["impact"] in BLOCKING]
                spent["axe"] += time.monotonic() - clock
                if blocking:
                    failures.append(f"{target.path} as {subject}:\n{describe(blocking)}")
    finally:
        context.close()
    print(
        f"axe crawl: {len(crawled)} pages in {time.monotonic() - started:.0f} s "
        + " ".join(f"{k}={v:.0f}s" for k, v in spent.items())
    )
    assert len(crawled) > 50, crawled
    assert not failures, f"{len(failures)} of {len(crawled)} pages:\n" + "\n".join(failures)
