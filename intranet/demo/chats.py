"""Demo step: the chats registry (§2.2–2.4) as a college has it a few weeks into the year.

Most mandated chats are registered; some are not, so the compliance board has something to
show. The named accounts are arranged for a first visit: the demo tutor still has the chat
with the group's teachers and their own discipline's chat to register, while the demo group
already has its students' and parents' chats (the demo student and parent find their links on
the home page); the head has not yet opened the student council's chat. A tutor who handed a
group over keeps an archived chat. Part of the demo group's students have been sent the
link by e-mail.
"""

from __future__ import annotations

import string
from datetime import date, timedelta

from sqlalchemy import select

from intranet.demo.bulk import insert_rows
from intranet.demo.context import DemoContext
from intranet.extensions import db
from intranet.models import (
    Chat,
    ChatKind,
    ChatLinkSent,
    ChatStatus,
    Council,
    CouncilKind,
    Discipline,
    ExtracurricularGroup,
    Organisation,
    Platform,
    TeachingAssignment,
    TutorAssignment,
)
from intranet.models.base import fold, utcnow

ALPHABET = string.ascii_letters + string.digits
SHARE_PRESENT = {"tutor": 0.85, "teacher": 0.7, "club": 0.6}


def _link(ctx: DemoContext, platform: Platform) -> str:
    token = "".join(ctx.rng.choice(ALPHABET) for _ in range(24))
    host = "max.ru/join" if platform is Platform.MAX else "vk.me/join"
    return f"https://{host}/{token}"


