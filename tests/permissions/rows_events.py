"""Matrix rows: the calendar pages, events and their people, dates of a series, rooms,
subscriptions and the feeds themselves.

Objects: `own` is an event for group_own with the teacher responsible; `other` one for
group_other with the other teacher responsible; `series` a weekly webinar for group_own
(the teacher responsible) and `date` its second date; `person` an outside expert on `own`;
`feed` the student's «my events» subscription; `room` a room.
"""

from __future__ import annotations

from types import SimpleNamespace

from tests import factories as f
from tests.permissions.matrix import Row, everyone
from tests.permissions.world import World

_OBJECTS = ("own", "other", "series", "date", "person", "feed", "other_feed", "room")


def ev(world) -> SimpleNamespace:
    """The events objects, built on first use and kept on the world."""
    if not isinstance(world, World):  # the route-coverage check resolves paths without data
        return SimpleNamespace(**{k: SimpleNamespace(id=1) for k in _OBJECTS}, token="token")
    cached = getattr(world, "_events", None)
    if cached is not None:
        return cached
    from intranet.models import PersonRole
    from intranet.services import events as service

    room = f.room("Актовый зал")
    own = f.event(
        "meeting",
        groups=[world.group_own],
        responsible=world.teacher,
        actor=world.admin,
        room=room,
    )
    other = f.event(
        "meeting", groups=[world.group_other], responsible=world.other_teacher, actor=world.admin
    )
    series = f.event(
        "webinar",
        groups=[world.group_own],
        responsible=world.teacher,
        actor=world.admin,
        recurrence=service.Recurrence(freq="WEEKLY", count=3),
    )
    person = service.add_person(
        own,
        actor=world.admin,
        role=PersonRole.EXPERT,
        email="expert@outside.example",
        name="Внешний Эксперт",
    )
    feed = f.calendar_feed(world.student)
    other_feed = f.calendar_feed(world.other_student)
    from intranet.extensions import db

    db.session.commit()
    world._events = SimpleNamespace(
        own=own,
        other=other,
        series=series,
        date=series.occurrences[1],
        person=person,
        feed=feed,
        other_feed=other_feed,
        room=room,
        token=service.feed_urls(feed).https.rsplit("/", 1)[1].removesuffix(".ics"),
    )
    return world._events


SIGNED_IN = everyone(200, anon=302)
STAFF_ONLY = everyone(200, anon=302, student=403, parent=403)
MANAGERS = everyone(403, anon=302, admin=302, head=302, deputy=302)
EDITORS_POST = everyone(403, anon=302, admin=302, head=302, deputy=302, teacher=302)
EDITORS_GET = everyone(403, anon=302, admin=200, head=200, deputy=200, teacher=200)
EDITORS_FORM_ERROR = everyone(403, anon=302, admin=422, head=422, deputy=422, teacher=422)
ADMIN_ONLY = everyone(403, anon=302, admin=200)
FEED_OWNER = everyone(404, anon=302, student=302)
NOT_FOUND = everyone(404, anon=302)

