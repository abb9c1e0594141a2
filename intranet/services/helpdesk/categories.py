"""Ticket categories: their names, the questions each one asks, and who handles them."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from flask_babel import force_locale, get_locale
from flask_babel import lazy_gettext as _l

from intranet.models.helpdesk import Category, Priority, TicketStatus


@dataclass(frozen=True)
class Question:
    """One extra question of a category's form; `choices` makes it a select."""

    key: str
    label: object  # a lazy string
    choices: tuple[tuple[str, object], ...] = ()
    kind: str = "text"  # text, select, datetime
    hint: object = ""


PLATFORM = Question(
    "platform",
    _l("Platform"),
    (("vk", _l("VK Messenger (education profile)")), ("max", _l("MAX"))),
    kind="select",
)
DEVICE = Question(
    "device",
    _l("Device"),
    (
        ("android", _l("Android phone or tablet")),
        ("ios", _l("iPhone or iPad")),
        ("windows", _l("Windows computer (app)")),
        ("macos", _l("Mac (app)")),
        ("browser", _l("Web version in a browser")),
        ("other", _l("Other")),
    ),
    kind="select",
)
APP_VERSION = Question(
    "app_version",
    _l("App version"),
    hint=_l("In the app: Settings → About. For the web version, the browser's name."),
)
GROUP = Question("group", _l("Study group"), hint=_l("For example, ИСП-24-1."))
HAPPENED_AT = Question("happened_at", _l("When did it happen?"), kind="datetime")
ERROR_TEXT = Question(
    "error_text", _l("Error message"), hint=_l("Copy the text of the error, if there was one.")
)
CHAT_NAME = Question("chat_name", _l("Chat name"))
REG_METHOD = Question(
    "reg_method",
    _l("How do you register?"),
    (
        ("phone", _l("By phone number and code")),
        ("vkid", _l("VK ID")),
        ("gosuslugi", _l("Госуслуги")),
        ("invite", _l("By the college's invitation link")),
    ),
    kind="select",
)
EXPECTED_ROLE = Question(
    "expected_role",
    _l("Which role should you have?"),
    (
        ("student", _l("Student")),
        ("parent", _l("Parent")),
        ("teacher", _l("Teacher")),
        ("tutor", _l("Tutor")),
        ("admin", _l("Administrator")),
    ),
    kind="select",
)

QUESTIONS: dict[str, Question] = {
    q.key: q
    for q in (
        PLATFORM,
        DEVICE,
        APP_VERSION,
        GROUP,
        HAPPENED_AT,
        ERROR_TEXT,
        CHAT_NAME,
        REG_METHOD,
        EXPECTED_ROLE,
    )
}


@dataclass(frozen=True)
class CategoryInfo:
    category: Category
    label: object
    hint: object
    questions: tuple[Question, ...]
    vendor_handled: bool = True  # False: the college itself fixes it; never forwarded


CATEGORIES: dict[Category, CategoryInfo] = {
    info.category: info
    for info in (
        CategoryInfo(
            Category.LOGIN,
            _l("Signing in and confirmation codes"),
            _l("The code does not arrive, the app does not let you in, the account is blocked."),
            (PLATFORM, DEVICE, APP_VERSION, HAPPENED_AT, ERROR_TEXT),
        ),
        CategoryInfo(
            Category.REGISTRATION,
            _l("Registration via VK ID or Госуслуги"),
            _l("Cannot create the education profile or link VK ID or Госуслуги."),
            (PLATFORM, REG_METHOD, DEVICE, HAPPENED_AT, ERROR_TEXT),
        ),
        CategoryInfo(
            Category.WRONG_ROLE,
            _l("Wrong role or group"),
            _l("You are shown as a student instead of a parent, or in someone else's group."),
            (PLATFORM, EXPECTED_ROLE, GROUP),
            vendor_handled=False,
        ),
        CategoryInfo(
            Category.PARENT_JOIN,
            _l("A parent cannot join"),
            _l("The invitation link does not work or the child's group is not offered."),
            (PLATFORM, DEVICE, GROUP, HAPPENED_AT, ERROR_TEXT),
        ),
        CategoryInfo(
            Category.CHAT_ACCESS,
            _l("A chat is not visible or read-only"),
            _l("The group's or the discipline's chat is missing, or you cannot write in it."),
            (PLATFORM, DEVICE, GROUP, CHAT_NAME, HAPPENED_AT),
        ),
        CategoryInfo(
            Category.TEACHER_STATUS,
            _l("Teacher status not confirmed"),
            _l("You joined as a teacher but the status «преподаватель» is still not confirmed."),
            (PLATFORM, HAPPENED_AT),
            vendor_handled=False,
        ),
        CategoryInfo(
            Category.CALLS,
            _l("Calls and video lessons"),
            _l("No sound or picture, the call drops, the screen cannot be shared."),
            (PLATFORM, DEVICE, APP_VERSION, CHAT_NAME, HAPPENED_AT),
        ),
        CategoryInfo(
            Category.FILES,
            _l("Files"),
            _l("A file does not upload, download or open."),
            (PLATFORM, DEVICE, APP_VERSION, HAPPENED_AT, ERROR_TEXT),
        ),
        CategoryInfo(
            Category.MAX_MOVE,
            _l("Moving to MAX"),
            _l("Chats, contacts or the education profile did not move to MAX."),
            (DEVICE, APP_VERSION, HAPPENED_AT, ERROR_TEXT),
        ),
        CategoryInfo(
            Category.JOURNAL,
            _l("Electronic journal"),
            _l("Marks, homework or the timetable from the journal are missing or wrong."),
            (PLATFORM, GROUP, HAPPENED_AT, ERROR_TEXT),
        ),
        CategoryInfo(
            Category.OTHER,
            _l("Something else"),
            _l("Anything not listed above."),
            (PLATFORM, DEVICE, APP_VERSION, HAPPENED_AT),
        ),
    )
}

