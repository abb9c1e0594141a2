"""Matrix rows: the documents register — staff read it, administrators and the head keep it."""

from tests.onboarding.world import ob
from tests.permissions.matrix import Row, everyone

STAFF = everyone(200, anon=302, student=403, parent=403)
KEEPERS = everyone(403, anon=302, admin=200, head=200)


def _doc(suffix: str = ""):
    return lambda w: f"/documents/{ob(w).doc.id}{suffix}"


ROWS = [
    Row("GET", "/documents/", STAFF),
    Row("GET", "/documents/?q=приказ&kind=order&in_force=1&sort=title", STAFF, note="filtered"),
    Row("GET", "/documents/new", KEEPERS),
    Row("POST", "/documents/new", KEEPERS, note="empty form: errors shown"),
    Row("GET", _doc(), STAFF),
    Row(
        "GET", "/documents/999999", everyone(404, anon=302, student=403, parent=403), note="missing"
    ),
    Row("GET", _doc("/edit"), KEEPERS),
    Row(
        "POST",
        _doc("/edit"),
        everyone(403, anon=302, admin=302, head=302),
        note="no fields posted: the stored values are kept",
    ),
    Row("POST", _doc("/delete"), everyone(403, anon=302, admin=302, head=302)),
]
