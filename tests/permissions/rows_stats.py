"""Matrix rows: statistics — the head and the admins see them; only admins enter the
platform's figures from the Sferum panel."""

from tests.permissions.matrix import Row, everyone
from tests.stats.world import for_matrix

LEADERS = everyone(403, anon=302, admin=200, head=200)
ADMINS = everyone(403, anon=302, admin=200)


def _snapshot(suffix: str):
    return lambda w: f"/stats/platform/{for_matrix(w).id}{suffix}"


ROWS = [
    Row("GET", "/stats/", LEADERS),
    Row("GET", "/stats/?preset=this_month", LEADERS, note="a preset"),
    Row("GET", "/stats/?start=2026-05-01&end=2026-01-01", LEADERS, note="dates reversed"),
    Row("GET", "/stats/?start=31.02.2026&end=x", LEADERS, note="dates unreadable"),
    Row("GET", "/stats/people.csv?preset=last_month", LEADERS),
    Row("GET", "/stats/tickets.csv?start=2026-01-01&end=2026-01-31", LEADERS, note="a period"),
    Row(
        "GET",
        "/stats/other.csv",
        everyone(403, anon=302, admin=404, head=404),
        note="no such table",
    ),
    Row("GET", "/stats/platform", LEADERS),
    Row("GET", "/stats/platform?page=3", LEADERS, note="past the end"),
    Row("GET", "/stats/platform/new", ADMINS),
    Row("POST", "/stats/platform/new", ADMINS, note="empty form: errors shown"),
    Row("GET", _snapshot("/edit"), ADMINS, note="a snapshot"),
    Row("POST", _snapshot("/edit"), ADMINS, note="no fields posted: errors shown"),
    Row("POST", _snapshot("/delete"), everyone(403, anon=302, admin=302), note="a snapshot"),
]
