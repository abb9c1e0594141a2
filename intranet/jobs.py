"""Scheduled jobs for the worker: a registry, and a lease per job so that with several
workers each run happens in exactly one of them.

An area registers its periodic work at import time of its service module:

    from intranet.jobs import register_job

    def publish_due() -> None:
        ...  # flush, do not commit: the runner commits when the function returns

    register_job("channels.publish_due", 60, publish_due)

The function takes no arguments and runs in the worker's app context. The runner commits
when it returns and rolls back if it raises (the error is logged and shown on the «Почта»
page); a long job may commit along the way. Jobs must be idempotent: a worker killed during
a run leaves the lease to expire, and the job runs again in some worker.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from intranet.extensions import db
from intranet.models import JobRun
from intranet.models.base import utcnow

log = logging.getLogger("intranet.jobs")


@dataclass(frozen=True)
class Job:
    name: str
    every_seconds: float
    func: Callable[[], object]
    lease_seconds: float


JOBS: dict[str, Job] = {}
HEARTBEAT = "worker.heartbeat"


def register_job(
    name: str,
    every_seconds: float,
    func: Callable[[], object],
    *,
    lease_seconds: float | None = None,
) -> Job:
    """Run `func` about every `every_seconds` in one of the workers.

    `lease_seconds` (default: the longer of 5 minutes and the period) bounds how long a run
    may take before another worker assumes it died and runs the job again.
    """
    if every_seconds <= 0:
        raise ValueError("every_seconds must be positive")
    if len(name) > 80:
        raise ValueError("job names have at most 80 characters")
    job = Job(name, float(every_seconds), func, float(lease_seconds or max(300.0, every_seconds)))
    JOBS[name] = job
    return job


def job(name: str, every_seconds: float, **options) -> Callable:
    """The decorator form of register_job."""

    def decorate(func: Callable[[], object]) -> Callable[[], object]:
        register_job(name, every_seconds, func, **options)
        return func

    return decorate


def _beat() -> None:
    """Nothing to do: the job's last run tells the «Почта» page that a worker is alive."""


register_job(HEARTBEAT, 30, _beat)


class JobRunner:
    """Runs the registered jobs that are due, taking each one's lease first."""

    def __init__(self, worker_id: str) -> None:
        self.worker_id = worker_id
        self._next_check: dict[str, float] = {}  # monotonic time; spares the database

    def run_due(self, should_stop: Callable[[], bool] = lambda: False) -> list[str]:
        ran = []
        for item in list(JOBS.values()):
            if should_stop():
                break
            if time.monotonic() < self._next_check.get(item.name, 0.0):
                continue
            if self._claim(item):
                self._run(item)
                ran.append(item.name)
        return ran

    def _claim(self, item: Job) -> bool:
        now = utcnow()
        try:
            insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
            db.session.execute(
                insert(JobRun)
                .values(name=item.name, next_run_at=now, run_count=0)
                .on_conflict_do_nothing(index_elements=["name"])
            )
            result = db.session.execute(
                update(JobRun)
                .where(
                    JobRun.name == item.name,
                    JobRun.next_run_at <= now,
                    or_(JobRun.lease_until.is_(None), JobRun.lease_until < now),
                )
                .values(
                    claimed_by=self.worker_id,
                    lease_until=now + timedelta(seconds=item.lease_seconds),
                    last_started_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            claimed = result.rowcount == 1
            if not claimed:
                next_run_at, lease_until = db.session.execute(
                    select(JobRun.next_run_at, JobRun.lease_until).where(JobRun.name == item.name)
                ).one()
                self._wait_until(item, max(next_run_at, lease_until or now), now)
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        return claimed

    def _run(self, item: Job) -> None:
        started = utcnow()
        error = None
        try:
            item.func()
            db.session.commit()
        except Exception as exc:
            db.session.rollback()
            log.exception("job %s failed", item.name)
            error = f"{type(exc).__name__}: {exc}"[:1000]
        finished = utcnow()
        next_run = max(started + timedelta(seconds=item.every_seconds), finished)
        try:
            db.session.execute(
                update(JobRun)
                .where(JobRun.name == item.name, JobRun.claimed_by == self.worker_id)
                .values(
                    lease_until=None,
                    next_run_at=next_run,
                    last_finished_at=finished,
                    last_error=error,
                    run_count=JobRun.run_count + 1,
                )
                .execution_options(synchronize_session=False)
            )
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        self._wait_until(item, next_run, finished)

    def _wait_until(self, item: Job, when: datetime, now: datetime) -> None:
        # Clocks of several hosts differ a little; never wait longer than one period.
        delay = min(max(0.0, (when - now).total_seconds()), item.every_seconds)
        self._next_check[item.name] = time.monotonic() + delay


def job_states() -> list[tuple[Job, JobRun | None]]:
    """Every registered job with its last run, for the «Почта» page."""
    rows = {r.name: r for r in db.session.scalars(select(JobRun))}
    return [(item, rows.get(item.name)) for item in sorted(JOBS.values(), key=lambda j: j.name)]
