"""Personal data (152-ФЗ): a person's data exported on request, the consent log with
withdrawal, and the anonymisation of people who left once the retention period is over.

Export. Everything the intranet holds about a person: the profile and roles, then every row
of every table that points at them. The tables are found from the schema (each foreign key
to user.id), so a new area is exported without touching this module. A row that is *about*
the person (its `user_id`, `author_id`, `requester_id` …) is exported whole, less secrets
and derived columns; a row where the person is only named as the one who did something
(`created_by_id`, `decided_by_id` …) is listed by table, column, id and date, since it mostly
holds other people's data. Mail queued to their address, audit entries about them and the
files they uploaded come too. The archive is a zip: personal-data.json and files/.

Anonymisation. People who left (an account disabled: expelled, graduated, left work, or
disabled by an administrator; a parent whose children all left) keep their data for
PERSONAL_DATA_RETENTION_DAYS after leaving (3 years by default); a person who withdrew
consent, for PERSONAL_DATA_WITHDRAWAL_DAYS (30, art. 21 of 152-ФЗ). Then names, phones,
e-mail addresses and free-text contact fields are replaced with placeholders, sessions end,
mail to them is dropped; the rows stay, so counts, statistics and the audit trail still add
up. The worker runs it daily; `flask --app wsgi personal-data anonymise --dry-run` lists who
would be anonymised.
"""

from __future__ import annotations

import enum
import io
import json
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app, has_request_context, request
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import String, Table, cast, delete, func, or_, select, update

from intranet import i18n
from intranet.extensions import db
from intranet.jobs import register_job
from intranet.models import (
    AuditEvent,
    CalendarFeed,
    Consent,
    Enrollment,
    EventPerson,
    Guardian,
    InboundMail,
    JoinRequest,
    LoginSession,
    MailPreference,
    Movement,
    MovementKind,
    MovementStatus,
    OutboxMessage,
    Role,
    Ticket,
    TicketMessage,
    Upload,
    User,
    UserRole,
)
from intranet.models.base import utcnow
from intranet.services import accounts, audit
from intranet.services import uploads as upload_files
from intranet.services.errors import PermissionDenied, ValidationFailed

DEFAULT_RETENTION_DAYS = 3 * 365
DEFAULT_WITHDRAWAL_DAYS = 30
PLACEHOLDER = "Обезличено"
FORMAT = "intranet-personal-data/1"

# Columns that name the person the row is about: exported whole.
SUBJECT_COLUMNS = frozenset(
    {
        "user_id",
        "person_id",
        "owner_id",
        "author_id",
        "requester_id",
        "student_id",
        "parent_id",
        "tutor_id",
        "teacher_id",
        "responsible_id",
        "uploaded_by_id",
        "actor_id",
    }
)
# Never exported: secrets, hashes of secrets, and what is derived from other columns.
HIDDEN_COLUMNS = frozenset(
    {
        "password_hash",
        "token_hash",
        "code_hash",
        "secret",
        "session_epoch",
        "token_version",
        "public_token_version",
        "last_step",
        "raw",
        "key",
        "stored_name",
        "body_html",
        "search_key",
    }
)
DATE_COLUMNS = ("created_at", "at", "accepted_at", "decided_at", "granted_at", "sent_at")


def retention_days() -> int:
    return int(current_app.config.get("PERSONAL_DATA_RETENTION_DAYS", DEFAULT_RETENTION_DAYS))


def withdrawal_days() -> int:
    return int(current_app.config.get("PERSONAL_DATA_WITHDRAWAL_DAYS", DEFAULT_WITHDRAWAL_DAYS))


