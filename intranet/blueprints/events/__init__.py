"""Events: the calendar pages, events and their people, rooms, and calendar subscriptions."""

from datetime import date

from flask import Blueprint
from flask_babel import format_date

from intranet.services.events.labels import TEMPLATE_GLOBALS

bp = Blueprint("events", __name__)


def month_title(day: date) -> str:
    """«март 2026» (the stand-alone form of the month's name)."""
    return format_date(day, "LLLL yyyy")


def weekday_name(day: date, width: str = "EEEE") -> str:
    """«понедельник», or «пн» with width="EE"."""
    return format_date(day, width)


def weekday_names(width: str = "EE") -> list[str]:
    """Monday … Sunday in the user's language (seven lookups per page, not one per day)."""
    monday = date(2024, 1, 1)
    return [format_date(date.fromordinal(monday.toordinal() + n), width) for n in range(7)]


@bp.record_once
def _template_globals(state) -> None:
    state.app.jinja_env.globals.update(
        TEMPLATE_GLOBALS, month_title=month_title, weekday_name=weekday_name
    )


from intranet.blueprints.events import (  # noqa: E402,F401
    views,
    views_edit,
    views_feeds,
    views_people,
)
