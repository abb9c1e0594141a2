"""Factories: build valid rows with the fewest arguments; each commits (a savepoint in tests)."""

from __future__ import annotations

import itertools
from datetime import date

from intranet.extensions import db
from intranet.models import (
    Department,
    Discipline,
    Enrollment,
    Guardian,
    Role,
    Speciality,
    StudyGroup,
    TeacherStatus,
    TeachingAssignment,
    TutorAssignment,
    User,
    UserRole,
)
from intranet.models.base import fold, utcnow

_seq = itertools.count(1)


def _n() -> int:
    return next(_seq)


def user(*roles: Role | str, confirmed: bool = True, commit: bool = True, **fields) -> User:
    n = _n()
    roles = [Role(r) for r in roles]
    values = {
        "last_name": f"Иванов{n}",
        "first_name": "Иван",
        "middle_name": "Иванович",
        "email": f"user{n}@example.test",
        "locale": "ru",
        "is_active": True,
        "session_epoch": 0,
    }
    values.update(fields)
    person = User(**values)
    person.refresh_name_key()
    if any(r in (Role.TUTOR, Role.TEACHER) for r in roles) or any(
        r in (Role.ADMIN, Role.HEAD, Role.DEPUTY) for r in roles
    ):
        person.teacher_status = TeacherStatus.CONFIRMED if confirmed else TeacherStatus.PENDING
    for role in roles:
        person.roles.append(UserRole(role=role, granted_at=utcnow()))
    db.session.add(person)
    _done(commit)
    return person


def password_user(*roles: Role | str, password: str = "correct horse battery", **fields) -> User:
    from intranet.services.security import hash_password

    return user(*roles, password_hash=hash_password(password), **fields)


def department(name: str | None = None, commit: bool = True) -> Department:
    name = name or f"Отделение {_n()}"
    row = Department(name=name, name_key=fold(name))
    db.session.add(row)
    _done(commit)
    return row


def speciality(
    code: str | None = None,
    name: str = "Информационные системы и программирование",
    commit: bool = True,
) -> Speciality:
    n = _n()
    row = Speciality(code=code or f"{n % 100:02d}.02.{n % 97:02d}", name=name, name_key=fold(name))
    db.session.add(row)
    _done(commit)
    return row


def group(
    name: str | None = None,
    *,
    year: int = 2024,
    dept: Department | None = None,
    spec: Speciality | None = None,
    commit: bool = True,
) -> StudyGroup:
    name = name or f"ИСП-{year % 100}-{_n()}"
    row = StudyGroup(
        name=name,
        name_key=fold(name),
        admission_year=year,
        department=dept or department(commit=False),
        speciality=spec or speciality(commit=False),
    )
    db.session.add(row)
    _done(commit)
    return row


def enroll(
    student: User,
    grp: StudyGroup,
    starts_on: date = date(2024, 9, 1),
    ends_on: date | None = None,
    commit: bool = True,
) -> Enrollment:
    row = Enrollment(student=student, group=grp, starts_on=starts_on, ends_on=ends_on)
    db.session.add(row)
    _done(commit)
    return row


def tutor_of(
    tutor: User, grp: StudyGroup, starts_on: date = date(2024, 9, 1), commit: bool = True
) -> TutorAssignment:
    row = TutorAssignment(
        tutor=tutor, group=grp, starts_on=starts_on, basis_number="12-к", basis_date=starts_on
    )
    db.session.add(row)
    _done(commit)
    return row


def discipline(
    code: str | None = None, name: str = "Основы алгоритмизации", commit: bool = True
) -> Discipline:
    row = Discipline(code=code or f"ОП.{_n():02d}", name=name, name_key=fold(name))
    db.session.add(row)
    _done(commit)
    return row


def teaches(
    teacher: User, grp: StudyGroup, disc: Discipline | None = None, commit: bool = True
) -> TeachingAssignment:
    row = TeachingAssignment(
        teacher=teacher, group=grp, discipline=disc or discipline(commit=False)
    )
    db.session.add(row)
    _done(commit)
    return row


