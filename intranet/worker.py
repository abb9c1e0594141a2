"""The background worker: `flask --app wsgi worker` delivers the outbox and runs the jobs.

Several workers may run at once (on PostgreSQL, on several hosts): messages are claimed
with a lease and each job run takes the job's lease. SIGTERM (or Ctrl-C) finishes the
message in hand, gives back the rest of the batch and exits.
"""

from __future__ import annotations

import importlib
import logging
import os
import pkgutil
import secrets
import signal
import socket
import time
from dataclasses import dataclass

import click
from flask import Flask, current_app

from intranet.extensions import db
from intranet.jobs import JOBS, JobRunner
from intranet.services.mail import delivery
from intranet.services.mail.transport import transport_for

log = logging.getLogger("intranet.worker")


@dataclass
class Totals:
    batches: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0
    released: int = 0
    jobs: int = 0

    def line(self) -> str:
        return (
            f"sent={self.sent} retried={self.retried} dead={self.dead} "
            f"released={self.released} jobs={self.jobs}"
        )


class Worker:
    def __init__(self, app: Flask, *, run_jobs: bool = True) -> None:
        self.app = app
        self.id = f"{socket.gethostname()[:50]}:{os.getpid()}:{secrets.token_hex(3)}"
        self.settings = delivery.DeliverySettings.from_config(app.config)
        self.poll_seconds = max(0.01, float(app.config["MAIL_POLL_SECONDS"]))
        self.transport = transport_for(app)
        self.jobs = JobRunner(self.id) if run_jobs else None
        self.stopping = False
        self.totals = Totals()

    def stop(self, signum: int | None = None, _frame=None) -> None:
        if self.stopping and signum == signal.SIGINT:
            raise KeyboardInterrupt
        if not self.stopping:
            log.info("worker %s: stopping after the message in hand", self.id)
        self.stopping = True

    def run(self, *, once: bool = False, drain: bool = False, max_seconds: float | None = None):
        """Deliver and run jobs until stopped (or done, with `once`, `drain`, `max_seconds`)."""
        started = time.monotonic()
        failures = 0
        log.info("worker %s started: %s, %d jobs", self.id, self.transport.description, len(JOBS))

        def should_stop() -> bool:
            return self.stopping or (
                max_seconds is not None and time.monotonic() - started >= max_seconds
            )

        while not should_stop():
            try:
                claimed = self._step(should_stop)
                failures = 0
            except Exception:
                db.session.rollback()
                failures += 1
                log.exception("worker %s: delivery round failed", self.id)
                self._sleep(min(30.0, self.poll_seconds * 2**failures), should_stop)
                continue
            if claimed:
                continue
            if once or (drain and not delivery.has_undelivered()):
                break
            self._sleep(self.poll_seconds, should_stop)
        db.session.remove()
        log.info("worker %s stopped: %s", self.id, self.totals.line())
        return self.totals

    def _step(self, should_stop) -> int:
        result = delivery.deliver_batch(
            self.transport, worker_id=self.id, settings=self.settings, should_stop=should_stop
        )
        totals = self.totals
        if result.claimed:
            totals.batches += 1
            totals.sent += result.sent
            totals.retried += result.retried
            totals.dead += result.dead
            totals.released += result.released
            log.info(
                "worker %s: %d claimed, %d sent, %d to retry, %d failed, %d released%s",
                self.id,
                result.claimed,
                result.sent,
                result.retried,
                result.dead,
                result.released,
                f" (last error: {result.errors[-1]})" if result.errors else "",
            )
        if self.jobs is not None and not should_stop():
            totals.jobs += len(self.jobs.run_due(should_stop))
        return result.claimed

    def _sleep(self, seconds: float, should_stop) -> None:
        end = time.monotonic() + seconds
        while not should_stop() and (left := end - time.monotonic()) > 0:
            time.sleep(min(left, 0.1))


def load_job_modules() -> None:
    """Import every service module, so the jobs they register are known to the worker.

    A module that fails to import is logged; mail is still delivered without its jobs.
    """
    import intranet.services as package

    def failed(name: str) -> None:
        log.exception("worker: cannot import %s; its jobs will not run", name)

    for info in pkgutil.walk_packages(package.__path__, "intranet.services.", onerror=failed):
        try:
            importlib.import_module(info.name)
        except Exception:
            failed(info.name)


@click.command("worker")
@click.option("--once", is_flag=True, help="Deliver what is due now, run due jobs, and exit.")
@click.option("--drain", is_flag=True, help="Exit once no message waits to be delivered.")
@click.option("--max-seconds", type=float, default=None, help="Exit after this many seconds.")
@click.option("--no-jobs", is_flag=True, help="Only deliver mail; run no scheduled jobs.")
def worker(once: bool, drain: bool, max_seconds: float | None, no_jobs: bool) -> None:
    """Deliver the mail outbox and run scheduled jobs until stopped (SIGTERM)."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    log.setLevel(logging.INFO)
    logging.getLogger("intranet.mail").setLevel(logging.INFO)
    app = current_app._get_current_object()
    load_job_modules()
    runner = Worker(app, run_jobs=not no_jobs)
    previous = {sig: signal.signal(sig, runner.stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        totals = runner.run(once=once, drain=drain, max_seconds=max_seconds)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    click.echo(f"worker {runner.id}: {totals.line()}")
