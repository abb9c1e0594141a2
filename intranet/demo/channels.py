"""Demo channels: the college's system channels, an archive of published announcements, and
a few items in every state of the workflow for the named demo accounts.

The archive (10,000 items per scale unit: about ten a day for three years) goes in with one
executemany per table; the live examples go through the services, as people would make them.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, insert, select, text, update

from intranet import policy
from intranet.demo.context import DemoContext
from intranet.extensions import db
from intranet.models import (
    Announcement,
    AnnouncementMailing,
    AnnouncementStatus,
    Audience,
    Channel,
    Revision,
    Role,
    User,
)
from intranet.models.base import fold, utcnow
from intranet.services import markdown
from intranet.services.channels import drafting, manage, publication, reading, review

ARCHIVE_PER_SCALE = 10_000
ARCHIVE_YEARS = 3

OFFICIAL = "Официальный канал колледжа"
PARENTS = "Новости для родителей"
STUDENTS = "Студенческая жизнь"
STAFF = "Для преподавателей"

# (channel, title, body) for the archive; dates go into the titles.
ARCHIVE_TEXTS = {
    OFFICIAL: [
        (
            "Изменения в расписании на {day}",
            "В связи с проведением **демонстрационного "
            "экзамена** занятия 2–4 курсов переносятся. Актуальное расписание — на сайте колледжа "
            "и в электронном журнале.",
        ),
        (
            "День открытых дверей {day}",
            "Приглашаем абитуриентов и родителей на день открытых "
            "дверей.\n\n- экскурсия по мастерским;\n- встреча с преподавателями;\n- консультация "
            "приёмной комиссии.\n\nНачало в 11:00, актовый зал.",
        ),
        (
            "Итоги чемпионата «Профессионалы» ({day})",
            "Поздравляем студентов колледжа с "
            "призовыми местами в региональном этапе чемпионата «Профессионалы»! Трансляция "
            "награждения доступна в Сферуме.",
        ),
        (
            "Приказ о переходе на дистанционное обучение {day}",
            "На основании приказа директора "
            "занятия {day} проводятся дистанционно в Сферуме. Ссылки на звонки — в чатах групп.",
        ),
    ],
    PARENTS: [
        (
            "Родительское собрание {day}",
            "Уважаемые родители! Общее родительское собрание "
            "состоится в 18:00 в актовом зале и в видеозвонке Сферума.\n\n**Повестка:** итоги "
            "промежуточной аттестации, летняя практика.",
        ),
        (
            "Оплата питания до {day}",
            "Напоминаем о сроках оплаты питания. Квитанции выдают тьюторы групп.",
        ),
    ],
    STUDENTS: [
        (
            "Запись в секции до {day}",
            "Открыта запись в спортивные секции и кружки. "
            "Подробности — у тьюторов и в [группе колледжа](https://sferum.ru).",
        ),
        ("Студенческий совет {day}", "Заседание студенческого актива в 15:00, аудитория 214."),
        (
            "Олимпиада по информатике {day}",
            "Приглашаем студентов 1–2 курсов. Регистрация у "
            "преподавателей дисциплины «Основы алгоритмизации».",
        ),
    ],
    STAFF: [
        (
            "Педагогический совет {day}",
            "Заседание педагогического совета в 14:00.\n\n"
            "1. Итоги семестра.\n2. Подготовка к демонстрационному экзамену.\n3. Разное.",
        ),
        (
            "Сдача рабочих программ до {day}",
            "Просим сдать обновлённые рабочие программы методисту в электронном виде.",
        ),
    ],
}


def step(ctx: DemoContext) -> None:
    """Channels, the archive, and the workflow examples."""
    channels = _channels(ctx)
    archived = _archive(ctx, channels)
    live = _examples(ctx, channels)
    # The demo's history mails nobody: mark its audience mail as already done.
    db.session.execute(
        update(AnnouncementMailing)
        .where(AnnouncementMailing.done_at.is_(None))
        .values(done_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    ctx.count("Каналы", len(channels))
    ctx.count("Опубликованные объявления (архив)", archived)
    ctx.count("Объявления на разных этапах согласования", live)


def _channels(ctx: DemoContext) -> dict[str, Channel]:
    admin = ctx.accounts["admin"]
    specs = [
        (
            OFFICIAL,
            Audience.EVERYONE,
            [Role.DEPUTY, Role.HEAD],
            "Главные новости и приказы колледжа для всех.",
            "https://sferum.ru/?p=channels&c=1001",
        ),
        (
            PARENTS,
            Audience.PARENTS,
            [Role.DEPUTY],
            "Собрания, оплата, важное для семей.",
            "https://sferum.ru/?p=channels&c=1002",
        ),
        (
            STUDENTS,
            Audience.STUDENTS,
            [Role.DEPUTY],
            "Секции, конкурсы, студенческий совет.",
            "https://sferum.ru/?p=channels&c=1003",
        ),
        (STAFF, Audience.STAFF, [Role.DEPUTY], "Педсоветы, методическая работа, сроки.", ""),
    ]
    made = {}
    for name, audience, roles, description, url in specs:
        made[name] = manage.create_channel(
            manage.ChannelData(
                name=name,
                description=description,
                audience=audience,
                stages=[manage.StageSpec(role=r) for r in roles],
                sferum_url=url,
            ),
            actor=admin,
        )
    if ctx.demo_group is not None:
        name = f"Группа {ctx.demo_group.name}: объявления тьютора"
        made[name] = manage.create_channel(
            manage.ChannelData(
                name=name,
                description="Для студентов группы и их родителей.",
                audience=Audience.GROUPS,
                stages=[manage.StageSpec(role=Role.DEPUTY)],
                group_ids=[ctx.demo_group.id],
                group_students=True,
                group_parents=True,
            ),
            actor=admin,
        )
    db.session.flush()
    return made


def _archive(ctx: DemoContext, channels: dict[str, Channel]) -> int:
    count = ARCHIVE_PER_SCALE * ctx.scale
    now = utcnow()
    span = timedelta(days=365 * ARCHIVE_YEARS).total_seconds()
    moments = sorted(now - timedelta(seconds=ctx.rng.uniform(86_400, span)) for _ in range(count))
    authors = [ctx.accounts[k].id for k in ("admin", "head", "deputy")]
    authors += ctx.teacher_ids[:20] or [ctx.accounts["teacher"].id]
    weighted = [OFFICIAL] * 4 + [PARENTS] * 2 + [STUDENTS] * 3 + [STAFF] * 2
    start = (db.session.scalar(select(func.max(Announcement.id))) or 0) + 1
    rendered: dict[str, str] = {}
    announcements, revisions = [], []
    for n, moment in enumerate(moments):
        name = ctx.rng.choice(weighted)
        title, body = ctx.rng.choice(ARCHIVE_TEXTS[name])
        day = (moment + timedelta(days=ctx.rng.randint(1, 10))).strftime("%d.%m.%Y")
        title, body = title.format(day=day), body.format(day=day)
        if body not in rendered:
            rendered[body] = markdown.render(body)
        author = ctx.rng.choice(authors)
        announcements.append(
            {
                "id": start + n,
                "channel_id": channels[name].id,
                "author_id": author,
                "status": AnnouncementStatus.PUBLISHED,
                "version": 3,
                "current_no": 1,
                "live_no": 1,
                "open_review": None,
                "go_live_at": None,
                "expire_at": None,
                "is_mandatory": False,
                "published_at": moment,
                "is_urgent": False,
                "cancel_reason": "",
                "sferum_url": "",
                "created_at": moment - timedelta(hours=ctx.rng.randint(2, 72)),
                "updated_at": moment,
            }
        )
        revisions.append(
            {
                "announcement_id": start + n,
                "number": 1,
                "title": title,
                "body": body,
                "body_html": rendered[body],
                "search_key": fold(f"{title}\n{body}"),
                "is_mandatory": False,
                "author_id": author,
                "created_at": moment - timedelta(hours=2),
            }
        )
    # Core inserts on the tables: the ORM's bulk path would double the time for 20,000 rows.
    for chunk in range(0, count, 2000):
        db.session.execute(insert(Announcement.__table__), announcements[chunk : chunk + 2000])
        db.session.execute(insert(Revision.__table__), revisions[chunk : chunk + 2000])
    if db.engine.dialect.name == "postgresql":
        db.session.execute(
            text(
                "SELECT setval(pg_get_serial_sequence('announcement', 'id'), "
                "(SELECT max(id) FROM announcement))"
            )
        )
    return count


def _examples(ctx: DemoContext, channels: dict[str, Channel]) -> int:
    """Items in each state, so every demo account finds something to do."""
    a = ctx.accounts
    teacher, deputy, head, admin, tutor = (
        a["teacher"],
        a["deputy"],
        a["head"],
        a["admin"],
        a["tutor"],
    )
    official, staff = channels[OFFICIAL], channels[STAFF]

    def write(author, channel, title, body, **settings):
        return drafting.create(
            channel, drafting.Draft(title=title, body=body, **settings), actor=author
        )

    made = 0
    write(
        teacher,
        channels[STUDENTS],
        "Олимпиада по программированию",
        "Черновик: приглашаем студентов 2 курса. *Дату уточню.*",
    )
    made += 1
    # In the deputy's queue (stage 1 of the official channel).
    item = write(
        teacher,
        official,
        "День открытых дверей",
        "Приглашаем абитуриентов **в субботу в 11:00**. Экскурсия по мастерским.",
    )
    review.submit(item, actor=teacher)
    made += 1
    # Sent back to the teacher with a suggestion.
    item = write(
        teacher, official, "Экскурсия на предприятие", "Студенты 3 курса едут на экскурсию."
    )
    review.submit(item, actor=teacher)
    review.request_changes(
        item,
        actor=deputy,
        revision_no=1,
        comment="Укажите дату, время и место сбора.",
        suggested_text="Студенты 3 курса едут на экскурсию в четверг; сбор в 9:00 у главного "
        "входа.",
    )
    made += 1
    # In the head's queue (stage 2).
    item = write(
        deputy,
        official,
        "График демонстрационного экзамена",
        "Демонстрационный экзамен по специальности 09.02.07 пройдёт по графику "
        "в приложении к приказу.",
    )
    review.submit(item, actor=deputy)
    _approve_stage(item, prefer=(deputy,))  # another deputy: the author cannot
    made += 1
    # The head's own item: the head's stage passes to the admins.
    item = write(
        head,
        official,
        "Поздравление с Днём учителя",
        "Дорогие коллеги! Поздравляю вас с профессиональным праздником.",
    )
    review.submit(item, actor=head)
    review.approve(item, actor=deputy, revision_no=1)
    made += 1
    # Approved and scheduled for tomorrow morning.
    tomorrow = (utcnow() + timedelta(days=1)).replace(hour=6, minute=0, second=0, microsecond=0)
    item = write(
        deputy,
        channels[PARENTS],
        "Родительское собрание в пятницу",
        "Собрание начнётся в 18:00 в актовом зале.",
        go_live_at=tomorrow,
    )
    review.submit(item, actor=deputy)
    _approve_stage(item, prefer=(deputy,))
    made += 1
    # Mandatory for staff: the tutor has acknowledged it, others not yet.
    item = write(
        deputy,
        staff,
        "Педсовет: подготовка к аккредитации",
        "Коллеги, педсовет в среду в 14:00. Ознакомьтесь с повесткой.",
        is_mandatory=True,
    )
    review.submit(item, actor=deputy)
    _approve_stage(item, prefer=(deputy,))
    reading.acknowledge(item, actor=tutor)
    made += 1
    # Published, then corrected.
    item = write(
        teacher, official, "Консультации перед экзаменом", "Консультации проходят во вторник."
    )
    review.submit(item, actor=teacher)
    review.approve(item, actor=deputy, revision_no=1)
    review.approve(item, actor=head, revision_no=1)
    drafting.save(
        item,
        drafting.Draft(
            title="Консультации перед экзаменом", body="Консультации проходят **в среду** в 15:00."
        ),
        actor=teacher,
        base_no=1,
        submit=True,
    )
    review.approve(item, actor=deputy, revision_no=2)
    review.approve(item, actor=head, revision_no=2)
    made += 1
    # Published, then cancelled.
    item = write(admin, official, "Концерт ко Дню студента", "Концерт в 16:00 в актовом зале.")
    review.submit(item, actor=admin)
    review.approve(item, actor=deputy, revision_no=1)
    review.approve(item, actor=head, revision_no=1)
    publication.cancel(item, actor=admin, reason="Концерт переносится, новая дата — позже.")
    made += 1
    # Published urgently by the head; the review afterwards is under way.
    item = write(
        head,
        official,
        "Отмена занятий из-за непогоды",
        "Завтра занятия проводятся **дистанционно** в Сферуме по расписанию.",
    )
    publication.publish_urgently(item, actor=head)
    made += 1
    db.session.flush()
    return made


def _approve_stage(item: Announcement, prefer: tuple = ()) -> None:
    """Approve the current stage as someone who may: a named demo account if possible."""
    round_ = policy.open_round(item)
    allowed = policy.stage_approvers(item, round_).user_ids
    chosen = next((p.id for p in prefer if p.id in allowed), None) or min(allowed)
    review.approve(item, actor=db.session.get(User, chosen), revision_no=round_.revision_no)
