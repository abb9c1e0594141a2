"""Demo step: the documents register, admin appointment, invitation links, join requests
waiting for a decision, the councils, clubs and sections, and a scheduled movement."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select, update

from intranet.demo.bulk import at
from intranet.demo.context import DemoContext
from intranet.extensions import db
from intranet.models import (
    AdminAction,
    AdminAppointment,
    ClubKind,
    Council,
    CouncilKind,
    CouncilMember,
    Document,
    DocumentKind,
    ExtracurricularGroup,
    ExtracurricularMember,
    Guardian,
    Invitation,
    JoinRequest,
    Role,
    TutorAssignment,
    User,
)
from intranet.models.base import fold, utcnow
from intranet.services import accounts
from intranet.services.movement import move_student

CLUBS = (
    (ClubKind.CLUB, "Робототехника", "вторник и четверг, 16:00, ауд. 214"),
    (ClubKind.CLUB, "Киберспортивный клуб «Бит»", "среда, 17:00, компьютерный класс 3"),
    (ClubKind.SECTION, "Волейбол", "понедельник и пятница, 17:30, спортзал"),
    (ClubKind.STUDIO, "Студия видеомонтажа", "суббота, 11:00, медиацентр"),
)


def _document(ctx: DemoContext, kind: DocumentKind, number: str, on: date, title: str) -> Document:
    doc = Document(
        kind=kind,
        number=number,
        issued_on=on,
        title=title,
        title_key=fold(f"{number} {title}"),
        in_force_from=on,
        created_by_id=ctx.accounts["admin"].id,
    )
    db.session.add(doc)
    return doc


def step(ctx: DemoContext) -> None:
    admin = ctx.accounts["admin"]
    year_start = date(ctx.academic_year, 9, 1)
    council_day = year_start - timedelta(days=4)
    _document(
        ctx,
        DocumentKind.REGULATION,
        "",
        council_day,
        "Положение о работе с ИКОП «Сферум» и учебным профилем VK Мессенджера",
    )
    _document(
        ctx, DocumentKind.PROTOCOL, "1", council_day, "Протокол заседания педагогического совета"
    )
    signed = council_day + timedelta(days=1)
    _document(
        ctx,
        DocumentKind.ORDER,
        ctx.order("о", signed),
        signed,
        "Об использовании информационно-коммуникационной образовательной платформы «Сферум»",
    )
    appointment = _document(
        ctx,
        DocumentKind.ORDER,
        ctx.order("о", signed),
        signed,
        "О назначении администратора платформы «Сферум»",
    )
    distribution = _document(
        ctx,
        DocumentKind.ORDER,
        ctx.order("о", signed),
        signed,
        "О распределении руководства учебными группами (тьюторов)",
    )
    leave_order = _document(
        ctx,
        DocumentKind.ORDER,
        ctx.order("к", ctx.today),
        ctx.today,
        "О предоставлении академического отпуска",
    )
    db.session.flush()
    db.session.add(
        AdminAppointment(
            user_id=admin.id,
            action=AdminAction.APPOINTED_MAIN,
            is_main=True,
            basis_id=appointment.id,
            actor_id=ctx.accounts["head"].id,
            at=at(signed, 10),
        )
    )
    # This year's tutor assignments were made by the distribution order.
    db.session.execute(
        update(TutorAssignment)
        .where(TutorAssignment.starts_on >= year_start)
        .values(basis_document_id=distribution.id)
        .execution_options(synchronize_session=False)
    )
    ctx.count("Документы в реестре", 6)
    _links_and_requests(ctx)
    _councils(ctx)
    _clubs(ctx)
    _movement(ctx, leave_order)


def _links_and_requests(ctx: DemoContext) -> None:
    admin, tutor = ctx.accounts["admin"], ctx.accounts["tutor"]
    now, group = utcnow(), ctx.demo_group
    student_id = next(s for s in group.student_ids if s != ctx.accounts["student"].id)
    links = [
        Invitation(
            role=Role.TEACHER,
            max_uses=10,
            expires_at=now + timedelta(days=14),
            note="Новые преподаватели отделения ИТ",
            created_by_id=admin.id,
        ),
        Invitation(
            role=Role.STUDENT,
            group_id=group.id,
            max_uses=30,
            expires_at=now + timedelta(days=7),
            note=f"Чат группы {group.name}",
            created_by_id=tutor.id,
        ),
        Invitation(
            role=Role.PARENT,
            student_id=student_id,
            max_uses=1,
            expires_at=now + timedelta(days=14),
            created_by_id=tutor.id,
        ),
        Invitation(
            role=Role.STUDENT,
            group_id=group.id,
            max_uses=30,
            uses=12,
            expires_at=now - timedelta(days=3),
            note="Прошлый набор",
            created_by_id=tutor.id,
        ),
    ]
    for link in links:
        link.department_id = None
        link.created_at = now - timedelta(days=ctx.rng.randint(1, 20))
    db.session.add_all(links)
    db.session.flush()
    teacher = ctx.people.person(female=True)
    applicant = accounts.create_person(
        actor=None,
        last_name=teacher.last_name,
        first_name=teacher.first_name,
        middle_name=teacher.middle_name,
        email=ctx.people.staff_email(teacher),
        phone=ctx.people.mobile(),
        external_id=ctx.people.external_id(),  # the demo keeps everyone matchable on import
    )
    parent = ctx.people.person(female=True)
    mother = accounts.create_person(
        actor=None,
        last_name=parent.last_name,
        first_name=parent.first_name,
        middle_name=parent.middle_name,
        phone=ctx.people.mobile(),
        external_id=ctx.people.external_id(),
    )
    db.session.add(
        Guardian(
            parent_id=mother.id,
            student_id=student_id,
            relation="мать",
            is_confirmed=False,
            created_at=now,
        )
    )
    db.session.add_all(
        [
            JoinRequest(
                user_id=applicant.id,
                invitation_id=links[0].id,
                role=Role.TEACHER,
                created_at=now - timedelta(hours=5),
            ),
            JoinRequest(
                user_id=mother.id,
                role=Role.PARENT,
                student_id=student_id,
                relation="мать",
                created_at=now - timedelta(hours=2),
            ),
        ]
    )
    ctx.count("Ссылки-приглашения", len(links))
    ctx.count("Заявки на вступление, ждущие решения", 2)


def _councils(ctx: DemoContext) -> None:
    year_start = date(ctx.academic_year, 9, 1)
    parents_council = Council(
        kind=CouncilKind.PARENTS,
        name="Родительский актив колледжа",
        name_key=fold("Родительский актив колледжа"),
        description="По одному представителю от каждого курса.",
    )
    students_council = Council(
        kind=CouncilKind.STUDENTS,
        name="Студенческий совет",
        name_key=fold("Студенческий совет"),
        description="Старосты групп и представители отделений.",
    )
    db.session.add_all([parents_council, students_council])
    db.session.flush()
    students = [sid for g in ctx.groups for sid in g.student_ids[:1]][:9]
    parent_ids = list(
        db.session.scalars(
            select(Guardian.parent_id)
            .where(Guardian.student_id.in_(students), Guardian.is_confirmed.is_(True))
            .order_by(Guardian.parent_id)
            .limit(6)
        )
    )
    members = [
        CouncilMember(
            council_id=parents_council.id,
            user_id=pid,
            since=year_start,
            position="председатель" if i == 0 else "",
        )
        for i, pid in enumerate(dict.fromkeys(parent_ids))
    ] + [
        CouncilMember(
            council_id=students_council.id,
            user_id=sid,
            since=year_start,
            position="председатель" if i == 0 else "",
        )
        for i, sid in enumerate(students)
    ]
    db.session.add_all(members)
    ctx.count("Участники родительского и студенческого активов", len(members))


def _clubs(ctx: DemoContext) -> None:
    leaders = ctx.rng.sample(ctx.teacher_ids, k=min(len(CLUBS), len(ctx.teacher_ids)))
    students = [sid for g in ctx.groups for sid in g.student_ids]
    joined = date(ctx.academic_year, 9, 15)
    members = 0
    for (kind, name, schedule), leader_id in zip(CLUBS, leaders, strict=False):
        club = ExtracurricularGroup(
            kind=kind, name=name, name_key=fold(name), schedule=schedule, leader_id=leader_id
        )
        db.session.add(club)
        db.session.flush()
        chosen = ctx.rng.sample(students, k=min(len(students), ctx.rng.randint(8, 16)))
        db.session.add_all(
            ExtracurricularMember(group_id=club.id, user_id=sid, joined_on=joined) for sid in chosen
        )
        members += len(chosen)
    ctx.count("Кружки и секции", len(leaders))
    ctx.count("Участники кружков и секций", members)


def _movement(ctx: DemoContext, basis: Document) -> None:
    """One student goes on academic leave in two weeks (the worker applies it on the day)."""
    group = next(g for g in ctx.groups if g is not ctx.demo_group and g.student_ids)
    person = db.session.get(User, group.student_ids[-1])
    move_student(
        ctx.accounts["admin"],
        person,
        kind="academic_leave",
        effective_on=ctx.today + timedelta(days=14),
        basis_id=basis.id,
        comment="По медицинским показаниям",
        today=ctx.today,
    )
    ctx.count("Запланированное движение", 1)