def period_text(days: int) -> str:
    """A period for the UI in whole years when it is one («3 года»), else in days («30 дней»)."""
    if days >= 365 and days % 365 == 0:
        return ngettext("%(num)d year", "%(num)d years", days // 365)
    return ngettext("%(num)d day", "%(num)d days", days)


def retention_text() -> str:
    return period_text(retention_days())


def withdrawal_text() -> str:
    return period_text(withdrawal_days())


# --- export -------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return None
    return value


def _user_columns() -> list[tuple[Table, str]]:
    """(table, column) for every foreign key to user.id, the user table itself left out."""
    found = []
    for table in db.metadata.sorted_tables:
        if table.name == "user":
            continue
        for column in table.columns:
            if any(fk.column.table.name == "user" for fk in column.foreign_keys):
                found.append((table, column.name))
    return found


def _visible(table: Table) -> list:
    return [
        c for c in table.columns if c.name not in HIDDEN_COLUMNS and not c.name.endswith("_key")
    ]


def collect(person: User) -> dict:
    """Everything the intranet holds about the person, as JSON-ready data."""
    profile = {
        name: _plain(getattr(person, name))
        for name in (
            "id",
            "last_name",
            "first_name",
            "middle_name",
            "email",
            "phone",
            "external_id",
            "locale",
            "is_active",
            "teacher_status",
            "teacher_confirmed_at",
            "last_login_at",
            "created_at",
            "updated_at",
            "anonymised_at",
        )
    }
    records: dict[str, list[dict]] = {}
    mentions: list[dict] = []
    for table, column_name in _user_columns():
        column = table.c[column_name]
        if column_name in SUBJECT_COLUMNS:
            rows = db.session.execute(
                select(*_visible(table)).where(column == person.id).order_by(*table.primary_key)
            ).mappings()
            for row in rows:
                entry = {k: _plain(v) for k, v in row.items()}
                records.setdefault(table.name, []).append({"via": column_name, **entry})
        else:
            when = next((table.c[n] for n in DATE_COLUMNS if n in table.c), None)
            key = list(table.primary_key)[0]
            picked = [key] + ([when] if when is not None else [])
            for row in db.session.execute(select(*picked).where(column == person.id)):
                mentions.append(
                    {
                        "table": table.name,
                        "column": column_name,
                        "id": _plain(row[0]),
                        "at": _plain(row[1]) if len(row) > 1 else None,
                    }
                )
    about = db.session.execute(
        select(AuditEvent.id, AuditEvent.at, AuditEvent.action, AuditEvent.summary, AuditEvent.data)
        .where(AuditEvent.object_type == "User", AuditEvent.object_id == person.id)
        .order_by(AuditEvent.id)
    ).mappings()
    mail = []
    if person.email:
        found = db.session.execute(
            select(
                OutboxMessage.id,
                OutboxMessage.kind,
                OutboxMessage.subject,
                OutboxMessage.status,
                OutboxMessage.created_at,
                OutboxMessage.sent_at,
            )
            .where(_recipient_is(person.email))
            .order_by(OutboxMessage.id)
        ).mappings()
        mail = [{k: _plain(v) for k, v in row.items()} for row in found]
    return {
        "format": FORMAT,
        "exported_at": utcnow().isoformat(timespec="seconds"),
        "about": (
            "Персональные данные, которые хранит интранет колледжа о человеке (152-ФЗ, ст. 14). "
            "profile — учётная запись; records — записи о человеке по таблицам (via — поле, "
            "которое указывает на него); mentions — записи, где человек назван исполнителем "
            "действия; audit_about — записи журнала действий о его учётной записи; mail — "
            "письма на его адрес; files — загруженные им файлы в папке files/ архива."
        ),
        "profile": profile,
        "roles": records.pop("user_role", []),
        "records": records,
        "mentions": mentions,
        "audit_about": [{k: _plain(v) for k, v in row.items()} for row in about],
        "mail": mail,
    }


def _recipient_is(address: str):
    """Outbox rows whose envelope recipients include the address (JSON as text)."""
    return cast(OutboxMessage.recipients, String).contains(json.dumps(address.lower()))


def _safe_name(upload: Upload) -> str:
    name = upload_files.safe_filename(upload.original_name) or "file"
    return f"files/{upload.id}-{name}"


def export_archive(person: User, *, actor: User) -> tuple[str, bytes]:
    """The zip a person (or an admin for them) downloads; the export is audited."""
    data = collect(person)
    buffer = io.BytesIO()
    files = []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        uploads = db.session.scalars(
            select(Upload).where(Upload.uploaded_by_id == person.id).order_by(Upload.id)
        )
        for upload in uploads:
            try:
                path = upload_files.file_path(upload)
            except ValueError:
                continue
            if path.is_file():
                arcname = _safe_name(upload)
                archive.write(path, arcname)
                files.append(arcname)
        data["files"] = files
        archive.writestr(
            "personal-data.json", json.dumps(data, ensure_ascii=False, indent=2, default=str)
        )
    audit.record(
        "personal_data.exported",
        actor=actor,
        obj=person,
        summary=person.full_name,
        by_self=actor.id == person.id,
        files=len(files),
    )
    day = i18n.local_today().isoformat()
    return f"personal-data-{person.id}-{day}.zip", buffer.getvalue()


# --- consents -----------------------------------------------------------------------------


def consents_of(person: User) -> list[Consent]:
    return list(
        db.session.scalars(
            select(Consent)
            .where(Consent.user_id == person.id)
            .order_by(Consent.accepted_at.desc(), Consent.id.desc())
        )
    )


def has_active_consent(person: User) -> bool:
    active = select(Consent.id).where(Consent.user_id == person.id, Consent.withdrawn_at.is_(None))
    return db.session.scalar(active.limit(1)) is not None


def withdraw_consent(person: User, *, now: datetime | None = None) -> int:
    """Withdraw the person's consent: every consent they gave is marked withdrawn, the account
    is disabled and every session ends. Their data is anonymised after
    PERSONAL_DATA_WITHDRAWAL_DAYS. Returns how many consents were withdrawn."""
    now = now or utcnow()
    if not has_active_consent(person):
        raise ValidationFailed(_("There is no consent in force to withdraw."))
    if person.has_role(Role.ADMIN):
        try:
            accounts.ensure_not_last_admin(person)
        except PermissionDenied as error:
            raise ValidationFailed(
                _(
                    "You are the last platform administrator: appoint another one before "
                    "withdrawing your consent."
                )
            ) from error
    ip = request.remote_addr if has_request_context() else None
    withdrawn = db.session.execute(
        update(Consent)
        .where(Consent.user_id == person.id, Consent.withdrawn_at.is_(None))
        .values(withdrawn_at=now, withdrawal_ip=ip)
        .execution_options(synchronize_session="fetch")
    ).rowcount
    person.is_active = False
    _end_sessions(person, now)
    audit.record(
        "consent.withdrawn",
        actor=person,
        obj=person,
        summary=person.full_name,
        consents=withdrawn,
        anonymise_on=(now.date() + timedelta(days=withdrawal_days())).isoformat(),
    )
    db.session.flush()
    return withdrawn


def withdrawals_query():
    """Withdrawn consents, newest first, with their people."""
    return (
        select(Consent, User)
        .join(User, User.id == Consent.user_id)
        .where(Consent.withdrawn_at.is_not(None))
        .order_by(Consent.withdrawn_at.desc(), Consent.id.desc())
    )


def _end_sessions(person: User, now: datetime) -> None:
    person.session_epoch = (person.session_epoch or 0) + 1
    db.session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == person.id, LoginSession.ended_at.is_(None))
        .values(ended_at=now)
    )