def step(ctx: DemoContext) -> None:
    platform = db.session.scalar(select(Organisation.platform).limit(1)) or Platform.VK
    year_start = date(ctx.academic_year, 9, 1)
    tutor_account, head = ctx.accounts["tutor"], ctx.accounts["head"]
    demo_group = ctx.demo_group.id if ctx.demo_group else None
    names = {g.id: g.name for g in ctx.groups}
    sizes = {g.id: len(g.student_ids) for g in ctx.groups}
    rows: list[dict] = []

    def add(kind, owner_id, title, *, group_id=None, discipline_id=None, club_id=None,
            members=None, status=ChatStatus.ACTIVE, since=None):  # fmt: skip
        created = since or ctx.recent_day(year_start, margin=10)
        rows.append(
            {
                "kind": kind,
                "owner_id": owner_id,
                "group_id": group_id,
                "discipline_id": discipline_id,
                "club_id": club_id,
                "platform": platform,
                "title": title,
                "title_key": fold(title),
                "invite_url": _link(ctx, platform),
                "created_on": min(created, ctx.today),
                "member_count": members,
                "status": status,
                "notes": "",
                "created_at": utcnow(),
                "updated_at": utcnow(),
            }
        )

    # §2.2: the head's chats; the student council's is not opened yet.
    add(ChatKind.HEAD_DEPUTIES, head.id, "Директор и заместители", members=5, since=year_start)
    add(ChatKind.HEAD_TEACHERS, head.id, "Педагогический коллектив", members=80, since=year_start)
    councils = set(db.session.scalars(select(Council.kind).distinct()))
    if CouncilKind.PARENTS in councils:
        add(ChatKind.HEAD_PARENTS_COUNCIL, head.id, "Родительский актив колледжа", members=7)

    # §2.3: each tutor's three chats with the group; a previous tutor's chat is archived.
    tutorships = db.session.execute(
        select(
            TutorAssignment.group_id,
            TutorAssignment.tutor_id,
            TutorAssignment.starts_on,
            TutorAssignment.ends_on,
        ).where(TutorAssignment.starts_on <= ctx.today)
    ).all()
    titles = {
        ChatKind.TUTOR_STUDENTS: "{} · студенты",
        ChatKind.TUTOR_PARENTS: "{} · родители",
        ChatKind.TUTOR_TEACHERS: "{} · преподаватели группы",
    }
    for group_id, tutor_id, starts_on, ends_on in tutorships:
        size = sizes.get(group_id, 0)
        if ends_on is not None and ends_on < ctx.today:
            add(ChatKind.TUTOR_STUDENTS, tutor_id, titles[ChatKind.TUTOR_STUDENTS].format(
                names[group_id]), group_id=group_id, status=ChatStatus.ARCHIVED,
                since=starts_on, members=size)  # fmt: skip
            continue
        for kind, title in titles.items():
            if group_id == demo_group and tutor_id == tutor_account.id:
                present = kind is not ChatKind.TUTOR_TEACHERS
            else:
                present = ctx.rng.random() < SHARE_PRESENT["tutor"]
            if present:
                members = {
                    ChatKind.TUTOR_STUDENTS: max(0, size - ctx.rng.randint(0, 3)),
                    ChatKind.TUTOR_PARENTS: max(0, size - ctx.rng.randint(2, 8)),
                    ChatKind.TUTOR_TEACHERS: ctx.rng.randint(6, 12),
                }[kind]
                add(kind, tutor_id, title.format(names[group_id]), group_id=group_id,
                    members=members, since=max(starts_on, year_start))  # fmt: skip

    # §2.4: each teacher with each group per discipline.
    disciplines = dict(
        db.session.execute(select(Discipline.id, Discipline.code + " " + Discipline.name)).all()
    )
    teaching = db.session.execute(
        select(
            TeachingAssignment.teacher_id,
            TeachingAssignment.group_id,
            TeachingAssignment.discipline_id,
        ).order_by(TeachingAssignment.id)
    ).all()
    for teacher_id, group_id, discipline_id in teaching:
        if teacher_id == tutor_account.id:
            present = group_id != demo_group
        else:
            present = ctx.rng.random() < SHARE_PRESENT["teacher"]
        if present:
            add(ChatKind.TEACHER_GROUP_DISCIPLINE, teacher_id,
                f"{names[group_id]} · {disciplines[discipline_id]}", group_id=group_id,
                discipline_id=discipline_id, members=sizes.get(group_id, 0))  # fmt: skip

    # §2.4: the clubs and sections.
    clubs = db.session.execute(
        select(ExtracurricularGroup.id, ExtracurricularGroup.name, ExtracurricularGroup.leader_id)
        .where(
            ExtracurricularGroup.is_active.is_(True), ExtracurricularGroup.leader_id.is_not(None)
        )
        .order_by(ExtracurricularGroup.id)
    ).all()
    for n, (club_id, name, leader_id) in enumerate(clubs):
        if n == 0 or ctx.rng.random() < SHARE_PRESENT["club"]:
            add(ChatKind.TEACHER_EXTRACURRICULAR, leader_id, name, club_id=club_id,
                members=ctx.rng.randint(8, 16))  # fmt: skip

    # «Иные чаты»: a couple the regulation allows beyond the mandated ones.
    add(ChatKind.OTHER, head.id, "Приёмная комиссия — вопросы", members=12)

    insert_rows(Chat, rows)
    ctx.count("Чаты в реестре", len(rows))
    ctx.count("Чаты в архиве", sum(1 for r in rows if r["status"] is ChatStatus.ARCHIVED))
    _links_sent(ctx, demo_group, tutor_account.id)


def _links_sent(ctx: DemoContext, group_id: int | None, tutor_id: int) -> None:
    """The demo tutor has e-mailed the students' chat link to half of the group."""
    if group_id is None:
        return
    chat_id = db.session.scalar(
        select(Chat.id).where(
            Chat.group_id == group_id,
            Chat.owner_id == tutor_id,
            Chat.kind == ChatKind.TUTOR_STUDENTS,
            Chat.status == ChatStatus.ACTIVE,
        )
    )
    if chat_id is None:
        return
    students = ctx.demo_group.student_ids
    keep = {ctx.accounts["student"].id}
    chosen = [s for s in students[: len(students) // 2] if s not in keep]
    when = utcnow() - timedelta(days=ctx.rng.randint(3, 9))
    insert_rows(
        ChatLinkSent,
        [
            {"chat_id": chat_id, "user_id": s, "sent_by_id": tutor_id, "sent_at": when, "times": 1}
            for s in chosen
        ],
    )
    ctx.count("Ссылки на чаты, отправленные по почте", len(chosen))
