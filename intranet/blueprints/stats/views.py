"""Views: the statistics page and its CSV tables; the platform's snapshots (list, enter,
correct, remove)."""

from __future__ import annotations

from datetime import datetime

from flask import abort, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required
from markupsafe import Markup

from intranet.blueprints.stats import bp
from intranet.blueprints.stats.forms import PeriodForm, SnapshotForm
from intranet.blueprints.structure.common import me, page_size, show_error, submit
from intranet.extensions import db
from intranet.i18n import local_today
from intranet.models import PlatformSnapshot
from intranet.models.base import utcnow
from intranet.policy import can
from intranet.services.csvexport import csv_response
from intranet.services.errors import ValidationFailed
from intranet.services.helpdesk import reports as helpdesk_reports
from intranet.services.stats import cache, platform, report
from intranet.services.stats import period as periods
from intranet.web import require


def _period(form: PeriodForm) -> periods.Period:
    """The period asked for: typed dates, a preset, or the current academic year.

    Bad dates keep the entry in the form with the reason beside it, and the page shows the
    default period meanwhile (saying so), rather than nothing.
    """
    today = local_today()
    if "start" in request.args or "end" in request.args:
        if form.validate():
            try:
                return periods.checked(form.start.data, form.end.data)
            except ValidationFailed as error:
                show_error(form, error)
        return periods.preset(periods.DEFAULT_PRESET, today)
    chosen = periods.preset(request.args.get("preset", ""), today)
    form.start.data, form.end.data = chosen.start, chosen.end
    return chosen


def _figures(period: periods.Period, *, fresh: bool) -> tuple[Markup, datetime]:
    """The page's figures rendered, and when: kept a minute per period and permissions."""
    today = local_today()
    flags = tuple(can(me(), action) for action in FIGURE_ACTIONS)
    key = ("page", period.start, period.end, today, str(get_locale()), flags)

    def compute() -> tuple[Markup, datetime]:
        data = report.build(period, today, fresh=fresh)
        html = render_template(
            "stats/_figures.html",
            report=data,
            period=period,
            ticket_statuses=helpdesk_reports.STATUSES,
        )
        return Markup(html), utcnow()  # noqa: S704 - an autoescaped template's output

    return cache.get_or_compute(key, compute, fresh=fresh)


# What the figures' links depend on besides the period (part of the cache key).
FIGURE_ACTIONS = ("chats.view_all", "helpdesk.reports", "stats.platform")


@bp.route("/")
@login_required
def index():
    require("stats.view")
    form = PeriodForm(request.args)
    period = _period(form)
    figures, computed_at = _figures(period, fresh=request.args.get("fresh") == "1")
    return render_template(
        "stats/index.html",
        form=form,
        period=period,
        figures=figures,
        computed_at=computed_at,
        today=local_today(),
        presets=periods.PRESETS,
        rejected=bool(form.errors),
    )


@bp.route("/<name>.csv")
@login_required
def export(name: str):
    require("stats.view")
    table = report.TABLES.get(name)
    if table is None:
        abort(404)
    form = PeriodForm(request.args)
    period = _period(form)
    header, rows = table(period, local_today())
    filename = f"stats-{name}-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    return csv_response(filename, header, rows)


# --- the platform's own figures --------------------------------------------------------------


@bp.route("/platform")
@login_required
def snapshots():
    require("stats.view")
    page = db.paginate(platform.list_query(), per_page=page_size(), error_out=False)
    return render_template("stats/snapshots.html", page=page)


def _values(form: SnapshotForm) -> platform.SnapshotValues:
    return platform.SnapshotValues(
        taken_on=form.taken_on.data,
        platform=form.platform.data or "",
        members=form.members.data,
        active_users=form.active_users.data,
        messages=form.messages.data,
        calls=form.calls.data,
        broadcasts=form.broadcasts.data,
        chats=form.chats.data,
        note=form.note.data or "",
    )


@bp.route("/platform/new", methods=["GET", "POST"])
@login_required
def new_snapshot():
    require("stats.platform")
    form = SnapshotForm()
    if request.method == "GET":
        form.taken_on.data = local_today()
    if form.validate_on_submit():
        done = submit(
            form,
            lambda: platform.create(me(), _values(form), today=local_today()),
            _("The platform's figures have been saved."),
            url_for("stats.snapshots"),
        )
        if done:
            return done
    return render_template("stats/snapshot_form.html", form=form, snapshot=None)


def _load(snapshot_id: int) -> PlatformSnapshot:
    snapshot = db.session.get(PlatformSnapshot, snapshot_id)
    if snapshot is None:
        abort(404)
    return snapshot


@bp.route("/platform/<int:snapshot_id>/edit", methods=["GET", "POST"])
@login_required
def edit_snapshot(snapshot_id: int):
    require("stats.platform")
    snapshot = _load(snapshot_id)
    form = SnapshotForm(data=platform.values_of(snapshot))
    if form.validate_on_submit():
        done = submit(
            form,
            lambda: platform.update(me(), snapshot, _values(form), today=local_today()),
            _("Saved."),
            url_for("stats.snapshots"),
        )
        if done:
            return done
    return render_template("stats/snapshot_form.html", form=form, snapshot=snapshot)


@bp.route("/platform/<int:snapshot_id>/delete", methods=["POST"])
@login_required
def delete_snapshot(snapshot_id: int):
    require("stats.platform")
    snapshot = _load(snapshot_id)
    done = submit(
        None,
        lambda: platform.delete(me(), snapshot),
        _("The figures have been removed."),
        url_for("stats.snapshots"),
    )
    return done or redirect(url_for("stats.snapshots"))