# --- who is due ---------------------------------------------------------------------------


class DueReason(enum.StrEnum):
    LEFT = "left"  # the account is disabled: left the college, or disabled by an admin
    WITHDRAWN = "withdrawn"  # withdrew consent
    CHILDREN_LEFT = "children_left"  # a parent whose children all left


@dataclass(frozen=True)
class Due:
    person: User
    reason: DueReason
    left_on: date
    due_on: date


LEAVING_KINDS = (MovementKind.EXPULSION, MovementKind.GRADUATION, MovementKind.LEFT)


def _latest_by_person(query) -> dict[int, date]:
    found: dict[int, date] = {}
    for person_id, value in db.session.execute(query):
        if value is None:
            continue
        day = value.date() if isinstance(value, datetime) else value
        found[person_id] = max(day, found.get(person_id, day))
    return found


def _left_dates(ids: list[int], today: date) -> tuple[dict[int, date], set[int]]:
    """When each person left (the latest sign of it), and who still studies here."""
    if not ids:
        return {}, set()
    signs = [
        _latest_by_person(
            select(Movement.person_id, func.max(Movement.effective_on))
            .where(
                Movement.person_id.in_(ids),
                Movement.kind.in_(LEAVING_KINDS),
                Movement.status == MovementStatus.APPLIED,
            )
            .group_by(Movement.person_id)
        ),
        _latest_by_person(
            select(AuditEvent.object_id, func.max(AuditEvent.at))
            .where(
                AuditEvent.object_type == "User",
                AuditEvent.object_id.in_(ids),
                AuditEvent.action.in_(("person.disabled", "consent.withdrawn")),
            )
            .group_by(AuditEvent.object_id)
        ),
        _latest_by_person(
            select(Consent.user_id, func.max(Consent.withdrawn_at))
            .where(Consent.user_id.in_(ids))
            .group_by(Consent.user_id)
        ),
        _latest_by_person(
            select(Enrollment.student_id, func.max(Enrollment.ends_on))
            .where(Enrollment.student_id.in_(ids))
            .group_by(Enrollment.student_id)
        ),
    ]
    left: dict[int, date] = {}
    for sign in signs:
        for person_id, day in sign.items():
            left[person_id] = max(day, left.get(person_id, day))
    studying = set(
        db.session.scalars(
            select(Enrollment.student_id).where(
                Enrollment.student_id.in_(ids),
                Enrollment.starts_on <= today,
                (Enrollment.ends_on.is_(None)) | (Enrollment.ends_on >= today),
            )
        )
    )
    return left, studying


