"""The weekly digest: each keeper with mandated chats missing gets one e-mail listing them,
at most once a week, unless they switched it off in their mail settings («Почта» in the
profile). A worker job checks every hour who is due; the record of the last digest makes a
rerun (or a second worker) send nothing twice.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from intranet import i18n
from intranet.extensions import db
from intranet.jobs import register_job
from intranet.models import ChatDigestSent, Role, TeacherStatus, User
from intranet.models.base import utcnow
from intranet.services import mail
from intranet.services.chats import KIND_LABELS, compliance

MAIL_KIND = "chats.digest"
JOB = "chats.weekly_digest"
EVERY = timedelta(days=7)

mail.register_kind(
    MAIL_KIND,
    _l("A weekly reminder of the chats the regulation asks you to register"),
    roles=[Role.HEAD, Role.TUTOR, Role.TEACHER],
)


def send_digests(today: date | None = None) -> int:
    """Queue one digest per keeper with missing chats who has not had one for a week."""
    today = today or i18n.local_today()
    board = compliance.board(today)
    missing: dict[int, list[compliance.Expected]] = defaultdict(list)
    expected: dict[int, int] = defaultdict(int)
    for item, found in board.items:
        if item.owner_id is None:
            continue
        expected[item.owner_id] += 1
        if not found:
            missing[item.owner_id].append(item)
    if not missing:
        return 0
    now = utcnow()
    last = dict(
        db.session.execute(
            select(ChatDigestSent.user_id, ChatDigestSent.sent_at).where(
                ChatDigestSent.user_id.in_(list(missing))
            )
        ).all()
    )
    due = [uid for uid in missing if uid not in last or last[uid] <= now - EVERY]
    if not due:
        return 0
    welcome = mail.accepting(MAIL_KIND, due)
    people = db.session.scalars(
        select(User).where(User.id.in_(welcome), User.is_active.is_(True)).order_by(User.id)
    ).all()
    rows = {
        r.user_id: r
        for r in db.session.scalars(
            select(ChatDigestSent).where(ChatDigestSent.user_id.in_([p.id for p in people]))
        )
    }
    link = mail.external_url("chats.compliance")
    sent = 0
    for person in people:
        if person.is_teaching_staff and person.teacher_status is not TeacherStatus.CONFIRMED:
            continue
        items = missing[person.id]
        message = mail.queue_mail(
            MAIL_KIND,
            person,
            _l("Chats to register: %(num)d", num=len(items)),
            "chats_digest",
            {
                "person": person,
                "items": [(KIND_LABELS[i.kind], board.describe(i)) for i in items],
                "expected": expected[person.id],
                "present": expected[person.id] - len(items),
                "link": link,
            },
        )
        if message is None:
            continue
        row = rows.get(person.id)
        if row is None:
            db.session.add(ChatDigestSent(user_id=person.id, sent_at=now, missing=len(items)))
        else:
            row.sent_at, row.missing = now, len(items)
        sent += 1
    db.session.flush()
    return sent


def _job() -> None:
    send_digests()


register_job(JOB, 3600, _job)