def guardian(parent: User, student: User, confirmed: bool = True, commit: bool = True) -> Guardian:
    row = Guardian(parent=parent, student=student, is_confirmed=confirmed, created_at=utcnow())
    db.session.add(row)
    _done(commit)
    return row


def _done(commit: bool) -> None:
    if commit:
        db.session.commit()
    else:
        db.session.flush()


def login_session(person: User) -> str:
    """A signed-in session for this person; returns the id the cookie carries."""
    from intranet.services.accounts import open_login_session

    raw = open_login_session(person, ip="127.0.0.1")
    db.session.commit()
    return raw


def outbox_message(
    status: str = "pending",
    *,
    subject: str = "Проверка почты",
    to: str = "Пётр Петров <petrov@example.test>",
    kind: str = "mail.test",
    commit: bool = True,
    **fields,
):
    """A message in the mail outbox, built like queue_mail builds one."""
    from flask import current_app

    from intranet.models import OutboxMessage, OutboxStatus
    from intranet.services.mail import build_message, new_message_id, parse_address

    now = utcnow()
    message_id = new_message_id("test")
    recipient = parse_address(to)
    raw = build_message(
        sender=parse_address(current_app.config["MAIL_SENDER"]),
        to=[recipient],
        subject=subject,
        text="Текст письма.\n",
        html="<p>Текст письма.</p>",
        message_id=message_id,
        date=now,
    ).as_bytes()
    values = {
        "message_id": message_id,
        "kind": kind,
        "sender": "intranet@college.local",
        "recipients": [recipient.addr_spec],
        "subject": subject,
        "search_key": fold(f"{subject} {recipient}"),
        "raw": raw,
        "size": len(raw),
        "status": OutboxStatus(status),
        "created_at": now,
        "next_attempt_at": now,
    }
    if status == "sent":
        values["sent_at"] = now
    if status == "sending":
        values.update(lease_until=now, claimed_by="test-worker")
    values.update(fields)
    row = OutboxMessage(**values)
    db.session.add(row)
    _done(commit)
    return row


def ticket(
    requester: User | None = None,
    *,
    category: str = "login",
    status: str = "new",
    for_student: User | None = None,
    subject: str | None = None,
    body: str = "Не приходит код подтверждения при входе.",
    commit: bool = True,
    **fields,
):
    """A help-desk ticket (and its first message) with its SLA clock started; no mail."""
    from intranet.models import Ticket, TicketMessage
    from intranet.models.helpdesk import Category, MessageKind, TicketStatus
    from intranet.services.helpdesk import sla
    from intranet.services.helpdesk.tickets import next_number

    now = fields.pop("created_at", None) or utcnow()
    seq, number = next_number(now.year)
    subject = subject or f"Не приходит код {seq}"
    row = Ticket(
        number=number,
        year=now.year,
        seq=seq,
        subject=subject,
        subject_key=fold(subject),
        category=Category(category),
        status=TicketStatus(status),
        requester_id=requester.id if requester else None,
        for_student_id=for_student.id if for_student else None,
        contact_name=requester.full_name if requester else "Пётр Петров",
        contact_email=requester.email if requester else "petrov@example.test",
        consent_personal_data=True,
        created_at=now,
        last_activity_at=now,
        details={"platform": "vk"},
    )
    if row.status is TicketStatus.WAITING_REQUESTER:
        row.sla_paused_at = now
    if row.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        row.resolved_at = now
    if row.status is TicketStatus.CLOSED:
        row.closed_at = now
    for key, value in fields.items():
        setattr(row, key, value)
    db.session.add(row)
    db.session.flush()
    sla.start_clock(row, now)
    db.session.add(
        TicketMessage(
            ticket_id=row.id,
            kind=MessageKind.PUBLIC,
            author_id=requester.id if requester else None,
            author_label=row.contact_name,
            from_requester=True,
            body=body,
            created_at=now,
        )
    )
    _done(commit)
    return row


# --- events (appended by the events area) ----------------------------------------------------


