"""Views: the month grid, the week, the agenda, the JSON of a range, the event page and its
.ics file."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Response, abort, jsonify, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from intranet.blueprints.events import bp, weekday_names
from intranet.blueprints.events.forms import AlarmForm, BroadcastForm, CancelForm, alarm_choices
from intranet.bounds import day_in_range, id_from
from intranet.extensions import db
from intranet.i18n import local_today, local_zone
from intranet.models import EventKind
from intranet.policy import effective_roles
from intranet.services import events as events_service
from intranet.services.events import ical, notify, queries
from intranet.web import require


def _filters() -> queries.Filters:
    """Filters from the query string; anything malformed is ignored."""
    args = request.args
    kind = args.get("kind", "")
    return queries.Filters(
        kind=EventKind(kind) if kind in EventKind._value2member_map_ else None,
        group_id=_positive(args.get("group")),
        department_id=_positive(args.get("department")),
    )


def _positive(value: str | None) -> int | None:
    return id_from(value)


def _day(value: str | None, default: date) -> date:
    """A date from the query string; malformed or outside 1900–2199, the default."""
    try:
        day = date.fromisoformat(value) if value else default
    except ValueError:
        return default
    return day if day_in_range(day) else default


def _calendar_context(filters: queries.Filters, keep: dict) -> dict:
    """The filters, and the calendar's toolbar (kept per audience, roles and query string)."""

    def toolbar() -> str:
        return render_template(
            "events/_calendar_nav.html",
            filters=filters,
            keep=keep,
            choices=queries.filter_choices(current_user),
            kinds=list(EventKind),
        )

    key = queries.page_key(
        current_user,
        "toolbar",
        request.endpoint,
        tuple(sorted(keep.items())),
        filters,
        effective_roles(current_user),
    )
    # Our own template's output, escaped when it was rendered.
    return {"filters": filters, "toolbar": Markup(queries.cached(key, toolbar))}  # noqa: S704


@bp.route("/")
@login_required
def month():
    require("events.view")
    today = local_today()
    raw = request.args.get("month", "")
    try:
        year, month_number = (int(p) for p in raw.split("-")) if raw else (today.year, today.month)
        date(year, month_number, 1)
        if not 2000 <= year <= 2100:
            raise ValueError
    except ValueError:
        year, month_number = today.year, today.month
    filters = _filters()
    first = date(year, month_number, 1)

    def grid_html() -> str:
        grid = queries.month_grid(current_user, year, month_number, filters, today)
        return render_template(
            "events/_month_grid.html", grid=grid, filters=filters, weekdays=weekday_names()
        )

    key = queries.page_key(current_user, "month", first, filters, today)
    return render_template(
        "events/month.html",
        # Our own template's output, escaped when it was rendered.
        grid_html=Markup(queries.cached(key, grid_html)),  # noqa: S704
        first=first,
        previous=(first - timedelta(days=1)).replace(day=1),
        following=(first + timedelta(days=32)).replace(day=1),
        today=today,
        **_calendar_context(filters, {"month": first.strftime("%Y-%m")}),
    )


@bp.route("/week")
@login_required
def week():
    require("events.view")
    today = local_today()
    day = _day(request.args.get("date"), today)
    monday = day - timedelta(days=day.weekday())
    filters = _filters()

    def days_html() -> str:
        days = queries.week_days(current_user, monday, filters, today)
        return render_template("events/_week_days.html", days=days, weekdays=weekday_names("EEEE"))

    key = queries.page_key(current_user, "week", monday, filters, today)
    return render_template(
        "events/week.html",
        days_html=Markup(queries.cached(key, days_html)),  # noqa: S704 (our own template)
        monday=monday,
        sunday=monday + timedelta(days=6),
        previous=monday - timedelta(days=7),
        following=monday + timedelta(days=7),
        today=today,
        **_calendar_context(filters, {"date": monday.isoformat()}),
    )


@bp.route("/agenda")
@login_required
def agenda():
    require("events.view")
    today = local_today()
    start = _day(request.args.get("from"), today)
    filters = _filters()
    query = queries.agenda_query(current_user, queries.local_midnight(start), filters)
    page = db.paginate(query, per_page=30, max_per_page=100, error_out=False)
    return render_template(
        "events/agenda.html",
        page=page,
        start=start,
        today=today,
        **_calendar_context(filters, {"from": start.isoformat()}),
    )


@bp.route("/range.json")
@login_required
def range_json():
    """Occurrences in [start, end) (dates, at most 100 days) for the calendar pages' script."""
    require("events.view")
    today = local_today()
    start = _day(request.args.get("start"), today)
    end = _day(request.args.get("end"), start + timedelta(days=1))
    if end <= start or (end - start).days > queries.RANGE_LIMIT_DAYS:
        return jsonify(error="range"), 400
    items = queries.items_between(
        current_user, queries.local_midnight(start), queries.local_midnight(end), _filters()
    )
    return jsonify(
        start=start.isoformat(),
        end=end.isoformat(),
        events=[
            dict(item.as_json(), url=url_for("events.show", event_id=item.event_id))
            for item in items
        ],
    )


def load_or_404(event_id: int):
    event = queries.load_event(event_id)
    if event is None:
        abort(404)
    require("events.view", event)
    return event


@bp.route("/<int:event_id>")
@login_required
def show(event_id: int):
    event = load_or_404(event_id)
    feed = events_service.personal_feed(current_user)
    broadcast_form = BroadcastForm(
        data={
            "broadcast_status": event.broadcast_status.value if event.broadcast_status else "",
            "is_camera_checked": event.is_camera_checked,
            "is_test_broadcast_done": event.is_test_broadcast_done,
            "is_link_sent": event.is_link_sent,
            "recording_kept_until": event.recording_kept_until,
        }
    )
    alarm_form = AlarmForm()
    alarm_form.alarm_minutes.choices = alarm_choices()
    return render_template(
        "events/show.html",
        event=event,
        feed=feed,
        urls=events_service.feed_urls(feed) if feed else None,
        cancel_form=CancelForm(),
        broadcast_form=broadcast_form,
        alarm_form=alarm_form,
        today=local_today(),
        month_arg=event.first_starts_at.astimezone(local_zone()).strftime("%Y-%m")
        if event.first_starts_at
        else None,
    )


@bp.route("/<int:event_id>/event.ics")
@login_required
def download(event_id: int) -> Response:
    """«Скачать .ics»: the whole event as a file for any calendar app."""
    event = load_or_404(event_id)
    body = ical.download(event, notify.room_labels(), notify.settings_for())
    return Response(
        body,
        content_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="event-{event.id}.ics"'},
    )
