"""Demo step: the platform's own figures, as the main admin copied them from the Sferum
administrator's panel at the end of each month of the last academic year and this one."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from intranet.demo.bulk import insert_rows
from intranet.demo.context import DemoContext
from intranet.extensions import db
from intranet.models import Chat, Organisation, PlatformSnapshot, User
from intranet.models.base import utcnow

MONTHS = 15


def _month_ends(today: date, count: int) -> list[date]:
    """The last day of each of the `count` months before this one, oldest first."""
    ends, day = [], today.replace(day=1) - timedelta(days=1)
    for _ in range(count):
        ends.append(day)
        day = day.replace(day=1) - timedelta(days=1)
    return ends[::-1]


def step(ctx: DemoContext) -> None:
    db.session.flush()
    accounts = db.session.scalar(select(func.count(User.id)).where(User.password_hash.is_not(None)))
    chats = db.session.scalar(select(func.count(Chat.id))) or 0
    platform = db.session.scalar(select(Organisation.platform).limit(1))
    admin = ctx.accounts.get("admin")
    now = utcnow()
    rows = []
    days = _month_ends(ctx.today, MONTHS)
    for n, day in enumerate(days):
        # Members grow through the year as students and parents join; activity dips in
        # the summer holidays.
        grown = 0.8 + 0.2 * (n + 1) / len(days)
        members = int(accounts * grown * ctx.rng.uniform(1.02, 1.08))
        summer = day.month in (7, 8)
        share = ctx.rng.uniform(0.25, 0.35) if summer else ctx.rng.uniform(0.62, 0.78)
        active = int(members * share)
        rows.append(
            {
                "platform": platform,
                "taken_on": day,
                "members": members,
                "active_users": active,
                "messages": active * ctx.rng.randint(18, 40),
                "calls": int(active * ctx.rng.uniform(0.05, 0.12)) if not summer else None,
                "broadcasts": ctx.rng.randint(0, 2) if summer else ctx.rng.randint(6, 18),
                "chats": int(max(chats, accounts // 12) * grown),
                "note": "",
                "entered_by_id": admin.id if admin is not None else None,
                "created_at": now,
                "updated_at": now,
            }
        )
    insert_rows(PlatformSnapshot, rows)
    ctx.count("Показатели платформы из панели Сферума (по месяцам)", len(rows))
