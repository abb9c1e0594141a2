"""Demo help desk: help articles for every category, canned replies, an archive of 20,000
tickets per scale unit (one executemany per table), and live examples made through the
services: the named accounts' tickets in every state, a public-form ticket, an incident, an
escalation with its vendor case, and a message that matched no ticket.

Nothing in the demo leaves for the vendor: the forward's outbox row is marked sent.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select, update
from werkzeug.datastructures import FileStorage

from intranet.demo.bulk import insert_rows
from intranet.demo.context import DemoContext
from intranet.extensions import db
from intranet.models import (
    OutboxMessage,
    OutboxStatus,
    Ticket,
    TicketCounter,
    TicketMessage,
    User,
)
from intranet.models.base import fold, utcnow
from intranet.models.helpdesk import (
    Category,
    MessageKind,
    MessageSource,
    Priority,
    TicketSource,
    TicketStatus,
)
from intranet.services.helpdesk import escalation, inbound, incidents, knowledge, sla, tickets

ARCHIVE_PER_SCALE = 20_000
ARCHIVE_DAYS = 730
HOUR = 3600

# (category, title, Markdown) — short answers to what Sferum users hit most.
ARTICLES = [
    (Category.LOGIN, "Не приходит код подтверждения", (
        "1. Проверьте, что номер телефона введён полностью, начиная с +7.\n"
        "2. Подождите 2–3 минуты: код приходит не сразу. Повторный запрос — не чаще раза в "
        "минуту.\n"
        "3. Проверьте, не заблокированы ли СМС с коротких номеров (настройки оператора, "
        "«чёрный список»).\n"
        "4. Попробуйте войти через приложение VK Мессенджер или MAX: код может прийти "
        "push-уведомлением.\n\n"
        "Если код так и не пришёл, напишите нам: укажите устройство и время попытки."
    )),
    (Category.LOGIN, "Учётная запись заблокирована", (
        "После нескольких неверных кодов вход блокируется на время. Подождите час и "
        "попробуйте снова. Никому не сообщайте коды из СМС — сотрудники колледжа и поддержки "
        "их никогда не спрашивают."
    )),
    (Category.REGISTRATION, "Как создать учебный профиль через Госуслуги", (
        "1. Откройте ссылку-приглашение колледжа.\n"
        "2. Выберите «Войти через Госуслуги» и подтвердите доступ к данным.\n"
        "3. Проверьте ФИО и дату рождения: они должны совпадать с данными в колледже.\n\n"
        "Если Госуслуги не подтверждают учётную запись, проверьте, что она **подтверждённая** "
        "(не упрощённая)."
    )),
    (Category.REGISTRATION, "VK ID не привязывается к учебному профилю", (
        "Учебный профиль создаётся отдельно от личного. Выйдите из личного профиля в "
        "приложении, откройте ссылку-приглашение заново и войдите по номеру телефона, "
        "указанному в колледже."
    )),
    (Category.WRONG_ROLE, "Я не в той группе или с другой ролью", (
        "Роли и группы в Сферуме назначают администраторы платформы колледжа по данным "
        "учебной части. Напишите нам номер группы и ФИО — мы исправим за один рабочий день."
    )),
    (Category.PARENT_JOIN, "Как родителю присоединиться к группе ребёнка", (
        "Родитель присоединяется по ссылке-приглашению от тьютора. Ссылка действует ограниченное "
        "время; если она устарела, попросите у тьютора новую. В профиле укажите ребёнка — "
        "тьютор подтвердит связь."
    )),
    (Category.CHAT_ACCESS, "Не вижу чат группы", (
        "Чат группы появляется после подтверждения заявки тьютором. Обновите приложение и "
        "проверьте раздел «Учебный профиль». Если вы можете только читать, это настройка "
        "чата: напишите тьютору."
    )),
    (Category.TEACHER_STATUS, "Как подтверждается статус «преподаватель»", (
        "После присоединения по ссылке администратор платформы сверяет вас со списком "
        "педагогических работников и подтверждает статус. Обычно это занимает до двух рабочих "
        "дней. Если прошло больше — напишите нам."
    )),
    (Category.CALLS, "Нет звука или изображения в звонке", (
        "- Разрешите приложению доступ к микрофону и камере в настройках телефона.\n"
        "- Закройте другие приложения, которые используют камеру.\n"
        "- В веб-версии разрешите доступ в адресной строке браузера.\n"
        "- Проверьте скорость интернета: для видео нужно не меньше 1 Мбит/с."
    )),
    (Category.FILES, "Файл не загружается", (
        "Размер файла в чате — до 4 ГБ, но в мобильном интернете загрузка может прерываться. "
        "Попробуйте через Wi-Fi и обновите приложение."
    )),
    (Category.MAX_MOVE, "Переход учебного профиля в MAX", (
        "Учебный профиль переносится в мессенджер MAX вместе с чатами. Установите MAX, войдите "
        "по тому же номеру телефона и откройте раздел «Учёба». Если чаты не появились, "
        "подождите сутки: перенос идёт постепенно."
    )),
    (Category.JOURNAL, "Оценки из электронного журнала не видны", (
        "Оценки появляются после того, как преподаватель сохранит их в журнале; обмен идёт раз "
        "в несколько часов. Если оценки не видны дольше суток, напишите нам номер группы."
    )),
    (None, "Как написать в поддержку, чтобы вам ответили быстрее", (
        "Укажите устройство, версию приложения, время, когда случилась проблема, и приложите "
        "снимок экрана. Никогда не присылайте пароли и коды из СМС."
    )),
]  # fmt: skip

CANNED = [
    ("Уточнить устройство и версию", (
        "Здравствуйте! Чтобы разобраться, сообщите, пожалуйста, модель телефона или компьютера "
        "и версию приложения (Настройки → О приложении), а также пришлите снимок экрана с "
        "ошибкой."
    )),
    ("Статус преподавателя подтверждён", (
        "Здравствуйте! Мы подтвердили ваш статус «преподаватель». Перезапустите приложение — "
        "учебные чаты станут доступны."
    )),
    ("Группа исправлена", (
        "Здравствуйте! Мы перевели вас в нужную группу. Изменения появятся в приложении в "
        "течение часа."
    )),
    ("Передали в поддержку Сферума", (
        "Здравствуйте! Проблема на стороне платформы, мы передали её в техническую поддержку "
        "Сферума и напишем, как только получим ответ."
    )),
    ("Новая ссылка-приглашение", (
        "Здравствуйте! Отправили тьютору новую ссылку-приглашение, она действует 7 дней."
    )),
]  # fmt: skip

# (category, subject, description) for the archive.
ARCHIVE_SUBJECTS = [
    (Category.LOGIN, "Не приходит код", "Не приходит СМС с кодом при входе."),
    (Category.LOGIN, "Не могу войти", "Приложение пишет «Ошибка авторизации»."),
    (Category.REGISTRATION, "Ошибка при входе через Госуслуги", "После Госуслуг пустой экран."),
    (Category.WRONG_ROLE, "Не та группа", "В Сферуме я в другой группе."),
    (Category.PARENT_JOIN, "Родитель не может присоединиться", "Ссылка пишет, что устарела."),
    (Category.CHAT_ACCESS, "Нет чата группы", "Не вижу чат своей группы."),
    (Category.CHAT_ACCESS, "Не могу писать в чат", "В чате дисциплины только чтение."),
    (Category.TEACHER_STATUS, "Не подтверждён статус", "Жду подтверждения статуса неделю."),
    (Category.CALLS, "Пропадает звук", "На уроке пропадает звук у студентов."),
    (Category.FILES, "Не открывается файл", "PDF с заданием не открывается на телефоне."),
    (Category.MAX_MOVE, "Чаты не перенеслись в MAX", "После установки MAX чатов нет."),
    (Category.JOURNAL, "Нет оценок", "Оценки за неделю не видны."),
    (Category.OTHER, "Вопрос по Сферуму", "Как поменять фотографию профиля?"),
]
ANSWERS = [
    "Исправили, проверьте, пожалуйста.",
    "Перезапустите приложение — теперь должно работать.",
    "Обновите приложение до последней версии.",
    "Передали тьютору, он пришлёт новую ссылку.",
]
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


def step(ctx: DemoContext) -> None:
    """Articles, canned replies, the ticket archive and the live examples."""
    admin = ctx.accounts["admin"]
    for position, (category, title, body) in enumerate(ARTICLES):
        knowledge.save_article(
            None,
            actor=admin,
            title=title,
            body=body,
            category=category,
            is_published=True,
            position=position,
        )
    for title, body in CANNED:
        knowledge.save_canned(None, actor=admin, title=title, body=body)
    archived = _archive(ctx)
    live = _examples(ctx)
    db.session.flush()
    ctx.count("Справочные статьи поддержки", len(ARTICLES))
    ctx.count("Обращения в поддержку (архив)", archived)
    ctx.count("Обращения в поддержку на разных этапах", live)


def _requesters(ctx: DemoContext, limit: int = 3000) -> list[tuple[int, str, str | None]]:
    ids = [sid for group in ctx.groups for sid in group.student_ids]
    ctx.rng.shuffle(ids)
    chosen = ids[:limit]
    rows = db.session.execute(
        select(User.id, User.last_name, User.first_name, User.email).where(User.id.in_(chosen))
    ).all()
    return [(r.id, f"{r.last_name} {r.first_name}", r.email) for r in rows]


def _working_moment(ctx: DemoContext, day) -> datetime:
    hour = ctx.rng.choice([9, 10, 11, 12, 13, 14, 15, 16, 17, 19, 21])
    local = datetime.combine(
        day, time(hour, ctx.rng.randint(0, 59)), tzinfo=sla.current_calendar().zone
    )
    return local.astimezone(UTC)


def _archive(ctx: DemoContext) -> int:
    """Past tickets, mostly closed; the last two weeks' still in the queue."""
    total = ARCHIVE_PER_SCALE * ctx.scale
    people = _requesters(ctx)
    if not people:
        return 0
    cal = sla.current_calendar()
    now = utcnow()
    admin_ids = [ctx.accounts["admin"].id]
    drafts = []
    for _ in range(total):
        days_ago = int(ctx.rng.triangular(0, ARCHIVE_DAYS, 30))
        created = _working_moment(ctx, ctx.today - timedelta(days=days_ago))
        if created > now:
            created = now - timedelta(minutes=ctx.rng.randint(5, 600))
        drafts.append((created, days_ago))
    drafts.sort()
    counters: dict[int, int] = {}
    ticket_rows, plan = [], []
    for created, days_ago in drafts:
        year = created.astimezone(cal.zone).year
        seq = counters[year] = counters.get(year, 0) + 1
        category, subject, text = ctx.rng.choice(ARCHIVE_SUBJECTS)
        requester_id, name, email = ctx.rng.choice(people)
        priority = ctx.rng.choices(list(Priority), weights=(10, 70, 15, 5))[0]
        first, resolution = sla.targets(priority)
        recent = days_ago <= 14
        status = (
            ctx.rng.choice([TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.WAITING_REQUESTER])
            if recent and ctx.rng.random() < 0.6
            else TicketStatus.RESOLVED
            if days_ago <= 7
            else TicketStatus.CLOSED
        )
        answered = status is not TicketStatus.NEW
        fr_at = cal.add(created, ctx.rng.uniform(0.2, 1.6) * first) if answered else None
        if fr_at is not None and fr_at > now:
            fr_at, answered = None, False
            status = TicketStatus.NEW
        done = status in (TicketStatus.RESOLVED, TicketStatus.CLOSED)
        resolved_at = cal.add(fr_at, ctx.rng.uniform(0.1, 1.3) * resolution) if done else None
        if resolved_at is not None and resolved_at > now:
            resolved_at = now
        fr_due, res_due = cal.add(created, first), cal.add(created, resolution)
        fr_secs = cal.between(created, fr_at) if fr_at else None
        res_secs = cal.between(created, resolved_at) if resolved_at else None
        paused = status is TicketStatus.WAITING_REQUESTER
        due = None if done or paused else (fr_due if fr_at is None else res_due)
        ticket_rows.append(
            {
                "number": f"HD-{year}-{seq:05d}",
                "year": year,
                "seq": seq,
                "subject": subject,
                "subject_key": fold(subject),
                "category": category,
                "priority": priority,
                "status": status,
                "source": TicketSource.WEB,
                "platform": None,
                "details": {"platform": ctx.rng.choice(["vk", "max"])},
                "requester_id": requester_id,
                "for_student_id": None,
                "contact_name": name,
                "contact_email": email,
                "contact_phone": None,
                "consent_personal_data": True,
                "consent_vendor": ctx.rng.random() < 0.4,
                "consent_at": created,
                "public_token_version": 0,
                "assignee_id": ctx.rng.choice(admin_ids) if answered else None,
                "incident_id": None,
                "created_at": created,
                "updated_at": resolved_at or fr_at or created,
                "last_activity_at": resolved_at or fr_at or created,
                "first_response_due_at": fr_due,
                "resolution_due_at": res_due,
                "due_at": due,
                "first_response_at": fr_at,
                "resolved_at": resolved_at,
                "closed_at": resolved_at + timedelta(days=7)
                if status is TicketStatus.CLOSED
                else None,
                "sla_paused_at": fr_at if paused else None,
                "sla_paused_seconds": 0,
                "first_response_seconds": fr_secs,
                "resolution_seconds": res_secs,
                "first_response_breached": bool(fr_secs and fr_secs > first),
                "resolution_breached": bool(res_secs and res_secs > resolution),
                "sla_alert": "none",
                "escalation_proposed_at": None,
            }
        )
        plan.append((requester_id, name, text, created, fr_at))
    ids = insert_rows(Ticket, ticket_rows, "number")
    messages = []
    for ticket_id, (requester_id, name, text, created, fr_at) in zip(ids, plan, strict=True):
        messages.append(
            {
                "ticket_id": ticket_id,
                "kind": MessageKind.PUBLIC,
                "source": MessageSource.WEB,
                "author_id": requester_id,
                "author_label": name,
                "from_requester": True,
                "body": text,
                "created_at": created,
            }
        )
        if fr_at is not None:
            messages.append(
                {
                    "ticket_id": ticket_id,
                    "kind": MessageKind.PUBLIC,
                    "source": MessageSource.WEB,
                    "author_id": admin_ids[0],
                    "author_label": ctx.accounts["admin"].full_name,
                    "from_requester": False,
                    "body": ctx.rng.choice(ANSWERS),
                    "created_at": fr_at,
                }
            )
    for start in range(0, len(messages), 5000):
        insert_rows(TicketMessage, messages[start : start + 5000])
    insert_rows(TicketCounter, [{"year": y, "last": n} for y, n in counters.items()])
    return len(ids)


