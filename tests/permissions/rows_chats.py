"""Matrix rows: the chats registry — the head, tutors and teachers register the chats they
keep; admins and the head see every chat; only the owner or an admin edits one."""

from tests.chats.world import cw
from tests.permissions.matrix import Row, everyone

KEEPERS = everyone(403, anon=302, admin=200, head=200, tutor=200, teacher=200)


def _tutor_chat(suffix: str = ""):
    return lambda w: f"/chats/{cw(w).tutor_chat.id}{suffix}"


def _teacher_chat(suffix: str = ""):
    return lambda w: f"/chats/{cw(w).teacher_chat.id}{suffix}"


TUTORS_CHAT_SEEN = everyone(403, anon=302, admin=200, head=200, tutor=200)
TEACHERS_CHAT_SEEN = everyone(403, anon=302, admin=200, head=200, teacher=200)

ROWS = [
    Row("GET", "/chats/", KEEPERS),
    Row("GET", "/chats/?mine=1&kind=other&status=active&find=чат", KEEPERS, note="filters"),
    Row("GET", "/chats/compliance", KEEPERS, note="leaders: the board; keepers: their own"),
    Row("GET", "/chats/compliance?view=tutors&page=2", KEEPERS, note="a tab, past the end"),
    Row("GET", "/chats/new", KEEPERS),
    Row(
        "GET",
        lambda w: f"/chats/new?kind=tutor_students&group_id={w.group_own.id}",
        KEEPERS,
        note="filled in from the board",
    ),
    Row("POST", "/chats/new", KEEPERS, note="empty form: errors shown"),
    Row("GET", _tutor_chat(), TUTORS_CHAT_SEEN, note="the tutor's chat"),
    Row("GET", _teacher_chat(), TEACHERS_CHAT_SEEN, note="the teacher's chat"),
    Row(
        "GET",
        _tutor_chat("/edit"),
        everyone(403, anon=302, admin=200, tutor=200),
        note="the tutor's chat",
    ),
    Row(
        "POST",
        _tutor_chat("/edit"),
        everyone(403, anon=302, admin=302, tutor=302),
        note="the tutor's chat; no fields posted: values kept",
    ),
    Row(
        "GET",
        _teacher_chat("/edit"),
        everyone(403, anon=302, admin=200, teacher=200),
        note="the teacher's chat",
    ),
    Row(
        "POST",
        _teacher_chat("/edit"),
        everyone(403, anon=302, admin=302, teacher=302),
        note="the teacher's chat; no fields posted: values kept",
    ),
]
