"""Rooms: the auditoriums, workshops and studios events take place in (administrators)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from intranet import policy
from intranet.extensions import db
from intranet.models import Room, User
from intranet.models.base import fold
from intranet.services import audit
from intranet.services.errors import PermissionDenied, ValidationFailed
from intranet.services.events.operations import clean


def save_room(
    room: Room | None,
    *,
    actor: User,
    name: str,
    building: str = "",
    capacity: int | None = None,
    note: str = "",
    is_active: bool = True,
) -> Room:
    """Create or edit a room."""
    if not policy.can(actor, "events.rooms"):
        raise PermissionDenied(_("Only administrators manage rooms."))
    name = clean(name, 120)
    if not name:
        raise ValidationFailed(_("Enter the room's name."), "name")
    if capacity is not None and not 0 < capacity <= 10000:
        raise ValidationFailed(_("The capacity must be between 1 and 10000."), "capacity")
    clash = db.session.scalar(
        select(Room.id).where(Room.name_key == fold(name), Room.id != (room.id if room else -1))
    )
    if clash is not None:
        raise ValidationFailed(_("A room with this name already exists."), "name")
    created = room is None
    room = room or Room()
    room.name, room.name_key = name, fold(name)
    room.building = clean(building, 200)
    room.capacity = capacity
    room.note = clean(note, 300)
    room.is_active = is_active
    db.session.add(room)
    db.session.flush()
    audit.record(
        "events.room_create" if created else "events.room_update",
        actor=actor,
        obj=room,
        summary=room.name,
    )
    return room
