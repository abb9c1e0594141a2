"""A small college for the permission matrix: each subject's own objects and other people's.

Subjects: admin, head, deputy, tutor (tutors group_own), teacher (teaches group_own),
student (in group_own), parent (of that student). Someone else's: group_other with its own
student, parent, tutor and teacher.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests import factories as f


@dataclass
class World:
    admin: object
    head: object
    deputy: object
    tutor: object
    teacher: object
    student: object
    parent: object
    group_own: object
    group_other: object
    other_student: object
    other_parent: object
    other_tutor: object
    other_teacher: object
    department: object
    speciality: object
    discipline: object
    mail_message: object = None  # a message in the outbox (the «Почта» page)
    enrollment: object = None  # student in group_own
    tutorship: object = None  # tutor of group_own
    teaching: object = None  # teacher × discipline in group_own
    guardian: object = None  # parent ↔ student

    def subject(self, name: str):
        return getattr(self, name)


def build_world() -> World:
    department = f.department("Отделение информационных технологий")
    speciality = f.speciality("09.02.07")
    discipline = f.discipline("ОП.01")
    group_own = f.group("ИСП-24-1", dept=department, spec=speciality)
    group_other = f.group("ИСП-24-2", dept=department, spec=speciality)
    admin = f.user("admin", last_name="Админова")
    head = f.user("head", last_name="Директоров")
    deputy = f.user("deputy", last_name="Замов")
    tutor = f.user("tutor", "teacher", last_name="Кураторова")
    teacher = f.user("teacher", last_name="Учителев")
    student = f.user("student", last_name="Студентов")
    parent = f.user("parent", last_name="Родителева")
    other_student = f.user("student", last_name="Чужой")
    other_parent = f.user("parent", last_name="Чужая")
    other_tutor = f.user("tutor", "teacher", last_name="Другой")
    other_teacher = f.user("teacher", last_name="Иной")
    enrollment = f.enroll(student, group_own)
    f.enroll(other_student, group_other)
    guardian = f.guardian(parent, student)
    f.guardian(other_parent, other_student)
    tutorship = f.tutor_of(tutor, group_own)
    f.tutor_of(other_tutor, group_other)
    teaching = f.teaches(teacher, group_own, discipline)
    f.teaches(other_teacher, group_other, discipline)
    return World(
        admin=admin,
        head=head,
        deputy=deputy,
        tutor=tutor,
        teacher=teacher,
        student=student,
        parent=parent,
        group_own=group_own,
        group_other=group_other,
        other_student=other_student,
        other_parent=other_parent,
        other_tutor=other_tutor,
        other_teacher=other_teacher,
        department=department,
        speciality=speciality,
        discipline=discipline,
        mail_message=f.outbox_message("dead", last_error="550 5.1.1 no such user"),
        enrollment=enrollment,
        tutorship=tutorship,
        teaching=teaching,
        guardian=guardian,
    )


def helpdesk(world) -> object:
    """Help-desk objects, built on first use and kept on the world: the student's own ticket
    (a public and a staff-only attachment), one the parent filed for the student, someone
    else's ticket (with an attachment and a vendor case), a public-form ticket with its link,
    an incident, articles, a canned reply and an unmatched message."""
    from types import SimpleNamespace

    if not isinstance(world, World):  # the route-coverage check resolves paths without data
        return SimpleNamespace(
            **{k: SimpleNamespace(id=1) for k in _HELPDESK_OBJECTS}, token="token"
        )
    cached = getattr(world, "_helpdesk", None)
    if cached is not None:
        return cached
    from intranet.extensions import db
    from intranet.models import CannedReply, HelpArticle, InboundMail, Incident, VendorCase
    from intranet.models.base import utcnow
    from intranet.models.helpdesk import InboundStatus, VendorCaseState
    from intranet.services.helpdesk.tickets import public_token

    own = f.ticket(world.student)
    for_child = f.ticket(world.parent, for_student=world.student)
    other = f.ticket(world.other_student, category="calls", status="open")
    public = f.ticket(None)
    own_file = _attachment(own, staff_only=False)
    own_note_file = _attachment(own, staff_only=True)
    other_file = _attachment(other, staff_only=False)
    public_file = _attachment(public, staff_only=False)
    case = VendorCase(
        ticket_id=other.id,
        state=VendorCaseState.SENT,
        to_address="info@sferum.ru",
        subject=f"[{other.number}] Сферум: звонки",
        body="…",
        message_id=f"<hd{other.id}.world@college.local>",
        sent_at=utcnow(),
    )
    incident = Incident(title="Не работают звонки", description="С 10:00")
    article = HelpArticle(
        title="Не приходит код", title_key="не приходит код", body="Проверьте **сеть**."
    )
    hidden = HelpArticle(title="Черновик", title_key="черновик", body="…", is_published=False)
    canned = CannedReply(title="Уточнить версию", title_key="уточнить версию", body="Какая версия?")
    mail = InboundMail(
        message_id="<stray@example.com>",
        from_address="stray@example.com",
        subject="Помогите",
        status=InboundStatus.UNMATCHED,
        raw=b"From: stray@example.com\r\nSubject: Help\r\n\r\nHelp me",
    )
    db.session.add_all([case, incident, article, hidden, canned, mail])
    db.session.commit()
    world._helpdesk = SimpleNamespace(
        own=own,
        for_child=for_child,
        other=other,
        public=public,
        own_file=own_file,
        own_note_file=own_note_file,
        other_file=other_file,
        public_file=public_file,
        case=case,
        incident=incident,
        article=article,
        hidden_article=hidden,
        canned=canned,
        mail=mail,
        token=public_token(public),
    )
    return world._helpdesk


_HELPDESK_OBJECTS = (
    "own", "for_child", "other", "public", "own_file", "own_note_file", "other_file",
    "public_file", "case", "incident", "article", "hidden_article", "canned", "mail",
)  # fmt: skip


def _attachment(ticket, *, staff_only: bool):
    """A small PNG stored through the upload service and attached to a new message."""
    import io

    from werkzeug.datastructures import FileStorage

    from intranet.extensions import db
    from intranet.models import TicketMessage
    from intranet.models.helpdesk import MessageKind
    from intranet.services.helpdesk import attachments

    message = TicketMessage(
        ticket_id=ticket.id,
        kind=MessageKind.INTERNAL if staff_only else MessageKind.PUBLIC,
        author_label="Тест",
        body="Снимок экрана",
    )
    db.session.add(message)
    db.session.flush()
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    (row,) = attachments.attach(
        message, [FileStorage(io.BytesIO(png), filename="screen.png")], staff_only=staff_only
    )
    db.session.commit()
    return row
