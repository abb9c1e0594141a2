"""The pages `make bench` measures. A capability adds its pages by appending to PAGES.

`path` is a string or a function called inside the app context of the benchmark's own app
(against the same database), for pages that need an object's id, e.g.
    Page("ticket", lambda: f"/helpdesk/{db.session.scalar(select(Ticket.id).limit(1))}", "admin")
`role` is the demo account the page is loaded as (None: anonymous).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    name: str
    path: str | Callable[[], str]
    role: str | None = None
    status: int = 200  # the answer the page must give, checked before it is loaded
    target: float = 0.25  # the ratio to the floor it should reach


PAGES: list[Page] = [
    Page("login", "/login"),
    Page("home_admin", "/", "admin"),
    Page("home_head", "/", "head"),
    Page("home_deputy", "/", "deputy"),
    Page("home_tutor", "/", "tutor"),
    Page("home_teacher", "/", "teacher"),
    Page("home_student", "/", "student"),
    Page("home_parent", "/", "parent"),
    Page("people", "/people/", "admin"),
]


# --- help desk -------------------------------------------------------------------------------


def _escalated_ticket() -> str:
    """The demo's ticket with the longest conversation: forwarded to the vendor."""
    from intranet.extensions import db
    from intranet.models import Ticket

    ticket_id = db.session.scalar(
        db.select(Ticket.id).where(Ticket.subject == "Видеоурок обрывается через минуту").limit(1)
    )
    return f"/helpdesk/tickets/{ticket_id}"


PAGES += [
    Page("helpdesk_queue", "/helpdesk/queue", "admin"),
    Page("helpdesk_ticket", _escalated_ticket, "admin"),
    Page("helpdesk_mine", "/helpdesk/mine", "student"),
    Page("helpdesk_public_form", "/helpdesk/public/login"),
    Page("helpdesk_help", "/helpdesk/help"),
]
