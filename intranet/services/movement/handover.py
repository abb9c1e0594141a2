"""Hand-over when staff leave: what the leaving person holds passes to a successor before
their access ends.

Each area registers what it holds for a person and how to pass it on:

    from intranet.services.movement.handover import register_handover

    register_handover(
        "helpdesk.tickets", _l("Open help-desk tickets"),
        count=lambda person, day: ...,          # how many things the person holds
        transfer=lambda person, successor, day, actor: ...,  # pass them on; return how many
        check=lambda person, successor: None,   # why the successor cannot take them, or None
    )

`transfer` flushes, never commits; it runs in the transaction that also disables the
account, on the effective date of the leaving; with no successor it ends or drops what it
can. The intranet's own kinds are registered in handover_items.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _

from intranet.extensions import db
from intranet.models import User


@dataclass(frozen=True)
class Handover:
    key: str
    label: Any  # a lazy string
    count: Callable[[User, date], int]
    transfer: Callable[[User, User | None, date, User | None], int]
    check: Callable[[User, User], str | None] | None = None
    needs_successor: bool = True


HANDOVERS: dict[str, Handover] = {}


def register_handover(
    key: str,
    label: Any,
    *,
    count: Callable[[User, date], int],
    transfer: Callable[[User, User | None, date, User | None], int],
    check: Callable[[User, User], str | None] | None = None,
    needs_successor: bool = True,
) -> Handover:
    """Declare something a leaving person holds and how it passes to a successor."""
    item = Handover(key, label, count, transfer, check, needs_successor)
    HANDOVERS[key] = item
    return item


def pending_for(person: User, day: date) -> list[tuple[Handover, int]]:
    """What the person holds on that day, by kind (only kinds with something to pass on)."""
    found = []
    for item in HANDOVERS.values():
        n = item.count(person, day)
        if n:
            found.append((item, n))
    return found


def problems(person: User, successor: User | None, day: date) -> list[str]:
    """Why the hand-over cannot go ahead (no successor, or one who cannot take something)."""
    result = []
    for item, _n in pending_for(person, day):
        if successor is None:
            if item.needs_successor:
                result.append(
                    _("Choose a successor to take over: %(what)s.", what=str(item.label).lower())
                )
            continue
        if item.check is not None and (why := item.check(person, successor)):
            result.append(why)
    return result


def hand_over(
    person: User, successor: User | None, day: date, actor: User | None
) -> dict[str, int]:
    """Pass everything on; returns how many of each kind went to the successor."""
    done = {}
    for item in HANDOVERS.values():
        if item.count(person, day):
            done[item.key] = item.transfer(person, successor, day, actor)
    db.session.flush()
    return done
