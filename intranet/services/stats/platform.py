"""Platform usage snapshots: an admin copies the Sferum panel's figures on a date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from intranet import policy
from intranet.extensions import db
from intranet.models import Platform, PlatformSnapshot, User
from intranet.services import audit
from intranet.services.errors import Conflict, PermissionDenied, ValidationFailed
from intranet.services.stats import cache

MAX_COUNT = 100_000_000
COUNT_FIELDS = ("members", "active_users", "messages", "calls", "broadcasts", "chats")


@dataclass
class SnapshotValues:
    taken_on: date | None
    platform: str
    members: int | None
    active_users: int | None = None
    messages: int | None = None
    calls: int | None = None
    broadcasts: int | None = None
    chats: int | None = None
    note: str = ""


def _check(values: SnapshotValues, today: date, snapshot: PlatformSnapshot | None) -> dict:
    if values.taken_on is None:
        raise ValidationFailed(_("Enter the date the figures were taken."), field="taken_on")
    if values.taken_on > today:
        raise ValidationFailed(
            _("The figures cannot be from a day that has not come yet."), field="taken_on"
        )
    try:
        platform = Platform(values.platform)
    except ValueError:
        raise ValidationFailed(_("Choose the platform."), field="platform") from None
    if values.members is None:
        raise ValidationFailed(
            _("Enter the number of members of the organisation on the platform."),
            field="members",
        )
    row = {"taken_on": values.taken_on, "platform": platform, "note": values.note.strip()}
    for name in COUNT_FIELDS:
        value = getattr(values, name)
        if value is not None and not 0 <= value <= MAX_COUNT:
            raise ValidationFailed(
                _("Enter a whole number from 0 to %(max)d.", max=MAX_COUNT), field=name
            )
        row[name] = value
    if values.active_users is not None and values.active_users > values.members:
        raise ValidationFailed(
            _("There cannot be more active users than members."), field="active_users"
        )
    same_day = select(PlatformSnapshot.id).where(
        PlatformSnapshot.platform == platform, PlatformSnapshot.taken_on == values.taken_on
    )
    if snapshot is not None:
        same_day = same_day.where(PlatformSnapshot.id != snapshot.id)
    if db.session.scalar(same_day.limit(1)) is not None:
        raise Conflict(
            _("The figures for this platform on that day are already entered: edit them instead.")
        )
    return row


def create(actor: User, values: SnapshotValues, *, today: date) -> PlatformSnapshot:
    """Record the panel's figures on a day."""
    if not policy.can(actor, "stats.platform"):
        raise PermissionDenied(_("Only platform administrators enter the platform's figures."))
    snapshot = PlatformSnapshot(entered_by_id=actor.id, **_check(values, today, None))
    db.session.add(snapshot)
    db.session.flush()
    audit.record("stats.snapshot_create", actor=actor, obj=snapshot, summary=str(snapshot.taken_on))
    cache.clear()
    return snapshot


def update(
    actor: User, snapshot: PlatformSnapshot, values: SnapshotValues, *, today: date
) -> PlatformSnapshot:
    """Correct a snapshot's figures."""
    if not policy.can(actor, "stats.platform"):
        raise PermissionDenied(_("Only platform administrators enter the platform's figures."))
    row = _check(values, today, snapshot)
    changed = sorted(k for k, v in row.items() if getattr(snapshot, k) != v)
    for key in changed:
        setattr(snapshot, key, row[key])
    snapshot.entered_by_id = actor.id
    db.session.flush()
    audit.record(
        "stats.snapshot_update",
        actor=actor,
        obj=snapshot,
        summary=str(snapshot.taken_on),
        fields=changed,
    )
    cache.clear()
    return snapshot


def delete(actor: User, snapshot: PlatformSnapshot) -> None:
    """Remove a snapshot entered by mistake."""
    if not policy.can(actor, "stats.platform"):
        raise PermissionDenied(_("Only platform administrators enter the platform's figures."))
    audit.record(
        "stats.snapshot_delete",
        actor=actor,
        obj=snapshot,
        summary=str(snapshot.taken_on),
        members=snapshot.members,
    )
    db.session.delete(snapshot)
    db.session.flush()
    cache.clear()


def values_of(snapshot: PlatformSnapshot) -> dict:
    data = {name: getattr(snapshot, name) for name in COUNT_FIELDS}
    data.update(taken_on=snapshot.taken_on, platform=snapshot.platform.value, note=snapshot.note)
    return data


def list_query():
    """Newest first."""
    return select(PlatformSnapshot).order_by(
        PlatformSnapshot.taken_on.desc(), PlatformSnapshot.id.desc()
    )


def in_period(start: date, end: date) -> tuple[list[PlatformSnapshot], PlatformSnapshot | None]:
    """Snapshots taken in the period (oldest first) and the newest one up to its end, which
    may be older than the period when none was taken in it (at most two queries)."""
    rows = list(
        db.session.scalars(
            select(PlatformSnapshot)
            .where(PlatformSnapshot.taken_on >= start, PlatformSnapshot.taken_on <= end)
            .order_by(PlatformSnapshot.taken_on, PlatformSnapshot.platform)
            .limit(400)
        )
    )
    if rows:
        return rows, rows[-1]
    before = db.session.scalar(
        select(PlatformSnapshot)
        .where(PlatformSnapshot.taken_on < start)
        .order_by(PlatformSnapshot.taken_on.desc(), PlatformSnapshot.id.desc())
        .limit(1)
    )
    return rows, before
