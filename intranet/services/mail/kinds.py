"""Kinds of mail, and each person's choice of the optional ones (no row: the default)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from intranet.extensions import db
from intranet.models import MailPreference, Role, User


@dataclass(frozen=True)
class MailKind:
    """A kind of mail. Optional kinds can be switched off in the profile; required ones
    (security, the person's own requests) are always sent."""

    key: str
    label: Any  # a lazy string
    optional: bool = True
    default: bool = True
    roles: frozenset[Role] | None = None  # who is offered the setting; None: everyone


MAIL_KINDS: dict[str, MailKind] = {}


def register_kind(
    key: str,
    label: Any,
    *,
    optional: bool = True,
    default: bool = True,
    roles: Iterable[Role] | None = None,
) -> MailKind:
    """Declare a kind of mail (at import time of the service that sends it)."""
    kind = MailKind(key, label, optional, default, frozenset(roles) if roles else None)
    MAIL_KINDS[key] = kind
    return kind


# The kinds of every area, so the profile offers them all in one list. Areas that send a new
# kind add it here (or call register_kind from their own service module).
register_kind("account.password_reset", _l("Password reset links"), optional=False)
register_kind(
    "mail.test", _l("Test messages from the «Mail» page"), optional=False, roles=[Role.ADMIN]
)
register_kind(
    "channels.announcement", _l("New announcements in the channels you follow"), default=True
)
register_kind(
    "events.invitation",
    _l("Invitations to events and notices of changes or cancellations"),
    default=True,
)
register_kind("events.reminder", _l("Reminders before events you take part in"), default=True)
register_kind("helpdesk.ticket", _l("Answers and status changes of your help-desk requests"))
register_kind(
    "helpdesk.queue",
    _l("New requests in the help-desk queue"),
    default=True,
    roles=[Role.ADMIN],
)


def kinds_for(user: User) -> list[MailKind]:
    """The kinds of mail this person may receive, optional ones offered in the profile."""
    roles = user.role_set
    return [k for k in MAIL_KINDS.values() if k.roles is None or roles & k.roles]


def preferences(user: User) -> dict[str, bool]:
    """kind → whether this person receives it, for every kind offered to them."""
    saved = dict(
        db.session.execute(
            select(MailPreference.kind, MailPreference.is_enabled).where(
                MailPreference.user_id == user.id
            )
        ).all()
    )
    return {k.key: (saved.get(k.key, k.default) if k.optional else True) for k in kinds_for(user)}


def save_preferences(user: User, choices: Mapping[str, bool]) -> None:
    """Store the person's choice for each optional kind offered to them."""
    existing = {
        p.kind: p
        for p in db.session.scalars(select(MailPreference).where(MailPreference.user_id == user.id))
    }
    for kind in kinds_for(user):
        if not kind.optional or kind.key not in choices:
            continue
        row = existing.get(kind.key)
        if row is None:
            db.session.add(
                MailPreference(user_id=user.id, kind=kind.key, is_enabled=bool(choices[kind.key]))
            )
        else:
            row.is_enabled = bool(choices[kind.key])
    db.session.flush()


def accepting(kind: str, user_ids: Iterable[int]) -> set[int]:
    """Those of these people who receive this kind of mail (one query)."""
    spec = get_kind(kind)
    ids = set(user_ids)
    if not spec.optional or not ids:
        return ids
    rows = db.session.execute(
        select(MailPreference.user_id, MailPreference.is_enabled).where(
            MailPreference.kind == kind, MailPreference.user_id.in_(ids)
        )
    ).all()
    chosen = dict(rows)
    return {uid for uid in ids if chosen.get(uid, spec.default)}


def get_kind(key: str) -> MailKind:
    try:
        return MAIL_KINDS[key]
    except KeyError:
        raise ValueError(f"unknown kind of mail {key!r}: declare it with register_kind") from None
