"""Matrix rows: the help desk. "own" is the student's ticket (the parent's ticket filed for the
student is "for child"), "other" someone else's; the public form and the signed link need no
account; the queue and everything behind it is for platform administrators."""

from tests.permissions.matrix import Row, everyone
from tests.permissions.world import helpdesk as hd

ADMIN_ONLY = everyone(403, anon=302, admin=200)
ADMIN_POST = everyone(403, anon=302, admin=302)
SIGNED_IN = everyone(200, anon=302)
REPORTS = everyone(403, anon=302, admin=200, head=200)


def _t(name: str, suffix: str = ""):
    return lambda w: f"/helpdesk/tickets/{getattr(hd(w), name).id}{suffix}"


ROWS = [
    # Requesters: their list, the form per category, their tickets.
    Row("GET", "/helpdesk/", everyone(200, anon=302, admin=302), note="admins go to the queue"),
    Row("GET", "/helpdesk/mine", SIGNED_IN),
    Row("GET", "/helpdesk/new", everyone(200)),
    Row("GET", "/helpdesk/new/login", SIGNED_IN),
    Row("GET", "/helpdesk/new/nonsense", everyone(404, anon=302), note="no such category"),
    Row("POST", "/helpdesk/new/login", SIGNED_IN, note="empty form: errors shown"),
    Row("GET", _t("own"), everyone(403, anon=302, admin=200, student=200), note="own"),
    Row(
        "GET",
        _t("for_child"),
        everyone(403, anon=302, admin=200, student=200, parent=200),
        note="for child",
    ),
    Row("GET", _t("other"), everyone(403, anon=302, admin=200), note="other"),
    Row("GET", "/helpdesk/tickets/999999", everyone(404, anon=302), note="missing"),
    # An empty reply is refused with a message on the ticket's page.
    Row(
        "POST",
        _t("own", "/reply"),
        everyone(403, anon=302, admin=302, student=302),
        note="own",
    ),
    Row("POST", _t("other", "/reply"), everyone(403, anon=302, admin=302), note="other"),
    Row(
        "GET",
        lambda w: f"/helpdesk/attachments/{hd(w).own_file.id}",
        everyone(403, anon=302, admin=200, student=200),
        note="own",
    ),
    Row(
        "GET",
        lambda w: f"/helpdesk/attachments/{hd(w).own_note_file.id}",
        everyone(403, anon=302, admin=200),
        note="own ticket, staff-only note",
    ),
    Row(
        "GET",
        lambda w: f"/helpdesk/attachments/{hd(w).other_file.id}",
        everyone(403, anon=302, admin=200),
        note="other",
    ),
    # The public form and the signed link: no account needed.
    Row("GET", "/helpdesk/public", everyone(302)),
    Row("GET", "/helpdesk/public/calls", everyone(200)),
    Row("POST", "/helpdesk/public/calls", everyone(200), note="empty form: errors shown"),
    Row("GET", lambda w: f"/helpdesk/t/{hd(w).token}", everyone(200), note="signed link"),
    Row("GET", "/helpdesk/t/forged-token", everyone(404), note="bad link"),
    Row("POST", lambda w: f"/helpdesk/t/{hd(w).token}/reply", everyone(302), note="signed link"),
    Row(
        "GET",
        lambda w: f"/helpdesk/t/{hd(w).token}/files/{hd(w).public_file.id}",
        everyone(200),
        note="signed link, its file",
    ),
    Row(
        "GET",
        lambda w: f"/helpdesk/t/{hd(w).token}/files/{hd(w).other_file.id}",
        everyone(404),
        note="signed link, another ticket's file",
    ),
    # Help pages are for everyone; an unpublished article only for those who edit them.
    Row("GET", "/helpdesk/help", everyone(200)),
    Row("GET", lambda w: f"/helpdesk/help/{hd(w).article.id}", everyone(200), note="published"),
    Row(
        "GET",
        lambda w: f"/helpdesk/help/{hd(w).hidden_article.id}",
        everyone(404, admin=200),
        note="unpublished",
    ),
    Row("GET", "/helpdesk/contacts", everyone(200)),
    # The admins' queue and ticket actions.
    Row("GET", "/helpdesk/queue", ADMIN_ONLY),
    Row("GET", "/helpdesk/queue?status=all&overdue=y&q=HD-2026", ADMIN_ONLY, note="filtered"),
    Row("POST", _t("other", "/claim"), ADMIN_POST, note="any ticket"),
    Row("POST", _t("other", "/assign"), ADMIN_POST, note="any ticket"),
    Row("POST", _t("other", "/priority"), ADMIN_POST, note="any ticket"),
    Row("POST", _t("other", "/status"), ADMIN_POST, note="any ticket"),
    Row("POST", _t("other", "/answer"), ADMIN_POST, note="any ticket"),
    Row("POST", _t("other", "/incident"), ADMIN_POST, note="any ticket"),
    Row("POST", _t("public", "/revoke-link"), ADMIN_POST, note="public ticket"),
    Row("GET", _t("own", "/escalate"), ADMIN_ONLY, note="any ticket"),
    Row("POST", _t("own", "/escalate"), ADMIN_ONLY, note="preview again"),
    Row("POST", lambda w: f"/helpdesk/vendor-cases/{hd(w).case.id}/ref", ADMIN_POST, note="any"),
    Row(
        "POST", lambda w: f"/helpdesk/vendor-cases/{hd(w).case.id}/message", ADMIN_POST, note="any"
    ),
    Row("POST", lambda w: f"/helpdesk/vendor-cases/{hd(w).case.id}/close", ADMIN_POST, note="any"),
    # Unmatched mail.
    Row("GET", "/helpdesk/mail", ADMIN_ONLY),
    Row("GET", lambda w: f"/helpdesk/mail/{hd(w).mail.id}", ADMIN_ONLY, note="any"),
    Row("POST", lambda w: f"/helpdesk/mail/{hd(w).mail.id}/assign", ADMIN_POST, note="any"),
    Row("POST", lambda w: f"/helpdesk/mail/{hd(w).mail.id}/discard", ADMIN_POST, note="any"),
    # Incidents.
    Row("GET", "/helpdesk/incidents", ADMIN_ONLY),
    Row("GET", "/helpdesk/incidents/new", ADMIN_ONLY),
    Row("POST", "/helpdesk/incidents/new", ADMIN_ONLY, note="empty form: errors shown"),
    Row("GET", lambda w: f"/helpdesk/incidents/{hd(w).incident.id}", ADMIN_ONLY, note="any"),
    Row("GET", lambda w: f"/helpdesk/incidents/{hd(w).incident.id}/edit", ADMIN_ONLY, note="any"),
    # Fields left out of an edit form keep their saved values: it saves and redirects.
    Row(
        "POST",
        lambda w: f"/helpdesk/incidents/{hd(w).incident.id}/edit",
        ADMIN_POST,
        note="empty form: nothing changes",
    ),
    Row("POST", lambda w: f"/helpdesk/incidents/{hd(w).incident.id}/link", ADMIN_POST, note="any"),
    Row(
        "POST",
        lambda w: f"/helpdesk/incidents/{hd(w).incident.id}/unlink/{hd(w).other.id}",
        ADMIN_POST,
        note="any",
    ),
    Row(
        "POST",
        lambda w: f"/helpdesk/incidents/{hd(w).incident.id}/answer",
        ADMIN_POST,
        note="any",
    ),
    Row(
        "POST",
        lambda w: f"/helpdesk/incidents/{hd(w).incident.id}/resolve",
        ADMIN_POST,
        note="any",
    ),
    # Help articles and canned replies.
    Row("GET", "/helpdesk/articles", ADMIN_ONLY),
    Row("GET", "/helpdesk/articles/new", ADMIN_ONLY),
    Row("POST", "/helpdesk/articles/new", ADMIN_ONLY, note="empty form: errors shown"),
    Row("GET", lambda w: f"/helpdesk/articles/{hd(w).article.id}/edit", ADMIN_ONLY, note="any"),
    Row(
        "POST",
        lambda w: f"/helpdesk/articles/{hd(w).article.id}/edit",
        ADMIN_ONLY,
        note="empty form: errors shown",
    ),
    Row("POST", lambda w: f"/helpdesk/articles/{hd(w).article.id}/delete", ADMIN_POST, note="any"),
    Row("GET", "/helpdesk/canned", ADMIN_ONLY),
    Row("GET", "/helpdesk/canned/new", ADMIN_ONLY),
    Row("POST", "/helpdesk/canned/new", ADMIN_ONLY, note="empty form: errors shown"),
    Row("GET", lambda w: f"/helpdesk/canned/{hd(w).canned.id}/edit", ADMIN_ONLY, note="any"),
    Row(
        "POST",
        lambda w: f"/helpdesk/canned/{hd(w).canned.id}/edit",
        ADMIN_POST,
        note="empty form: nothing changes",
    ),
    Row("POST", lambda w: f"/helpdesk/canned/{hd(w).canned.id}/delete", ADMIN_POST, note="any"),
    # Reports: the admins and the head.
    Row("GET", "/helpdesk/reports", REPORTS),
    Row("GET", "/helpdesk/reports?start=2026-01-01&end=2026-12-31", REPORTS, note="a period"),
    Row("GET", "/helpdesk/reports.csv", REPORTS),
]
