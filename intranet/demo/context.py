"""What the demo build's steps share."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from intranet.demo.names import PeopleMaker
from intranet.models import User

DEMO_PASSWORD = "demo-password"  # noqa: S105 - documented: every named demo account uses it


@dataclass
class GroupInfo:
    """A study group as the later steps need it, without loading rows."""

    id: int
    name: str
    speciality_code: str
    department: str
    admission_year: int
    course: int
    has_tutor: bool = True
    student_ids: list[int] = field(default_factory=list)


@dataclass
class DemoContext:
    """What the steps share: settings, the seeded random source, and what was built so far."""

    scale: int
    today: date
    rng: random.Random
    people: PeopleMaker
    bulk_password_hash: str | None = None
    accounts: dict[str, User] = field(default_factory=dict)  # "admin", "head", … "parent"
    department_ids: dict[str, int] = field(default_factory=dict)
    speciality_ids: dict[str, int] = field(default_factory=dict)
    discipline_ids: dict[str, int] = field(default_factory=dict)
    groups: list[GroupInfo] = field(default_factory=list)
    demo_group: GroupInfo | None = None
    staff_ids: dict[str, list[int]] = field(default_factory=dict)  # teaching pool → teachers
    teacher_ids: list[int] = field(default_factory=list)  # every confirmed teacher
    counts: list[tuple[str, int]] = field(default_factory=list)
    _orders: dict[tuple[int, str], int] = field(default_factory=dict)

    @property
    def academic_year(self) -> int:
        """The year the current academic year started (1 September)."""
        return self.today.year if self.today.month >= 9 else self.today.year - 1

    def count(self, label: str, n: int) -> None:
        """A line of the summary the command prints: what a step made and how many."""
        self.counts.append((label, n))

    def order(self, kind: str, on: date) -> str:
        """The number of a head's order signed that day, like «214-к»: unique within its year."""
        key = (on.year, kind)
        number = self._orders.get(key) or self.rng.randint(120, 260)
        self._orders[key] = number + self.rng.randint(1, 4)
        return f"{number}-{kind}"

    def recent_day(self, since: date, *, margin: int = 7) -> date:
        """A random day between `since` and a week before today (or `since` itself)."""
        span = (self.today - timedelta(days=margin) - since).days
        return since + timedelta(days=self.rng.randint(0, span)) if span > 0 else since