def due_for_anonymisation(today: date | None = None) -> list[Due]:
    """Everyone whose data should be anonymised by `today`, oldest departure first.

    Works on ids and dates; only the people found due are loaded as objects."""
    today = today or i18n.local_today()
    keep = timedelta(days=retention_days())
    keep_withdrawn = timedelta(days=withdrawal_days())
    found: dict[int, tuple[DueReason, date, date]] = {}

    disabled = db.session.execute(
        select(User.id, User.updated_at, User.created_at).where(
            User.is_active.is_(False), User.anonymised_at.is_(None)
        )
    ).all()
    ids = [row.id for row in disabled]
    left, studying = _left_dates(ids, today)
    withdrawn = _latest_by_person(
        select(Consent.user_id, func.max(Consent.withdrawn_at))
        .where(Consent.user_id.in_(ids), Consent.withdrawn_at.is_not(None))
        .group_by(Consent.user_id)
    )
    in_force = set(
        db.session.scalars(
            select(Consent.user_id)
            .where(Consent.user_id.in_(list(withdrawn)), Consent.withdrawn_at.is_(None))
            .distinct()
        )
    )
    for person_id, updated_at, created_at in disabled:
        if person_id in studying:
            continue
        left_on = left.get(person_id) or (updated_at or created_at).date()
        if person_id in withdrawn and person_id not in in_force:
            day = withdrawn[person_id]
            if day + keep_withdrawn <= today:
                found[person_id] = (DueReason.WITHDRAWN, day, day + keep_withdrawn)
                continue
        if left_on + keep <= today:
            found[person_id] = (DueReason.LEFT, left_on, left_on + keep)

    # Parents (with no other role) whose children have all left, long enough ago.
    other_role = (
        select(UserRole.id)
        .where(UserRole.user_id == Guardian.parent_id, UserRole.role != Role.PARENT)
        .exists()
    )
    links = db.session.execute(
        select(Guardian.parent_id, Guardian.student_id)
        .join(User, User.id == Guardian.parent_id)
        .where(User.is_active.is_(True), User.anonymised_at.is_(None), ~other_role)
    ).all()
    if links:
        kids_of: dict[int, list[int]] = {}
        for parent_id, student_id in links:
            kids_of.setdefault(parent_id, []).append(student_id)
        children = list({student_id for _parent_id, student_id in links})
        child_left, child_studying = _left_dates(children, today)
        active_children = set(
            db.session.scalars(
                select(User.id).where(User.id.in_(children), User.is_active.is_(True))
            )
        )
        for parent_id, kids in kids_of.items():
            if any(k in child_studying or k in active_children for k in kids):
                continue
            days = [child_left[k] for k in kids if k in child_left]
            if len(days) != len(kids):
                continue  # a child with no sign of leaving: not ours to decide
            left_on = max(days)
            if left_on + keep <= today:
                found[parent_id] = (DueReason.CHILDREN_LEFT, left_on, left_on + keep)

    people = {p.id: p for p in db.session.scalars(select(User).where(User.id.in_(list(found))))}
    due = [Due(people[pid], *found[pid]) for pid in found if pid in people]
    return sorted(due, key=lambda d: (d.left_on, d.person.id))


