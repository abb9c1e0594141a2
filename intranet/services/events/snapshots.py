"""Read-only snapshots of events for rendering feeds: plain objects from four Core queries per
chunk, shaped like the ORM rows the iCalendar builders read (event.sessions, .occurrences,
.groups, .demo_exam, .competition). A feed of a thousand events loads in a fraction of what
the ORM needs for the same rows, which keeps a cold render close to icalendar's own cost.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from types import SimpleNamespace

from sqlalchemy import select

from intranet.extensions import db
from intranet.models import (
    Competition,
    DemoExam,
    Event,
    EventGroup,
    EventOccurrence,
    EventSession,
    Speciality,
    StudyGroup,
)

_E = Event.__table__.c
_S = EventSession.__table__.c
_O = EventOccurrence.__table__.c
_X = DemoExam.__table__.c
_C = Competition.__table__.c
_SP = Speciality.__table__.c

_EVENT_COLUMNS = (
    _E.id,
    _E.kind,
    _E.status,
    _E.title,
    _E.description,
    _E.room_id,
    _E.location,
    _E.stream_url,
    _E.sequence,
    _E.rrule,
    _E.exdates,
    _E.created_at,
    _E.updated_at,
    _E.first_starts_at,
)


def load(ids: Sequence[int]) -> dict[int, SimpleNamespace]:
    """Snapshots of these events by id (missing ids are left out)."""
    if not ids:
        return {}
    query = (
        select(
            *_EVENT_COLUMNS,
            _X.attestation,
            _X.kod,
            _X.level,
            _X.site.label("exam_site"),
            _X.event_id.label("exam_id"),
            _SP.code.label("speciality_code"),
            _SP.name.label("speciality_name"),
            _C.event_id.label("contest_id"),
            _C.stage,
            _C.competency,
            _C.category,
            _C.site.label("contest_site"),
        )
        .select_from(Event.__table__)
        .outerjoin(DemoExam.__table__, _X.event_id == _E.id)
        .outerjoin(Speciality.__table__, _SP.id == _X.speciality_id)
        .outerjoin(Competition.__table__, _C.event_id == _E.id)
        .where(_E.id.in_(ids))
    )
    events: dict[int, SimpleNamespace] = {}
    for r in db.session.execute(query).all():
        exam = None
        if r.exam_id is not None:
            speciality = (
                SimpleNamespace(code=r.speciality_code, name=r.speciality_name)
                if r.speciality_code is not None
                else None
            )
            exam = SimpleNamespace(
                attestation=r.attestation,
                kod=r.kod,
                level=r.level,
                site=r.exam_site,
                speciality=speciality,
            )
        contest = None
        if r.contest_id is not None:
            contest = SimpleNamespace(
                stage=r.stage, competency=r.competency, category=r.category, site=r.contest_site
            )
        events[r.id] = SimpleNamespace(
            id=r.id,
            kind=r.kind,
            status=r.status,
            title=r.title,
            description=r.description,
            room_id=r.room_id,
            location=r.location,
            stream_url=r.stream_url,
            sequence=r.sequence,
            rrule=r.rrule,
            exdates=r.exdates or [],
            created_at=r.created_at,
            updated_at=r.updated_at,
            first_starts_at=r.first_starts_at,
            demo_exam=exam,
            competition=contest,
            sessions=[],
            occurrences=[],
            groups=[],
        )
    sessions = select(
        _S.id, _S.event_id, _S.uid, _S.label, _S.starts_at, _S.ends_at, _S.room_id, _S.location
    ).where(_S.event_id.in_(ids))
    for r in db.session.execute(sessions.order_by(_S.event_id, _S.position)).all():
        events[r.event_id].sessions.append(
            SimpleNamespace(
                id=r.id,
                uid=r.uid,
                label=r.label,
                starts_at=r.starts_at,
                ends_at=r.ends_at,
                room_id=r.room_id,
                location=r.location,
            )
        )
    # A plain session's one occurrence repeats the session: only series need their own.
    series = [event_id for event_id, e in events.items() if e.rrule]
    if not series:
        series = [-1]
    occurrences = select(
        _O.event_id,
        _O.session_id,
        _O.recurrence_at,
        _O.starts_at,
        _O.ends_at,
        _O.room_id,
        _O.location,
        _O.is_moved,
        _O.is_cancelled,
    ).where(_O.event_id.in_(series))
    for r in db.session.execute(occurrences.order_by(_O.starts_at)).all():
        events[r.event_id].occurrences.append(
            SimpleNamespace(
                session_id=r.session_id,
                recurrence_at=r.recurrence_at,
                starts_at=r.starts_at,
                ends_at=r.ends_at,
                room_id=r.room_id,
                location=r.location,
                is_moved=r.is_moved,
                is_cancelled=r.is_cancelled,
            )
        )
    groups = (
        select(EventGroup.event_id, StudyGroup.name)
        .join(StudyGroup, StudyGroup.id == EventGroup.group_id)
        .where(EventGroup.event_id.in_(ids))
        .order_by(StudyGroup.name_key)
    )
    for r in db.session.execute(groups).all():
        events[r.event_id].groups.append(SimpleNamespace(name=r.name))
    return events


def iter_snapshots(ids: Sequence[int], chunk: int = 250) -> Iterator[SimpleNamespace]:
    """Snapshots in the order of `ids`, loaded a chunk at a time."""
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        loaded = load(part)
        for event_id in part:
            if event_id in loaded:
                yield loaded[event_id]
