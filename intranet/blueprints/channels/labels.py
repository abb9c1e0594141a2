"""Human names for the channel enums, for templates (and the e-mail templates)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from intranet.models import AnnouncementStatus, Audience, RoundKind, RoundState, Verdict

AUDIENCE_LABELS = {
    Audience.STAFF: _l("Staff"),
    Audience.STUDENTS: _l("Students"),
    Audience.PARENTS: _l("Parents"),
    Audience.EVERYONE: _l("Everyone"),
    Audience.GROUPS: _l("Chosen groups"),
}

STATUS_LABELS = {
    AnnouncementStatus.DRAFT: _l("draft"),
    AnnouncementStatus.IN_REVIEW: _l("in review"),
    AnnouncementStatus.CHANGES_REQUESTED: _l("changes requested"),
    AnnouncementStatus.DECLINED: _l("declined"),
    AnnouncementStatus.SCHEDULED: _l("scheduled"),
    AnnouncementStatus.PUBLISHED: _l("published"),
    AnnouncementStatus.EXPIRED: _l("removed after its time"),
    AnnouncementStatus.CANCELLED: _l("cancelled"),
}

STATUS_CLASSES = {
    AnnouncementStatus.DRAFT: "text-bg-secondary",
    AnnouncementStatus.IN_REVIEW: "text-bg-info",
    AnnouncementStatus.CHANGES_REQUESTED: "text-bg-warning",
    AnnouncementStatus.DECLINED: "text-bg-dark",
    AnnouncementStatus.SCHEDULED: "text-bg-primary",
    AnnouncementStatus.PUBLISHED: "text-bg-success",
    AnnouncementStatus.EXPIRED: "text-bg-light border",
    AnnouncementStatus.CANCELLED: "text-bg-danger",
}

ROUND_STATE_LABELS = {
    RoundState.OPEN: _l("under way"),
    RoundState.APPROVED: _l("approved"),
    RoundState.CHANGES_REQUESTED: _l("changes requested"),
    RoundState.DECLINED: _l("declined"),
    RoundState.WITHDRAWN: _l("withdrawn"),
    RoundState.SUPERSEDED: _l("restarted after an edit"),
}

ROUND_KIND_LABELS = {
    RoundKind.BEFORE: _l("Review before publication"),
    RoundKind.AFTER: _l("Review after an urgent publication"),
}

VERDICT_LABELS = {
    Verdict.APPROVED: _l("approved"),
    Verdict.CHANGES_REQUESTED: _l("changes requested"),
    Verdict.DECLINED: _l("declined"),
}


HISTORY_LABELS = {
    "created": _l("created the draft"),
    "channel_changed": _l("moved it to another channel"),
    "edited": _l("saved a new version"),
    "unscheduled": _l("took it off the schedule by editing"),
    "submitted": _l("submitted it for review"),
    "review_started": _l("review started"),
    "review_restarted": _l("review restarted from stage 1 after an edit"),
    "stage_passed_to_admins": _l("the stage passed to the administrators"),
    "withdrawn": _l("withdrew it"),
    "approved": _l("approved"),
    "changes_requested": _l("requested changes"),
    "declined": _l("declined"),
    "urgent_confirmed": _l("the review after the urgent publication approved it"),
    "scheduled": _l("scheduled for publication"),
    "published": _l("published"),
    "corrected": _l("the correction went live"),
    "published_urgently": _l("published urgently without review"),
    "cancelled": _l("cancelled it"),
    "urgent_withdrawn": _l("withdrawn: the review after the urgent publication declined it"),
    "published_late": _l("published late"),
    "expired": _l("removed after its time"),
    "sferum_recorded": _l("recorded the post in Sferum / MAX"),
}


def history_label(action: str, data: dict | None = None) -> str:
    """One line of an announcement's history, from its audit event."""
    data = data or {}
    key = action.removeprefix("announcement.")
    label = str(HISTORY_LABELS.get(key, key))
    if key in ("approved", "changes_requested", "declined") and data.get("stage"):
        label = str(
            _l(
                "%(what)s (stage %(n)s of %(total)s)",
                what=label,
                n=data["stage"],
                total=data.get("of") or data["stage"],
            )
        )
    if key == "stage_passed_to_admins" and data.get("stage"):
        label = str(_l("stage %(n)s passed to the administrators", n=data["stage"]))
    if key == "published_late" and data.get("minutes") is not None:
        label = str(_l("published %(n)s min late", n=data["minutes"]))
    return label


def audience_label(value: Audience) -> str:
    return str(AUDIENCE_LABELS[Audience(value)])


def announcement_status_label(value: AnnouncementStatus) -> str:
    return str(STATUS_LABELS[AnnouncementStatus(value)])


def announcement_status_class(value: AnnouncementStatus) -> str:
    return STATUS_CLASSES[AnnouncementStatus(value)]


def round_state_label(value: RoundState) -> str:
    return str(ROUND_STATE_LABELS[RoundState(value)])


def round_kind_label(value: RoundKind) -> str:
    return str(ROUND_KIND_LABELS[RoundKind(value)])


def verdict_label(value: Verdict) -> str:
    return str(VERDICT_LABELS[Verdict(value)])


TEMPLATE_GLOBALS = {
    "audience_label": audience_label,
    "announcement_status_label": announcement_status_label,
    "announcement_status_class": announcement_status_class,
    "round_state_label": round_state_label,
    "round_kind_label": round_kind_label,
    "verdict_label": verdict_label,
    "history_label": history_label,
}