def _new(category: Category, subject: str, text: str, **fields) -> tickets.NewTicket:
    return tickets.NewTicket(category=category, subject=subject, description=text, **fields)


def _examples(ctx: DemoContext) -> int:
    """The named accounts' tickets, made through the services as people would."""
    admin, student, parent = ctx.accounts["admin"], ctx.accounts["student"], ctx.accounts["parent"]
    teacher = ctx.accounts["teacher"]
    now = utcnow()
    made = []

    code = tickets.file_ticket(
        _new(
            Category.LOGIN,
            "Не приходит код подтверждения",
            "Со вчерашнего вечера не приходит СМС с кодом, войти в Сферум не могу.",
            details={"platform": "vk", "device": "android", "app_version": "25.4.1"},
            files=[FileStorage(io.BytesIO(PNG), filename="screenshot.png")],
        ),
        requester=student,
        now=now - timedelta(hours=30),
    )
    tickets.claim(code, actor=admin, now=now - timedelta(hours=29))
    tickets.staff_reply(
        code,
        actor=admin,
        body=CANNED[0][1],
        then=TicketStatus.WAITING_REQUESTER,
        now=now - timedelta(hours=28),
    )
    made.append(code)

    children = tickets.children_of(parent)
    join = tickets.file_ticket(
        _new(
            Category.PARENT_JOIN,
            "Не могу присоединиться к группе ребёнка",
            "Ссылка от тьютора открывается, но пишет «Приглашение недействительно».",
            details={"platform": "vk", "device": "ios"},
            for_student_id=children[0].id if children else None,
        ),
        requester=parent,
        now=now - timedelta(hours=3),
    )
    made.append(join)

    status = tickets.file_ticket(
        _new(
            Category.TEACHER_STATUS,
            "Не подтверждён статус преподавателя",
            "Присоединилась по ссылке неделю назад, статус всё ещё не подтверждён.",
            details={"platform": "max"},
        ),
        requester=teacher,
        now=now - timedelta(days=6),
    )
    tickets.staff_reply(
        status,
        actor=admin,
        body=CANNED[1][1],
        then=TicketStatus.RESOLVED,
        now=now - timedelta(days=5, hours=20),
    )
    made.append(status)

    # Calls fail for several people: an incident, and one ticket forwarded to the vendor.
    outage = incidents.save_incident(
        None,
        actor=admin,
        title="Обрываются звонки в VK Мессенджере",
        description="С утра у нескольких групп видеоуроки обрываются через минуту.",
        show_banner=False,
        banner_text="Звонки в Сферуме обрываются; мы передали проблему в поддержку.",
    )
    calls = tickets.file_ticket(
        _new(
            Category.CALLS,
            "Видеоурок обрывается через минуту",
            "На уроке ОП.01 звонок обрывается у всей группы через минуту после начала.",
            details={"platform": "vk", "device": "windows", "app_version": "5.2.3"},
            consent_vendor=True,
            files=[FileStorage(io.BytesIO(PNG), filename="звонок.png")],
        ),
        requester=student,
        now=now - timedelta(days=2),
    )
    tickets.claim(calls, actor=admin, now=now - timedelta(days=2) + timedelta(minutes=20))
    steps = "Проверили на трёх устройствах и двух сетях, переустановили приложение."
    shown = escalation.preview(calls, actor=admin, steps_taken=steps, include_personal=True)
    case = escalation.escalate(
        calls,
        actor=admin,
        steps_taken=steps,
        include_personal=True,
        digest=shown.digest,
        now=now - timedelta(days=2) + timedelta(hours=1),
    )
    sent_at = now - timedelta(days=2) + timedelta(hours=1, minutes=1)
    db.session.execute(  # the demo never mails the real vendor
        update(OutboxMessage)
        .where(OutboxMessage.message_id == case.message_id)
        .values(status=OutboxStatus.SENT, sent_at=sent_at, attempts=1)
        .execution_options(synchronize_session=False)
    )
    escalation.mark_delivered(now - timedelta(days=2) + timedelta(hours=1, minutes=2))
    others = [
        tickets.file_ticket(
            _new(
                Category.CALLS,
                "Обрывается звонок",
                "Звонок на паре обрывается, переподключение не помогает.",
                details={"platform": "vk"},
            ),
            requester=db.session.get(User, sid),
            now=now - timedelta(days=2, hours=-n),
        )
        for n, sid in enumerate(ctx.demo_group.student_ids[:3] if ctx.demo_group else [])
    ]
    incidents.link_tickets(outage, [calls.number, *[t.number for t in others]], actor=admin)
    made += [calls, *others]

    public = tickets.file_ticket(
        _new(
            Category.REGISTRATION,
            "Не могу зарегистрироваться через Госуслуги",
            "Бабушка студента, учётной записи в интранете нет. После Госуслуг белый экран.",
            details={"platform": "max", "reg_method": "gosuslugi"},
            contact=tickets.Contact(name="Петрова Галина Ивановна", phone="+7 912 000-11-22"),
            consent_personal_data=True,
        ),
        requester=None,
        now=now - timedelta(hours=5),
    )
    made.append(public)

    stray = (
        "From: Родитель <parent.unknown@example.com>\r\n"
        "To: helpdesk@college.local\r\n"
        "Subject: Не работает Сферум\r\n"
        "Message-ID: <demo-stray@example.com>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "Здравствуйте, у сына не открывается Сферум, что делать?\r\n"
    ).encode()
    inbound.ingest(stray, now=now - timedelta(hours=2))
    return len(made)
