"""Demo events: rooms, the named accounts' demonstration exams, championship stages, webinars
and meetings over the coming months (made through the services, as people would), an archive
and a schedule of 5,000 events per scale unit (one executemany per table), and a «my events»
subscription for each named account.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from intranet.demo.bulk import insert_rows
from intranet.demo.context import DemoContext, GroupInfo
from intranet.extensions import db
from intranet.i18n import forget_timezone, local_zone
from intranet.models import (
    CalendarFeed,
    Competition,
    DemoExam,
    Event,
    EventAudienceRole,
    EventDepartment,
    EventGroup,
    EventOccurrence,
    EventSession,
    FeedScope,
    PersonRole,
    Role,
    Room,
)
from intranet.models.base import fold, utcnow
from intranet.models.events import (
    Attestation,
    BroadcastStatus,
    CompetitionCategory,
    CompetitionStage,
    EventKind,
    EventStatus,
    ExamLevel,
)
from intranet.services import events as service
from intranet.services.events.operations import new_uid

EVENTS_PER_SCALE = 5000
PAST_DAYS = 700
FUTURE_DAYS = 360

NAMED_ROOMS = [
    ("Актовый зал", "Главный корпус", 300),
    ("Студия трансляций", "Главный корпус", 12),
    ("Конференц-зал", "Главный корпус", 60),
    ("Мастерская «Программные решения для бизнеса»", "Корпус 2", 25),
    ("Лаборатория сетевого и системного администрирования", "Корпус 2", 20),
    ("Мастерская «Веб-дизайн и разработка»", "Корпус 2", 20),
]
CLASSROOMS = [(f"Ауд. {n}", "Корпус 1", 30) for n in range(201, 215)]
SLOTS = [
    (time(9, 0), time(10, 30)),
    (time(10, 45), time(12, 15)),
    (time(13, 0), time(14, 30)),
    (time(14, 45), time(16, 15)),
]

TOPICS = [
    "Цифровая безопасность",
    "Профессиональное самоопределение",
    "Правила внутреннего распорядка",
    "Финансовая грамотность",
    "Здоровый образ жизни",
    "Подготовка к практике",
    "Сферум: учебные чаты и звонки",
]
WEBINARS = [
    "Сферум для педагогов: видеозвонки и учебные чаты",
    "Электронный журнал: итоги четверти",
    "Наставничество в СПО",
    "Подготовка к демонстрационному экзамену",
    "Цифровая образовательная среда: новые возможности",
    "Профилактика деструктивного поведения",
]
COMPETENCIES = [
    "Программные решения для бизнеса",
    "Сетевое и системное администрирование",
    "Веб-технологии",
    "Графический дизайн",
    "Ремонт и обслуживание легковых автомобилей",
    "Электромонтаж",
]
ABILYMPICS_COMPETENCIES = ["Веб-дизайн", "Базы данных", "Компьютерная графика", "Фотограф-репортёр"]
STREAM = "https://sferum.ru/?call_link=demo-{n}"


def step(ctx: DemoContext) -> None:
    """Rooms, the named accounts' events, the bulk schedule and the subscriptions."""
    forget_timezone()
    zone = local_zone()
    rooms = _rooms()
    named_days, named_groups = _named_events(ctx, rooms)
    count = _bulk_events(ctx, zone, rooms, named_days, named_groups)
    feeds = [
        {
            "owner_id": user.id,
            "scope": FeedScope.PERSONAL,
            "token_version": 0,
            "alarm_minutes": 30 if key in ("teacher", "student") else None,
            "created_at": utcnow(),
            "updated_at": utcnow(),
        }
        for key, user in ctx.accounts.items()
    ]
    insert_rows(CalendarFeed, feeds)
    ctx.count("Помещения", len(rooms))
    ctx.count("События (расписание и архив)", count)
    ctx.count("Подписки на календарь", len(feeds))


def _rooms() -> dict[str, int]:
    rows = [
        {
            "name": n,
            "name_key": fold(n),
            "building": b,
            "capacity": c,
            "note": "",
            "is_active": True,
        }
        for n, b, c in NAMED_ROOMS + CLASSROOMS
    ]
    ids = insert_rows(Room, rows, "name")
    return {row["name"]: id_ for row, id_ in zip(rows, ids, strict=True)}