# --- anonymisation ------------------------------------------------------------------------


def _scrub(text: str, needles: Iterable[str]) -> str:
    for needle in sorted({n for n in needles if n and len(n) >= 3}, key=len, reverse=True):
        text = text.replace(needle, PLACEHOLDER)
    return text


def anonymise(person: User, *, actor: User | None, reason: str = "", now: datetime | None = None):
    """Replace the person's personal data with placeholders; keep the rows."""
    if person.anonymised_at is not None:
        return
    now = now or utcnow()
    if person.has_role(Role.ADMIN) and person.is_active:
        accounts.ensure_not_last_admin(person)
    email, phone = person.email, person.phone
    needles = [person.full_name, person.short_name, email or "", phone or ""]
    if phone:
        needles.append(phone.removeprefix("+7"))

    person.last_name = PLACEHOLDER
    person.first_name = f"№ {person.id}"
    person.middle_name = ""
    person.refresh_name_key()
    person.email = None
    person.phone = None
    person.external_id = None
    person.password_hash = None
    person.is_active = False
    person.anonymised_at = now
    _end_sessions(person, now)

    pid = person.id
    execute = db.session.execute
    execute(update(LoginSession).where(LoginSession.user_id == pid).values(ip=None, user_agent=""))
    execute(update(Consent).where(Consent.user_id == pid).values(ip=None, withdrawal_ip=None))
    execute(update(Guardian).where(Guardian.parent_id == pid).values(relation=""))
    execute(update(JoinRequest).where(JoinRequest.user_id == pid).values(relation=""))
    execute(update(EventPerson).where(EventPerson.user_id == pid).values(name="", email=""))
    execute(
        update(CalendarFeed)
        .where(CalendarFeed.owner_id == pid, CalendarFeed.revoked_at.is_(None))
        .values(revoked_at=now, token_version=CalendarFeed.token_version + 1)
    )
    execute(delete(MailPreference).where(MailPreference.user_id == pid))
    for name in ("two_factor", "recovery_code"):  # sign-in secrets, where the schema has them
        table = db.metadata.tables.get(name)
        if table is not None and "user_id" in table.c:
            execute(delete(table).where(table.c.user_id == pid))

    ticket_filter = Ticket.requester_id == pid
    if email:
        ticket_filter = ticket_filter | (Ticket.contact_email == email)
    execute(
        update(Ticket)
        .where(ticket_filter)
        .values(contact_name=PLACEHOLDER, contact_email=None, contact_phone=None)
        .execution_options(synchronize_session=False)
    )
    for message in db.session.scalars(select(TicketMessage).where(TicketMessage.author_id == pid)):
        message.author_label = PLACEHOLDER
        message.body = _scrub(message.body, needles)
    if email:
        execute(
            update(InboundMail)
            .where(InboundMail.from_address == email)
            .values(from_address="", from_name=PLACEHOLDER)
        )
        execute(delete(OutboxMessage).where(_recipient_is(email)))
    # The audit trail keeps every event; only the person's name and addresses leave it.
    name_filters = [AuditEvent.summary.contains(n) for n in needles if n and len(n) >= 3]
    if name_filters:
        for event in db.session.scalars(select(AuditEvent).where(or_(*name_filters))):
            event.summary = _scrub(event.summary, needles)
    execute(update(AuditEvent).where(AuditEvent.actor_id == pid).values(ip=None))
    audit.record(
        "person.anonymised",
        actor=actor,
        obj=person,
        summary=f"{PLACEHOLDER} № {pid}",
        reason=reason,
    )
    db.session.flush()


def anonymise_due(
    *, today: date | None = None, actor: User | None = None, limit: int | None = None
) -> list[Due]:
    """Anonymise everyone due; returns who was anonymised."""
    done = []
    for item in due_for_anonymisation(today)[:limit]:
        anonymise(item.person, actor=actor, reason=item.reason.value)
        done.append(item)
    return done


def _job() -> None:
    anonymise_due(limit=500)


register_job("personal_data.anonymise", 24 * 3600, _job)
