"""Human names for the events' enums, in the user's language."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from intranet.i18n import local_zone
from intranet.models.events import (
    Attestation,
    BroadcastStatus,
    CompetitionCategory,
    CompetitionStage,
    Event,
    EventKind,
    EventStatus,
    ExamLevel,
    FeedScope,
    PersonRole,
)
from intranet.services.events.recurrence import parse_rule

KIND_LABELS = {
    EventKind.DEMO_EXAM: _l("Demonstration exam"),
    EventKind.CHAMPIONSHIP: _l("«Professionals» championship"),
    EventKind.ABILYMPICS: _l("«Abilympics» championship"),
    EventKind.WEBINAR: _l("Webinar or seminar"),
    EventKind.MEETING: _l("Meeting"),
    EventKind.OTHER: _l("Other event"),
}

STATUS_LABELS = {
    EventStatus.PLANNED: _l("planned"),
    EventStatus.CONFIRMED: _l("confirmed"),
    EventStatus.COMPLETED: _l("completed"),
    EventStatus.CANCELLED: _l("cancelled"),
}

BROADCAST_LABELS = {
    BroadcastStatus.PLANNED: _l("broadcast planned"),
    BroadcastStatus.LIVE: _l("on air"),
    BroadcastStatus.ENDED: _l("broadcast ended"),
}

ATTESTATION_LABELS = {
    Attestation.GIA: _l("state final attestation (GIA)"),
    Attestation.INTERIM: _l("interim attestation"),
}

LEVEL_LABELS = {
    ExamLevel.BASIC: _l("basic level"),
    ExamLevel.PROFILE: _l("profile level"),
}

STAGE_LABELS = {
    CompetitionStage.REGIONAL: _l("regional stage"),
    CompetitionStage.INTERREGIONAL: _l("interregional stage"),
    CompetitionStage.FINAL: _l("final"),
}

CATEGORY_LABELS = {
    CompetitionCategory.MAIN: _l("main category"),
    CompetitionCategory.JUNIORS: _l("juniors"),
    CompetitionCategory.SCHOOLCHILDREN: _l("schoolchildren"),
    CompetitionCategory.STUDENTS: _l("students"),
    CompetitionCategory.SPECIALISTS: _l("specialists"),
}

PERSON_ROLE_LABELS = {
    PersonRole.CHIEF_EXPERT: _l("chief expert"),
    PersonRole.EXPERT: _l("expert"),
    PersonRole.EXPERT_MENTOR: _l("expert mentor"),
    PersonRole.PARTICIPANT: _l("participant"),
}

SCOPE_LABELS = {
    FeedScope.PERSONAL: _l("My events"),
    FeedScope.GROUP: _l("Group"),
    FeedScope.DEPARTMENT: _l("Department"),
    FeedScope.KIND: _l("Kind of event"),
    FeedScope.PUBLIC: _l("Open events of the college"),
}


def kind_label(kind: EventKind | str) -> str:
    return str(KIND_LABELS[EventKind(kind)])


def status_label(status: EventStatus | str) -> str:
    return str(STATUS_LABELS[EventStatus(status)])


def broadcast_label(status: BroadcastStatus | str | None) -> str:
    return str(BROADCAST_LABELS[BroadcastStatus(status)]) if status else ""


def attestation_label(value: Attestation | str) -> str:
    return str(ATTESTATION_LABELS[Attestation(value)])


def level_label(value: ExamLevel | str) -> str:
    return str(LEVEL_LABELS[ExamLevel(value)])


def stage_label(value: CompetitionStage | str) -> str:
    return str(STAGE_LABELS[CompetitionStage(value)])


def category_label(value: CompetitionCategory | str) -> str:
    return str(CATEGORY_LABELS[CompetitionCategory(value)])


def person_role_label(value: PersonRole | str) -> str:
    return str(PERSON_ROLE_LABELS[PersonRole(value)])


def scope_label(value: FeedScope | str) -> str:
    return str(SCOPE_LABELS[FeedScope(value)])


_WEEKDAY_NAMES = {
    "MO": _l("Mon"),
    "TU": _l("Tue"),
    "WE": _l("Wed"),
    "TH": _l("Thu"),
    "FR": _l("Fri"),
    "SA": _l("Sat"),
    "SU": _l("Sun"),
}


def event_rule_text(event: Event) -> str:
    """The repetition of an event, described (empty for a single one)."""
    return (
        describe_rule(event.rrule, list(event.exdates or []), local_zone()) if event.rrule else ""
    )


def describe_rule(rule: str, exdates: list[str], zone) -> str:
    """«every week on Mon, Wed until 01.06.2026» in the user's language."""
    rec = parse_rule(rule, exdates, zone)
    if rec.freq == "DAILY":
        text = ngettext("every day", "every %(num)d days", rec.interval)
    elif rec.freq == "WEEKLY":
        text = ngettext("every week", "every %(num)d weeks", rec.interval)
    else:
        text = ngettext("every month", "every %(num)d months", rec.interval)
    if rec.weekdays:
        text += " " + _("on %(days)s", days=", ".join(str(_WEEKDAY_NAMES[d]) for d in rec.weekdays))
    if rec.until:
        text += " " + _("until %(day)s", day=rec.until.strftime("%d.%m.%Y"))
    elif rec.count:
        text += ", " + ngettext("%(num)d time", "%(num)d times", rec.count)
    if rec.exdates:
        text += "; " + _(
            "except %(days)s", days=", ".join(d.strftime("%d.%m.%Y") for d in rec.exdates)
        )
    return text


TEMPLATE_GLOBALS = {
    "event_kind_label": kind_label,
    "event_status_label": status_label,
    "broadcast_label": broadcast_label,
    "attestation_label": attestation_label,
    "exam_level_label": level_label,
    "stage_label": stage_label,
    "category_label": category_label,
    "person_role_label": person_role_label,
    "feed_scope_label": scope_label,
    "event_rule_text": event_rule_text,
}