def _weekday_after(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7 or 7)


def _named_events(ctx: DemoContext, rooms: dict[str, int]) -> tuple[set[date], set[int]]:
    """The events the demo accounts see first, made through the services."""
    acc = ctx.accounts
    admin, head, deputy = acc["admin"], acc["head"], acc["deputy"]
    tutor, teacher = acc["tutor"], acc["teacher"]
    group = ctx.demo_group
    today = ctx.today
    same_spec = [
        g for g in ctx.groups if g.speciality_code == group.speciality_code and g.id != group.id
    ]
    other_group = same_spec[0] if same_spec else group
    spec_id = ctx.speciality_ids.get(group.speciality_code)
    workshop = rooms["Мастерская «Программные решения для бизнеса»"]
    days: set[date] = set()

    def session(label, day, start, end, room=None, prep=False):
        days.add(day)
        return service.SessionInput(label, day, start, end, room, is_preparation=prep)

    def make(kind, title, sessions, actor=admin, **fields):
        data = service.EventInput(kind=kind, title=title, sessions=sessions, **fields)
        return service.create_event(data, actor=actor)

    # The state final attestation of the demo group: Д-1 and two exam days.
    exam_day = today + timedelta(days=21)
    exam = make(
        EventKind.DEMO_EXAM,
        f"Демонстрационный экзамен (ГИА), группа {group.name}",
        [
            session("Д-1", exam_day, time(9), time(15), workshop, prep=True),
            session("Д1", exam_day + timedelta(days=1), time(8, 30), time(17), workshop),
            session("Д2", exam_day + timedelta(days=2), time(8, 30), time(17), workshop),
        ],
        description="Профильный уровень. Участникам иметь при себе паспорт и СНИЛС. "
        "Ознакомление с рабочими местами и инструктаж по охране труда — в день Д-1.",
        responsible_id=deputy.id,
        group_ids=[group.id],
        stream_url=STREAM.format(n=1),
        demo_exam=service.DemoExamInput(
            Attestation.GIA,
            ExamLevel.PROFILE,
            spec_id,
            f"{group.speciality_code}-2-{today.year}",
            "ЦПДЭ колледжа, мастерская «Программные решения для бизнеса»",
        ),
    )
    for role, name, email, org in (
        (
            PersonRole.CHIEF_EXPERT,
            "Сидоров Алексей Викторович",
            "sidorov@expert.example",
            "ООО «Уральские информационные системы»",
        ),
        (PersonRole.EXPERT, "Белова Марина Сергеевна", "belova@expert.example", "АО «ТехноСервис»"),
    ):
        service.add_person(exam, actor=admin, role=role, email=email, name=name, organisation=org)
    service.add_person(exam, actor=admin, role=PersonRole.EXPERT, user_id=teacher.id)
    service.add_group_students(exam, actor=admin)
    service.confirm(exam, actor=admin)

    # Interim attestation of another group: planned, not confirmed yet.
    interim_day = today + timedelta(days=45)
    make(
        EventKind.DEMO_EXAM,
        f"Демонстрационный экзамен (промежуточная аттестация), группа {other_group.name}",
        [
            session("Д-1", interim_day, time(9), time(13), workshop, prep=True),
            session("Д1", interim_day + timedelta(days=1), time(9), time(16), workshop),
        ],
        responsible_id=deputy.id,
        group_ids=[other_group.id],
        demo_exam=service.DemoExamInput(
            Attestation.INTERIM,
            ExamLevel.BASIC,
            spec_id,
            f"{group.speciality_code}-1-{today.year}",
            "ЦПДЭ колледжа",
        ),
    )

    # A regional stage of «Профессионалы» with the demo teacher as expert mentor.
    stage_day = today + timedelta(days=35)
    contest = make(
        EventKind.CHAMPIONSHIP,
        "Региональный этап чемпионата «Профессионалы»: Программные решения для бизнеса",
        [
            session("Д-1", stage_day, time(10), time(16), prep=True),
            session("Д1", stage_day + timedelta(days=1), time(9), time(18)),
            session("Д2", stage_day + timedelta(days=2), time(9), time(18)),
        ],
        responsible_id=deputy.id,
        location="Региональный центр развития профессионального мастерства",
        stream_url=STREAM.format(n=2),
        is_open=True,
        competition=service.CompetitionInput(
            CompetitionStage.REGIONAL,
            CompetitionCategory.MAIN,
            "Программные решения для бизнеса",
            "Площадка РЦРПМ, ул. Машиностроителей, 10",
        ),
    )
    service.add_person(contest, actor=admin, role=PersonRole.EXPERT_MENTOR, user_id=teacher.id)
    if group.student_ids:
        for student_id in group.student_ids[:3]:
            service.add_person(
                contest, actor=admin, role=PersonRole.PARTICIPANT, user_id=student_id
            )
    service.confirm(contest, actor=admin)

    # «Абилимпикс»: planned.
    abil_day = today + timedelta(days=60)
    make(
        EventKind.ABILYMPICS,
        "Региональный чемпионат «Абилимпикс»: Веб-дизайн",
        [session("", abil_day, time(10), time(15), rooms["Мастерская «Веб-дизайн и разработка»"])],
        responsible_id=deputy.id,
        is_open=True,
        competition=service.CompetitionInput(
            CompetitionStage.REGIONAL, CompetitionCategory.STUDENTS, "Веб-дизайн", ""
        ),
    )

    # A weekly webinar for teaching staff, broadcast from the studio.
    first_wednesday = _weekday_after(today, 2)
    webinar = make(
        EventKind.WEBINAR,
        "Сферум для педагогов: видеозвонки и учебные чаты",
        [session("", first_wednesday, time(15), time(16), rooms["Студия трансляций"])],
        responsible_id=admin.id,
        roles=[Role.TEACHER, Role.TUTOR],
        stream_url=STREAM.format(n=3),
        recurrence=service.Recurrence(freq="WEEKLY", count=8),
        description="Цикл практических вебинаров: звонки, чаты групп, каналы колледжа.",
    )
    service.confirm(webinar, actor=admin)

    # The head's online meeting every Monday for three months, one holiday skipped.
    first_monday = _weekday_after(today, 0)
    meeting = make(
        EventKind.MEETING,
        "Онлайн-совещание директора с администрацией",
        [session("", first_monday, time(9), time(9, 45), rooms["Конференц-зал"])],
        actor=head,
        responsible_id=head.id,
        roles=[Role.DEPUTY, Role.ADMIN],
        stream_url=STREAM.format(n=4),
        recurrence=service.Recurrence(
            freq="WEEKLY",
            until=today + timedelta(days=90),
            exdates=(first_monday + timedelta(days=21),),
        ),
    )
    service.confirm(meeting, actor=head)

    # The demo group's parents' meeting, led by its tutor.
    parents_day = today + timedelta(days=10)
    parents = make(
        EventKind.MEETING,
        f"Родительское собрание группы {group.name}",
        [session("", parents_day, time(18), time(19), rooms["Актовый зал"])],
        responsible_id=tutor.id,
        group_ids=[group.id],
        stream_url=STREAM.format(n=5),
    )
    service.confirm(parents, actor=admin)

    # The open day: in the public calendar.
    open_day = _weekday_after(today + timedelta(days=24), 5)
    opened = make(
        EventKind.OTHER,
        "День открытых дверей",
        [session("", open_day, time(11), time(14), rooms["Актовый зал"])],
        responsible_id=deputy.id,
        is_open=True,
        stream_url=STREAM.format(n=6),
    )
    service.confirm(opened, actor=admin)

    # The demo teacher's own proposal, waiting for confirmation.
    teacher_groups = sorted(service.own_group_ids(teacher)) or [group.id]
    make(
        EventKind.OTHER,
        "Классный час «Цифровая безопасность»",
        [session("", today + timedelta(days=5), time(13), time(13, 45))],
        actor=teacher,
        group_ids=teacher_groups[:1],
    )

    # A webinar cancelled a few days ago, and last month's completed exam.
    cancelled = make(
        EventKind.WEBINAR,
        "Вебинар «Электронный журнал: итоги четверти»",
        [session("", today + timedelta(days=3), time(11), time(12))],
        responsible_id=admin.id,
        roles=[Role.TEACHER],
    )
    service.cancel(cancelled, actor=admin, reason="Перенесён на следующий месяц")
    past_day = today - timedelta(days=20)
    past = make(
        EventKind.DEMO_EXAM,
        f"Демонстрационный экзамен (промежуточная аттестация), группа {other_group.name}",
        [
            session("Д-1", past_day, time(9), time(13), workshop, prep=True),
            session("Д1", past_day + timedelta(days=1), time(9), time(16), workshop),
        ],
        responsible_id=deputy.id,
        group_ids=[other_group.id],
        stream_url=STREAM.format(n=7),
        recording_kept_until=today + timedelta(days=340),
        demo_exam=service.DemoExamInput(
            Attestation.INTERIM, ExamLevel.BASIC, spec_id, "", "ЦПДЭ колледжа"
        ),
    )
    service.confirm(past, actor=admin)
    service.complete(past, actor=admin)
    past.broadcast_status = BroadcastStatus.ENDED
    db.session.flush()
    return days, {group.id, other_group.id}


