"""The demo college: `flask demo-data` fills an empty database with a realistic one.

The build is a list of steps, each a function of a `DemoContext`. A capability that wants
demo content of its own (channels, events, help desk, chats) writes one function
`def step(ctx: DemoContext) -> None` in intranet/demo/<area>.py and appends it to STEPS:
by then `ctx.accounts` holds the named demo accounts, `ctx.groups` every study group, and
`ctx.rng` the seeded random source (use it, not `random`, so runs repeat). A step reports
what it made with `ctx.count(label, n)`; the command prints those lines. Many rows go in
with `intranet.demo.bulk.insert_rows` (one executemany per table); a few may use services.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import date

from intranet.demo import channels, chats, college, events, helpdesk, onboarding, stats, students
from intranet.demo.context import DEMO_PASSWORD, DemoContext
from intranet.demo.names import PeopleMaker
from intranet.extensions import db

DEFAULT_SEED = 20260901

Step = Callable[[DemoContext], None]


# In order; later capabilities append theirs before `college.finish`.
STEPS: list[Step] = [
    college.structure,
    college.accounts,
    college.staff,
    college.teaching,
    students.students_and_parents,
    channels.step,
    events.step,
    helpdesk.step,
    onboarding.step,
    chats.step,
    stats.step,
    college.finish,
]


def build_demo_college(
    scale: int = 1, *, seed: int = DEFAULT_SEED, today: date | None = None
) -> str:
    """Fill an empty database with the demo college; returns a summary in Russian.

    Flushes, never commits (the command does). The same seed and day give the same names.
    """
    if scale < 1:
        raise ValueError("scale must be at least 1")
    started = time.perf_counter()
    rng = random.Random(seed)
    ctx = DemoContext(scale=scale, today=today or date.today(), rng=rng, people=PeopleMaker(rng))
    for step in STEPS:
        step(ctx)
    db.session.flush()
    return summary(ctx, time.perf_counter() - started)


def summary(ctx: DemoContext, seconds: float) -> str:
    """The operator's report: what was made and how to sign in."""
    took = f"{seconds:.1f}".replace(".", ",")
    lines = [f"Демонстрационный колледж создан (масштаб {ctx.scale}) за {took} с."]
    lines += [f"  {label}: {n}" for label, n in ctx.counts]
    lines.append(f"Учётные записи (пароль {DEMO_PASSWORD}):")
    titles = {
        "admin": "главный администратор платформы",
        "head": "директор",
        "deputy": "заместитель директора",
        "tutor": "тьютор и преподаватель",
        "teacher": "преподаватель",
        "student": "студент",
        "parent": "родитель",
    }
    for key, title in titles.items():
        user = ctx.accounts.get(key)
        if user is not None:
            lines.append(f"  {user.email} — {title}, {user.full_name}")
    return "\n".join(lines)
