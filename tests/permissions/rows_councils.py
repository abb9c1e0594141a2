"""Matrix rows: councils and clubs — staff see them, the college's leaders manage them, a
club's leader (the world's teacher) manages its members."""

from tests.onboarding.world import ob
from tests.permissions.matrix import Row, everyone

STAFF = everyone(200, anon=302, student=403, parent=403)
LEADERS = everyone(403, anon=302, admin=200, head=200, deputy=200)
LEADERS_400 = everyone(403, anon=302, admin=400, head=400, deputy=400)
LEADERS_REDIRECT = everyone(403, anon=302, admin=302, head=302, deputy=302)


def _council(suffix: str = ""):
    return lambda w: f"/councils/{ob(w).council.id}{suffix}"


def _club(suffix: str = ""):
    return lambda w: f"/councils/clubs/{ob(w).club.id}{suffix}"


ROWS = [
    Row("GET", "/councils/", STAFF),
    Row("GET", "/councils/new", LEADERS),
    Row("POST", "/councils/new", LEADERS, note="empty form: errors shown"),
    Row("GET", _council(), STAFF),
    Row("GET", lambda w: f"/councils/{ob(w).council.id}?find=род", STAFF, note="member search"),
    Row("GET", _council("/edit"), LEADERS),
    Row("POST", _council("/edit"), LEADERS_REDIRECT, note="no fields posted: values kept"),
    Row("POST", _council("/members"), LEADERS_400, note="empty form: errors shown"),
    Row(
        "POST",
        lambda w: f"/councils/{ob(w).council.id}/members/{ob(w).council_member.id}/delete",
        LEADERS_REDIRECT,
    ),
    Row("POST", _council("/delete"), LEADERS_REDIRECT),
    Row("GET", "/councils/clubs/new", LEADERS),
    Row("POST", "/councils/clubs/new", LEADERS, note="empty form: errors shown"),
    Row("GET", _club(), STAFF),
    Row(
        "GET",
        "/councils/clubs/999999",
        everyone(404, anon=302, student=403, parent=403),
        note="missing",
    ),
    Row("GET", _club("/edit"), LEADERS),
    Row("POST", _club("/edit"), LEADERS_REDIRECT, note="no fields posted: values kept"),
    Row(
        "POST",
        _club("/members"),
        everyone(403, anon=302, admin=400, head=400, deputy=400, teacher=400),
        note="the leader too; empty form: errors shown",
    ),
    Row(
        "POST",
        lambda w: f"/councils/clubs/{ob(w).club.id}/members/{ob(w).club_member.id}/delete",
        everyone(403, anon=302, admin=302, head=302, deputy=302, teacher=302),
        note="the leader too",
    ),
    Row("POST", _club("/delete"), LEADERS_REDIRECT),
]