def _bulk_events(
    ctx: DemoContext,
    zone: ZoneInfo,
    rooms: dict[str, int],
    named_days: set[date],
    named_groups: set[int],
) -> int:
    """The archive and schedule: one executemany per table."""
    rng = ctx.rng
    total = EVENTS_PER_SCALE * ctx.scale
    named_ids = {u.id for u in ctx.accounts.values()}
    teachers = [t for t in ctx.teacher_ids if t not in named_ids] or list(ctx.teacher_ids)
    classroom_ids = [rooms[name] for name, _b, _c in CLASSROOMS]
    departments = list(ctx.department_ids.items())
    groups = ctx.groups
    taken: set[tuple[int, date, int]] = set()
    now = utcnow()
    domain = new_uid().split("@", 1)[1]
    events, plans = [], []
    while len(events) < total:
        day = ctx.today + timedelta(days=rng.randint(-PAST_DAYS, FUTURE_DAYS))
        if day.weekday() == 6:
            continue
        slot = rng.randrange(len(SLOTS))
        room_id = rng.choice(classroom_ids)
        if (room_id, day, slot) in taken:
            continue
        kind = rng.choices(
            [
                EventKind.OTHER,
                EventKind.MEETING,
                EventKind.WEBINAR,
                EventKind.DEMO_EXAM,
                EventKind.CHAMPIONSHIP,
                EventKind.ABILYMPICS,
            ],
            weights=[25, 25, 25, 12, 8, 5],
        )[0]
        group = rng.choice(groups)
        if group.id in named_groups and day in named_days:
            continue
        taken.add((room_id, day, slot))
        start_clock, end_clock = SLOTS[slot]
        starts = datetime.combine(day, start_clock, zone).astimezone(UTC)
        ends = datetime.combine(day, end_clock, zone).astimezone(UTC)
        audience = _audience(rng, kind, group, departments)
        title = _title(rng, kind, group, audience)
        status = _status(rng, day, ctx.today)
        created = starts - timedelta(days=rng.randint(7, 60))
        n = len(events)
        events.append(
            {
                "uid": f"{uuid.UUID(int=rng.getrandbits(128))}@{domain}",
                "kind": kind,
                "status": status,
                "title": title,
                "title_key": fold(title),
                "description": "",
                "responsible_id": rng.choice(teachers),
                "created_by_id": ctx.accounts["admin"].id,
                "room_id": room_id,
                "location": "",
                "is_open": rng.random() < 0.05,
                "stream_url": STREAM.format(n=1000 + n) if kind is EventKind.WEBINAR else "",
                "broadcast_status": BroadcastStatus.PLANNED if kind is EventKind.WEBINAR else None,
                "sequence": 1 if status is not EventStatus.PLANNED else 0,
                "exdates": [],
                "confirmed_at": created if status is not EventStatus.PLANNED else None,
                "completed_at": ends if status is EventStatus.COMPLETED else None,
                "cancelled_at": min(starts - timedelta(days=1), now)
                if status is EventStatus.CANCELLED
                else None,
                "first_starts_at": starts,
                "last_ends_at": ends,
                "created_at": created,
                "updated_at": min(created + timedelta(days=2), now),
            }
        )
        plans.append((kind, audience, starts, ends, room_id))
    ids = insert_rows(Event, events, "uid")
    sessions, groups_rows, dept_rows, role_rows, exams, contests = [], [], [], [], [], []
    for event_id, row, (kind, audience, starts, ends, _room_id) in zip(
        ids, events, plans, strict=True
    ):
        sessions.append(
            {
                "event_id": event_id,
                "uid": f"{row['uid'].split('@')[0]}-1@{domain}",
                "position": 0,
                "label": "Д1" if kind is EventKind.DEMO_EXAM else "",
                "is_preparation": False,
                "starts_at": starts,
                "ends_at": ends,
                "room_id": None,
                "location": "",
            }
        )
        kind_of, value = audience
        if kind_of == "group":
            groups_rows.append({"event_id": event_id, "group_id": value})
        elif kind_of == "department":
            dept_rows.append({"event_id": event_id, "department_id": value})
        else:
            role_rows.append({"event_id": event_id, "role": value})
        if kind is EventKind.DEMO_EXAM:
            exams.append(
                {
                    "event_id": event_id,
                    "attestation": Attestation.GIA if rng.random() < 0.5 else Attestation.INTERIM,
                    "speciality_id": None,
                    "kod": "",
                    "level": ExamLevel.BASIC,
                    "site": "ЦПДЭ колледжа",
                }
            )
        elif kind in (EventKind.CHAMPIONSHIP, EventKind.ABILYMPICS):
            abil = kind is EventKind.ABILYMPICS
            contests.append(
                {
                    "event_id": event_id,
                    "stage": CompetitionStage.REGIONAL,
                    "competency": rng.choice(ABILYMPICS_COMPETENCIES if abil else COMPETENCIES),
                    "category": CompetitionCategory.STUDENTS if abil else CompetitionCategory.MAIN,
                    "site": "",
                }
            )
    session_ids = insert_rows(EventSession, sessions, "uid")
    insert_rows(
        EventOccurrence,
        [
            {
                "event_id": s["event_id"],
                "session_id": sid,
                "recurrence_at": None,
                "starts_at": s["starts_at"],
                "ends_at": s["ends_at"],
                "room_id": plan[4],
                "location": "",
                "is_moved": False,
                "is_cancelled": False,
                "reminded_at": s["starts_at"] - timedelta(days=1) if s["starts_at"] < now else None,
            }
            for s, sid, plan in zip(sessions, session_ids, plans, strict=True)
        ],
    )
    insert_rows(EventGroup, groups_rows)
    insert_rows(EventDepartment, dept_rows)
    insert_rows(EventAudienceRole, role_rows)
    insert_rows(DemoExam, exams)
    insert_rows(Competition, contests)
    return len(events)


