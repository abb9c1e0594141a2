"""Matrix rows: channels, announcements (drafting, review, publication, reading), uploads.

Objects come from tests/channels/world.py: the teacher writes the announcements; the official
channel is for everyone with review by the deputy, then the head; the staff channel is for
staff; the group channel for group_own's students and parents.
"""

from tests.channels.world import channel_world as cw
from tests.permissions.matrix import Row, everyone

SIGNED_IN = everyone(200, anon=302)
STAFF = everyone(200, anon=302, student=403, parent=403)
ADMIN_ONLY = everyone(403, anon=302, admin=200)
LEADERS = everyone(403, anon=302, admin=200, head=200, deputy=200)
AUTHOR_OR_ADMIN = everyone(403, anon=302, admin=200, teacher=200)
# The work page of a submitted item: author, admins, head and deputy (the channel's approvers).
WORK = everyone(403, anon=302, admin=200, head=200, deputy=200, teacher=200)
REDIRECT_ONLY = {k: (302 if v == 200 else v) for k, v in AUTHOR_OR_ADMIN.items()}


def post(expect: dict, **overrides) -> dict:
    """A POST that succeeds redirects (302); refusals stay as they are."""
    result = {k: (302 if v == 200 else v) for k, v in expect.items()}
    result.update(overrides)
    return result