VENDOR_CATEGORIES = frozenset(c for c, info in CATEGORIES.items() if info.vendor_handled)

CATEGORY_LABELS = {c: info.label for c, info in CATEGORIES.items()}

PRIORITY_LABELS = {
    Priority.LOW: _l("low"),
    Priority.NORMAL: _l("normal"),
    Priority.HIGH: _l("high"),
    Priority.URGENT: _l("critical"),
}

STATUS_LABELS = {
    TicketStatus.NEW: _l("new"),
    TicketStatus.OPEN: _l("in progress"),
    TicketStatus.WAITING_REQUESTER: _l("waiting for the requester"),
    TicketStatus.ESCALATED: _l("forwarded to the vendor"),
    TicketStatus.WAITING_VENDOR: _l("waiting for the vendor"),
    TicketStatus.RESOLVED: _l("resolved"),
    TicketStatus.CLOSED: _l("closed"),
}


@functools.lru_cache(maxsize=512)
def _label(table: str, value: str, locale: str) -> str:
    labels = {"category": CATEGORY_LABELS, "priority": PRIORITY_LABELS, "status": STATUS_LABELS}
    enum = {"category": Category, "priority": Priority, "status": TicketStatus}[table]
    with force_locale(locale):
        return str(labels[table][enum(value)])


def _locale() -> str:
    """The language being rendered now (force_locale included: mail, the vendor's forward)."""
    return str(get_locale() or "ru")


# A queue page shows a few hundred labels: each is translated once per language, not per use.
# Bootstrap badge classes (the queue and the badges of _macros.html use the same ones).
STATUS_CSS = {
    "new": "text-bg-primary",
    "open": "text-bg-info",
    "waiting_requester": "text-bg-secondary",
    "escalated": "text-bg-warning",
    "waiting_vendor": "text-bg-warning",
    "resolved": "text-bg-success",
    "closed": "text-bg-light border",
}
PRIORITY_CSS = {
    "low": "text-bg-light border",
    "normal": "text-bg-light border",
    "high": "text-bg-warning",
    "urgent": "text-bg-danger",
}


def category_label(category: Category | str | None) -> str:
    return _label("category", Category(category).value, _locale()) if category else ""


def priority_label(priority: Priority | str) -> str:
    return _label("priority", Priority(priority).value, _locale())


def status_label(status: TicketStatus | str) -> str:
    return _label("status", TicketStatus(status).value, _locale())


def labels() -> dict[str, dict[str, str]]:
    """Every category, priority and status label in the current language, by value: a list
    page looks them up in a dict instead of translating per row."""
    locale = _locale()
    return {
        table: {m.value: _label(table, m.value, locale) for m in enum}
        for table, enum in (
            ("category", Category),
            ("priority", Priority),
            ("status", TicketStatus),
        )
    }


def answer_label(key: str, value: str) -> str:
    """A stored answer as the person chose it (the label of a choice, else the text)."""
    question = QUESTIONS.get(key)
    if question is None:
        return value
    for choice, label in question.choices:
        if choice == value:
            return str(label)
    return value


def question_label(key: str) -> str:
    question = QUESTIONS.get(key)
    return str(question.label) if question else key
