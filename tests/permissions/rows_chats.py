"""Matrix rows: the chats registry — the head, tutors and teachers register the chats they
keep; admins and the head see every chat; only the owner or an admin edits one."""

from tests.chats.world import cw
from tests.permissions.matrix import Row, everyone

KEEPERS = everyone(403, anon=302, admin=200, head=200, tutor=200, teacher=200)


def _tutor_chat(suffix: str = ""):
    return lambda w: f"/chats/{cw(w).tutor_chat.id}{suffix}"


def _teacher_chat(suffix: str = ""):
    return lambda w: f"/chats/{cw(w).teacher_chat.id}{suffix}"


SENDERS_OWN = everyone(403, anon=302, admin=200, tutor=200, teacher=200)
SENDERS_OTHER = everyone(403, anon=302, admin=200)


def _links(group: str, suffix: str = "links"):
    return lambda w: f"/chats/groups/{getattr(w, group).id}/{suffix}"


def _home_child(student: str):
    return lambda w: f"/?child={getattr(w, student).id}"


TUTORS_CHAT_SEEN = everyone(403, anon=302, admin=200, head=200, tutor=200)
TEACHERS_CHAT_SEEN = everyone(403, anon=302, admin=200, head=200, teacher=200)

ROWS = [
    Row("GET", "/chats/", KEEPERS),
    Row("GET", "/chats/?mine=1&kind=other&status=active&find=чат", KEEPERS, note="filters"),
    Row("GET", "/chats/compliance", KEEPERS, note="leaders: the board; keepers: their own"),
    Row("GET", "/chats/compliance?view=tutors&page=2", KEEPERS, note="a tab, past the end"),
    Row("GET", "/chats/compliance?fresh=1", KEEPERS, note="the board counted afresh"),
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
    # Sending the links: the group's tutor and teacher, or an admin; not another group's.
    Row(
        "GET",
        _links("group_own"),
        SENDERS_OWN,
        note="chat links: own group (its tutor and teacher)",
    ),
    Row("GET", _links("group_other"), SENDERS_OTHER, note="chat links: other group"),
    Row(
        "POST",
        _links("group_own"),
        everyone(403, anon=302, admin=302, tutor=302, teacher=302),
        note="chat links sent: own group",
    ),
    Row(
        "POST",
        _links("group_other"),
        everyone(403, anon=302, admin=302),
        note="chat links sent: other group",
    ),
    Row("GET", _links("group_own", "sheet"), SENDERS_OWN, note="chat QR sheet: own group"),
    Row("GET", _links("group_other", "sheet"), SENDERS_OTHER, note="chat QR sheet: other group"),
    Row(
        "GET",
        "/chats/groups/999999/sheet",
        everyone(403, anon=302, admin=404, tutor=404, teacher=404),
        note="chat QR sheet: no such group",
    ),  # fmt: skip
    # The home page's child switch: a parent's own child, and another family's.
    Row(
        "GET",
        _home_child("student"),
        everyone(404, anon=302, parent=200),
        note="home chats: own child",
    ),
    Row(
        "GET",
        _home_child("other_student"),
        everyone(404, anon=302),
        note="home chats: other family's child",
    ),
]