ROWS = [
    # --- channels --------------------------------------------------------------------------
    Row("GET", "/channels/", SIGNED_IN),
    Row("GET", "/channels/manage", ADMIN_ONLY),
    Row("GET", "/channels/new", ADMIN_ONLY),
    Row("POST", "/channels/new", ADMIN_ONLY, note="empty form: errors shown"),
    Row("GET", lambda w: f"/channels/{cw(w).official.id}/edit", ADMIN_ONLY, note="any channel"),
    Row(
        "POST",
        lambda w: f"/channels/{cw(w).official.id}/edit",
        ADMIN_ONLY,
        note="any channel, empty form: errors shown",
    ),
    Row("GET", lambda w: f"/channels/{cw(w).official.id}", SIGNED_IN, note="for everyone"),
    Row(
        "GET",
        lambda w: f"/channels/{cw(w).official.id}?q=объявл&page=2",
        SIGNED_IN,
        note="for everyone, searched",
    ),
    Row("GET", lambda w: f"/channels/{cw(w).staff_channel.id}", STAFF, note="for staff"),
    Row(
        "GET",
        lambda w: f"/channels/{cw(w).group_channel.id}",
        SIGNED_IN,
        note="own group's channel",
    ),
    Row(
        "GET",
        lambda w: f"/channels/{cw(w).other_group_channel.id}",
        LEADERS,
        note="other group's channel",
    ),
    Row("GET", "/channels/999999", everyone(404, anon=302), note="missing"),
    # The Atom feed exists for channels open to everyone, and needs no sign-in.
    Row("GET", lambda w: f"/channels/{cw(w).official.id}/feed.atom", everyone(200), note="public"),
    Row(
        "GET",
        lambda w: f"/channels/{cw(w).staff_channel.id}/feed.atom",
        everyone(404),
        note="not public",
    ),
    # --- drafting --------------------------------------------------------------------------
    Row("GET", "/announcements/", STAFF),
    Row("GET", "/announcements/?tab=review", STAFF, note="awaiting review"),
    Row("GET", "/announcements/?tab=all&status=published", STAFF, note="everyone's (leaders)"),
    Row("GET", "/announcements/new", STAFF),
    Row("POST", "/announcements/new", STAFF, note="empty form: errors shown"),
    Row(
        "POST",
        "/announcements/preview",
        everyone(200, anon=302, student=403, parent=403),
        data={"body": "**Жирный** текст"},
    ),
    Row("GET", lambda w: f"/announcements/{cw(w).draft.id}/edit", AUTHOR_OR_ADMIN, note="draft"),
    Row(
        "POST",
        lambda w: f"/announcements/{cw(w).draft.id}/edit",
        AUTHOR_OR_ADMIN,
        note="draft, empty form: errors shown",
    ),
    Row(
        "GET",
        lambda w: f"/announcements/{cw(w).published_by_deputy.id}/edit",
        everyone(403, anon=302, admin=200, deputy=200),
        note="someone else's",
    ),
    # --- the work page and review ----------------------------------------------------------
    Row("GET", lambda w: f"/announcements/{cw(w).draft.id}/work", AUTHOR_OR_ADMIN, note="draft"),
    Row("GET", lambda w: f"/announcements/{cw(w).review.id}/work", WORK, note="in review"),
    Row("GET", "/announcements/999999/work", everyone(404, anon=302), note="missing"),
    Row("POST", lambda w: f"/announcements/{cw(w).draft.id}/submit", post(AUTHOR_OR_ADMIN)),
    Row("POST", lambda w: f"/announcements/{cw(w).review.id}/withdraw", post(AUTHOR_OR_ADMIN)),
    Row(
        "POST",
        lambda w: f"/announcements/{cw(w).review.id}/approve",
        everyone(403, anon=302, deputy=302),
        note="stage 1: the deputy's",
        data={"revision_no": "1"},
    ),
    Row(
        "POST",
        lambda w: f"/announcements/{cw(w).review_stage2.id}/approve",
        everyone(403, anon=302, head=302),
        note="stage 2: the head's",
        data={"revision_no": "1"},
    ),
    Row(
        "POST",
        lambda w: f"/announcements/{cw(w).review.id}/request-changes",
        everyone(403, anon=302, deputy=302),
        data={"revision_no": "1", "comment": "Уточните дату"},
    ),
    Row(
        "POST",
        lambda w: f"/announcements/{cw(w).review.id}/decline",
        everyone(403, anon=302, deputy=302),
        data={"revision_no": "1", "comment": "Не для этого канала"},
    ),
    Row(
        "POST",
        lambda w: f"/announcements/{cw(w).review.id}/urgent",
        everyone(403, anon=302, head=302),
    ),
    # --- publication -----------------------------------------------------------------------
    Row(
        "POST",
        lambda w: f"/announcements/{cw(w).published.id}/cancel",
        everyone(403, anon=302, admin=302, head=302, teacher=302),
        note="own (the teacher's)",
        data={"reason": "Перенесено"},
    ),
    Row(
        "POST",
        lambda w: f"/announcements/{cw(w).published_by_deputy.id}/cancel",
        everyone(403, anon=302, admin=302, head=302, deputy=302),
        note="someone else's",
        data={"reason": "Перенесено"},
    ),
    Row("GET", lambda w: f"/announcements/{cw(w).published.id}/sferum", LEADERS),
    Row(
        "POST",
        lambda w: f"/announcements/{cw(w).published.id}/sferum",
        post(LEADERS),
        data={"url": "https://sferum.ru/?p=messages&chat=1", "posted_at": "2026-01-10T10:00"},
    ),
    Row("GET", lambda w: f"/announcements/{cw(w).published.id}/diff", WORK, note="published"),
    Row("GET", lambda w: f"/announcements/{cw(w).published.id}/history", WORK, note="published"),
    # --- reading ---------------------------------------------------------------------------
    Row("GET", lambda w: f"/announcements/{cw(w).published.id}", SIGNED_IN, note="for everyone"),
    Row(
        "GET",
        lambda w: f"/announcements/{cw(w).mandatory.id}",
        STAFF,
        note="in the staff channel",
    ),
    # A draft's reading page sends those who may see it to its work page.
    Row("GET", lambda w: f"/announcements/{cw(w).draft.id}", REDIRECT_ONLY, note="draft"),
    Row(
        "POST",
        lambda w: f"/announcements/{cw(w).mandatory.id}/acknowledge",
        post(STAFF),
        note="mandatory for staff",
    ),
    Row(
        "GET",
        lambda w: f"/announcements/{cw(w).mandatory.id}/acknowledgements",
        everyone(403, anon=302, admin=200, head=200, deputy=200, teacher=200),
        note="the author and leaders",
    ),
    # --- uploads: 404 for anyone not allowed, so a key's existence is not disclosed ----------
    Row("GET", lambda w: f"/uploads/{cw(w).public_image.key}", everyone(200), note="published"),
    Row(
        "GET",
        lambda w: f"/uploads/{cw(w).draft_image.key}",
        everyone(404, admin=200, teacher=200),
        note="in a draft",
    ),
    Row("GET", "/uploads/..%2F..%2Fetc%2Fpasswd", everyone(404), note="traversal"),
]
