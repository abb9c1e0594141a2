"""Very long and malformed values in query strings and paths: never a 5xx.

Every GET route of app.url_map (through the permission matrix's paths, as a subject the
matrix lets in) is fetched once while recording which query parameters the view reads; then
each of those parameters gets hostile values: page numbers (-1, 20 digits, 2**64), dates
(2026-02-30, 0000-01-01, 9999-12-31, year 275760), time zones (Mars/Olympus), RRULEs, phone
numbers, NUL bytes, 10,000-character strings, markup. Path arguments get ids that overflow
64 bits, and NUL bytes, traversal and 10,000 characters in string arguments, on GET and
unsafe routes alike.

By default each recorded parameter set gets a quick selection of values, all at once;
HYPOTHESIS_PROFILE=deep tries every value on every parameter separately.
"""

from __future__ import annotations

from collections import defaultdict
from urllib.parse import quote, urlencode

from werkzeug.routing import IntegerConverter

from tests.hostile.support import (
    DEEP,
    QUERY_VALUES,
    QUERY_VALUES_QUICK,
    become,
    build_routes,
    crash_log,
    recording,
    subject_for,
)

BIG_IDS = [2**63, 2**64, 10**20]
BAD_STRINGS = ["a%00b", "%00", "x" * 10_000, "..%2F..%2Fetc%2Fpasswd", "%E2%80%AEgpj.exe", "-1"]


def _by_subject(routes, items):
    grouped = defaultdict(list)
    for target in items:
        grouped[subject_for(routes, target)].append(target)
    return grouped


def test_malformed_query_parameters_never_crash(app, client):
    routes = build_routes(app)
    failures: list[str] = []
    tried = 0
    with crash_log(app) as crashes:
        for subject, pages in _by_subject(routes, routes.gets).items():
            become(client, routes.world, subject)
            for target in pages:
                with recording(app) as read:
                    read.clear()
                    client.get(target.path)
                    keys = sorted(read)
                if not keys:
                    continue
                base = target.path.split("?")[0]
                values = QUERY_VALUES if DEEP else QUERY_VALUES_QUICK
                if DEEP:
                    queries = [{k: v} for k in keys for v in values]
                else:
                    queries = [dict.fromkeys(keys, v) for v in values]
                for query in queries:
                    url = f"{base}?{urlencode(query)}"
                    before = len(crashes)
                    response = client.get(url)
                    tried += 1
                    if response.status_code >= 500:
                        failures.append(
                            f"GET {url[:160]} as {subject}: {response.status_code} "
                            f"{crashes[before:]}"
                        )
    print(f"hostile-inputs query_strings={tried}")
    assert tried > 50
    assert not failures, "\n".join(failures)


def test_hostile_path_arguments_never_crash(app, client):
    routes = build_routes(app)
    adapter = app.url_map.bind("localhost")
    failures: list[str] = []
    tried = 0
    with crash_log(app) as crashes:
        become(client, routes.world, "admin")
        for rule in app.url_map.iter_rules():
            if rule.endpoint in ("static", "bootstrap.static") or not rule.arguments:
                continue
            for name in sorted(rule.arguments):
                others = {n: 1 for n in rule.arguments if n != name}
                number = isinstance(rule._converters[name], IntegerConverter)
                bad = BIG_IDS if number else BAD_STRINGS
                sentinel = 987654321 if number else "SENTINEL"
                template = adapter.build(rule.endpoint, {**others, name: sentinel})
                for value in bad:
                    text = str(value)
                    path = template.replace(str(sentinel), text if "%" in text else quote(text))
                    for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                        before = len(crashes)
                        response = client.open(path, method=method, data={})
                        tried += 1
                        if response.status_code >= 500:
                            failures.append(
                                f"{method} {path[:160]}: {response.status_code} {crashes[before:]}"
                            )
    print(f"hostile-inputs path_arguments={tried}")
    assert tried > 50
    assert not failures, "\n".join(failures)