def _audience(rng, kind: EventKind, group: GroupInfo, departments) -> tuple[str, object]:
    if kind is EventKind.WEBINAR and rng.random() < 0.2:
        return ("role", Role.TEACHER)
    if kind is EventKind.MEETING and rng.random() < 0.3:
        return ("department", rng.choice(departments)[1])
    return ("group", group.id)


def _title(rng, kind: EventKind, group: GroupInfo, audience) -> str:
    if kind is EventKind.OTHER:
        return f"Классный час «{rng.choice(TOPICS)}», группа {group.name}"
    if kind is EventKind.MEETING:
        if audience[0] == "department":
            return "Совещание отделения"
        return f"Родительское собрание группы {group.name}"
    if kind is EventKind.WEBINAR:
        return f"Вебинар «{rng.choice(WEBINARS)}»"
    if kind is EventKind.DEMO_EXAM:
        return f"Демонстрационный экзамен, группа {group.name}"
    if kind is EventKind.CHAMPIONSHIP:
        return f"«Профессионалы»: {rng.choice(COMPETENCIES)}"
    return f"«Абилимпикс»: {rng.choice(ABILYMPICS_COMPETENCIES)}"


def _status(rng, day: date, today: date) -> EventStatus:
    roll = rng.random()
    if roll < 0.05:
        return EventStatus.CANCELLED
    if day < today:
        return EventStatus.COMPLETED
    return EventStatus.PLANNED if roll < 0.3 else EventStatus.CONFIRMED