def room(name: str | None = None, building: str = "Корпус 1", commit: bool = True):
    from intranet.models import Room

    name = name or f"Ауд. {_n()}"
    row = Room(name=name, name_key=fold(name), building=building, is_active=True)
    db.session.add(row)
    _done(commit)
    return row


def event(
    kind: str = "meeting",
    *,
    title: str | None = None,
    day: date | None = None,
    start=None,
    end=None,
    room=None,
    responsible: User | None = None,
    groups=(),
    departments=(),
    roles=(),
    sessions=None,
    recurrence=None,
    is_open: bool = False,
    stream_url: str = "",
    status: str = "planned",
    actor: User | None = None,
    demo_exam=None,
    competition=None,
    override_reason: str = "",
    commit: bool = True,
):
    """An event made through the service (sessions, occurrences, audit, invitations)."""
    from datetime import datetime, time, timedelta

    from intranet.i18n import local_today
    from intranet.models import EventKind
    from intranet.models.events import Attestation, CompetitionCategory, CompetitionStage, ExamLevel
    from intranet.services import events as service

    actor = actor or user("admin")
    kind = EventKind(kind)
    # Each event on a day of its own, so the same responsible person never clashes.
    day = day or local_today() + timedelta(days=7 + _n() % 300)
    if sessions is None:
        start = start or time(10, 0)
        if end is None:
            end = (datetime.combine(day, start) + timedelta(minutes=90)).time()
        sessions = [
            service.SessionInput(
                label="",
                day=day,
                start=start,
                end=end,
                room_id=room.id if room is not None else None,
            )
        ]
    if kind is EventKind.DEMO_EXAM and demo_exam is None:
        demo_exam = service.DemoExamInput(attestation=Attestation.GIA, level=ExamLevel.BASIC)
    if kind in (EventKind.CHAMPIONSHIP, EventKind.ABILYMPICS) and competition is None:
        competition = service.CompetitionInput(
            stage=CompetitionStage.REGIONAL,
            category=CompetitionCategory.MAIN
            if kind is EventKind.CHAMPIONSHIP
            else CompetitionCategory.STUDENTS,
            competency="Программные решения для бизнеса",
        )
    data = service.EventInput(
        kind=kind,
        title=title or f"Событие {_n()}",
        sessions=list(sessions),
        responsible_id=(responsible or actor).id,
        group_ids=[g.id for g in groups],
        department_ids=[d.id for d in departments],
        roles=list(roles),
        recurrence=recurrence,
        is_open=is_open,
        stream_url=stream_url,
        demo_exam=demo_exam,
        competition=competition,
        override_reason=override_reason,
    )
    row = service.create_event(data, actor=actor)
    if status in ("confirmed", "completed"):
        service.confirm(row, actor=actor)
    if status == "completed":
        service.complete(row, actor=actor)
    if status == "cancelled":
        service.cancel(row, actor=actor, reason="test")
    _done(commit)
    return row


def calendar_feed(owner: User, scope: str = "personal", commit: bool = True, **fields):
    from intranet.models import FeedScope
    from intranet.services import events as service

    row = service.create_feed(owner, scope=FeedScope(scope), **fields)
    _done(commit)
    return row


# --- chats registry (appended by the chats area) ---------------------------------------------


def chat(
    owner: User,
    kind: str = "other",
    *,
    group: StudyGroup | None = None,
    discipline: Discipline | None = None,
    club=None,
    status: str = "active",
    title: str | None = None,
    commit: bool = True,
):
    from intranet.models import Chat, ChatKind, ChatStatus, Platform

    name = title or f"Чат {_n()}"
    row = Chat(
        owner_id=owner.id,
        kind=ChatKind(kind),
        group_id=group.id if group else None,
        discipline_id=discipline.id if discipline else None,
        club_id=club.id if club else None,
        platform=Platform.VK,
        title=name,
        title_key=fold(name),
        invite_url=f"https://sferum.ru/?call_link=chat{_n()}",
        status=ChatStatus(status),
    )
    db.session.add(row)
    _done(commit)
    return row