ROWS = [
    # Calendar pages.
    Row("GET", "/events/", SIGNED_IN),
    Row("GET", "/events/week", SIGNED_IN),
    Row("GET", "/events/agenda", SIGNED_IN),
    Row("GET", "/events/range.json", SIGNED_IN),
    # Planning: staff only; without a kind the kind picker, with one an empty form refused.
    Row("GET", "/events/new", STAFF_ONLY),
    Row("GET", "/events/new?kind=demo_exam", STAFF_ONLY, note="the exam form"),
    Row("POST", "/events/new", STAFF_ONLY, note="no kind: the picker"),
    Row(
        "POST",
        "/events/new?kind=meeting",
        everyone(422, anon=302, student=403, parent=403),
        note="empty form: errors shown",
    ),
    # The event page and its file: staff see every event; students and parents their group's.
    Row("GET", lambda w: f"/events/{ev(w).own.id}", SIGNED_IN, note="own"),
    Row(
        "GET",
        lambda w: f"/events/{ev(w).other.id}",
        STAFF_ONLY | {"student": 403, "parent": 403},
        note="other",
    ),
    Row("GET", lambda w: f"/events/{ev(w).own.id}/event.ics", SIGNED_IN, note="own"),
    Row(
        "GET",
        lambda w: f"/events/{ev(w).other.id}/event.ics",
        everyone(200, anon=302, student=403, parent=403),
        note="other",
    ),
    Row("GET", "/events/999999", everyone(404, anon=302), note="missing"),
    # Editing: managers any event, the responsible person (the teacher) theirs.
    Row("GET", lambda w: f"/events/{ev(w).own.id}/edit", EDITORS_GET, note="own"),
    Row(
        "GET",
        lambda w: f"/events/{ev(w).other.id}/edit",
        everyone(403, anon=302, admin=200, head=200, deputy=200),
        note="other",
    ),
    Row("POST", lambda w: f"/events/{ev(w).own.id}/edit", EDITORS_FORM_ERROR, note="own, empty"),
    Row(
        "POST",
        lambda w: f"/events/{ev(w).other.id}/edit",
        everyone(403, anon=302, admin=422, head=422, deputy=422),
        note="other, empty",
    ),
    # States: administrators, the head and deputies.
    Row("POST", lambda w: f"/events/{ev(w).own.id}/confirm", MANAGERS, note="own"),
    Row("POST", lambda w: f"/events/{ev(w).own.id}/complete", MANAGERS, note="own"),
    Row("POST", lambda w: f"/events/{ev(w).own.id}/cancel", MANAGERS, note="own"),
    Row("POST", lambda w: f"/events/{ev(w).own.id}/delete", MANAGERS, note="own"),
    Row("POST", lambda w: f"/events/{ev(w).own.id}/broadcast", EDITORS_POST, note="own"),
    Row(
        "POST",
        lambda w: f"/events/{ev(w).other.id}/broadcast",
        everyone(403, anon=302, admin=302, head=302, deputy=302),
        note="other",
    ),
    # People.
    Row("GET", lambda w: f"/events/{ev(w).own.id}/people", SIGNED_IN, note="own"),
    Row(
        "GET",
        lambda w: f"/events/{ev(w).other.id}/people",
        everyone(200, anon=302, student=403, parent=403),
        note="other",
    ),
    Row("POST", lambda w: f"/events/{ev(w).own.id}/people", EDITORS_FORM_ERROR, note="own, empty"),
    Row(
        "POST",
        lambda w: f"/events/{ev(w).own.id}/people/{ev(w).person.id}/remove",
        EDITORS_POST,
        note="own",
    ),
    Row("POST", lambda w: f"/events/{ev(w).own.id}/people/students", EDITORS_POST, note="own"),
    # Single dates of a series.
    Row(
        "GET",
        lambda w: f"/events/{ev(w).series.id}/dates/{ev(w).date.id}/move",
        EDITORS_GET,
        note="own",
    ),
    Row(
        "POST",
        lambda w: f"/events/{ev(w).series.id}/dates/{ev(w).date.id}/move",
        EDITORS_FORM_ERROR,
        note="own, empty",
    ),
    Row(
        "POST",
        lambda w: f"/events/{ev(w).series.id}/dates/{ev(w).date.id}/cancel",
        EDITORS_POST,
        note="own",
    ),
    # Subscriptions: everyone manages their own; someone else's is not found.
    Row("GET", "/events/feeds", SIGNED_IN),
    Row("POST", "/events/feeds", everyone(422, anon=302), note="empty form: errors shown"),
    Row("POST", "/events/subscribe", everyone(302)),
    Row("POST", lambda w: f"/events/feeds/{ev(w).feed.id}/rotate", FEED_OWNER, note="student's"),
    Row("POST", lambda w: f"/events/feeds/{ev(w).feed.id}/revoke", FEED_OWNER, note="student's"),
    Row("POST", lambda w: f"/events/feeds/{ev(w).feed.id}/alarm", FEED_OWNER, note="student's"),
    # Another student's feed: refused to the student too, as to everyone else.
    Row("POST", lambda w: f"/events/feeds/{ev(w).other_feed.id}/rotate", NOT_FOUND, note="other"),
    Row("POST", lambda w: f"/events/feeds/{ev(w).other_feed.id}/revoke", NOT_FOUND, note="other"),
    Row("POST", lambda w: f"/events/feeds/{ev(w).other_feed.id}/alarm", NOT_FOUND, note="other"),
    # The feed itself: the signed token is the credential, no session needed.
    Row("GET", lambda w: f"/feeds/{ev(w).token}.ics", everyone(200), note="valid token"),
    Row("GET", "/feeds/not-a-token.ics", everyone(404), note="bad token"),
    # Rooms: administrators.
    Row("GET", "/events/rooms", ADMIN_ONLY),
    Row("GET", "/events/rooms/new", ADMIN_ONLY),
    Row("POST", "/events/rooms/new", everyone(403, anon=302, admin=422), note="empty form"),
    Row("GET", lambda w: f"/events/rooms/{ev(w).room.id}/edit", ADMIN_ONLY),
    # Fields left out of a posted form keep their saved values: nothing changes, back to the list.
    Row(
        "POST",
        lambda w: f"/events/rooms/{ev(w).room.id}/edit",
        everyone(403, anon=302, admin=302),
        note="empty form: saved values kept",
    ),
]
