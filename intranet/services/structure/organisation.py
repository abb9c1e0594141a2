"""The organisation profile (one row) and the figures on the structure start page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from zoneinfo import available_timezones

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from intranet.extensions import db
from intranet.models import (
    Department,
    Discipline,
    Organisation,
    Platform,
    Speciality,
    StudyGroup,
    TutorAssignment,
    User,
)
from intranet.services import audit
from intranet.services.errors import Conflict, ValidationFailed
from intranet.services.phones import normalize_phone
from intranet.services.structure._common import clean, current, require_manage

# The zones Russia uses, west to east; the profile form offers these.
RUSSIAN_TIMEZONES = (
    "Europe/Kaliningrad",
    "Europe/Moscow",
    "Europe/Samara",
    "Asia/Yekaterinburg",
    "Asia/Omsk",
    "Asia/Novosibirsk",
    "Asia/Krasnoyarsk",
    "Asia/Irkutsk",
    "Asia/Yakutsk",
    "Asia/Vladivostok",
    "Asia/Magadan",
    "Asia/Kamchatka",
)


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(z for z in available_timezones() if "/" in z or z == "UTC")


def valid_timezone(name: str) -> bool:
    """True for an IANA zone name the system knows (Europe/Moscow, Asia/Omsk …)."""
    return name in _zones()


def get_organisation() -> Organisation | None:
    """The college's profile, or None before the first save."""
    return db.session.scalar(select(Organisation).order_by(Organisation.id).limit(1))


def save_organisation(
    *,
    actor: User,
    full_name: str,
    short_name: str,
    address: str = "",
    timezone: str,
    phone: str | None = None,
    admin_contact: str = "",
    platform: Platform | str = Platform.VK,
) -> Organisation:
    """Create the single organisation row on first save, update it afterwards."""
    require_manage(actor)
    values = {
        "full_name": clean(full_name),
        "short_name": clean(short_name),
        "address": clean(address),
        "admin_contact": clean(admin_contact),
    }
    if not values["full_name"]:
        raise ValidationFailed(_("Enter the full name of the college."), "full_name")
    if not values["short_name"]:
        raise ValidationFailed(_("Enter the short name of the college."), "short_name")
    zone = (timezone or "").strip()
    if not valid_timezone(zone):
        raise ValidationFailed(_("Choose a time zone, e.g. Europe/Moscow."), "timezone")
    phone_norm = normalize_phone(phone) if phone and phone.strip() else None
    if phone and phone.strip() and phone_norm is None:
        raise ValidationFailed(_("Enter a Russian phone number, e.g. +7 912 345-67-89."), "phone")
    try:
        platform = Platform(platform)
    except ValueError as error:
        raise ValidationFailed(_("Choose the messenger."), "platform") from error
    org = get_organisation()
    created = org is None
    try:
        # Inside a savepoint: a concurrent first save collides on the fixed id (so there is
        # never a second row) and becomes a message, not a broken session.
        with db.session.begin_nested():
            if org is None:
                org = Organisation(id=1)
                db.session.add(org)
            for name, value in values.items():
                setattr(org, name, value)
            org.timezone, org.phone, org.platform = zone, phone_norm, platform
    except IntegrityError as error:
        raise Conflict(_("Someone has just saved the profile. Open the page again.")) from error
    audit.record(
        "organisation.created" if created else "organisation.updated",
        actor=actor,
        obj=org,
        summary=org.short_name,
        timezone=zone,
        platform=platform.value,
    )
    return org


@dataclass
class Overview:
    organisation: Organisation | None
    departments: int
    specialities: int
    groups: int
    archived_groups: int
    disciplines: int
    untutored_groups: int


def overview(today: date) -> Overview:
    """The figures on the structure start page."""
    tutored = select(TutorAssignment.group_id).where(current(TutorAssignment, today))
    active = StudyGroup.is_archived.is_(False)
    row = db.session.execute(
        select(
            select(func.count(Department.id)).scalar_subquery(),
            select(func.count(Speciality.id)).scalar_subquery(),
            select(func.count(StudyGroup.id)).where(active).scalar_subquery(),
            select(func.count(StudyGroup.id)).where(~active).scalar_subquery(),
            select(func.count(Discipline.id)).scalar_subquery(),
            select(func.count(StudyGroup.id))
            .where(active, StudyGroup.id.not_in(tutored))
            .scalar_subquery(),
        )
    ).one()
    return Overview(get_organisation(), *row)
