"""Concurrent writers against gunicorn (4 workers × 4 threads): nothing lost, nothing doubled.

    python -m bench.write_load [--duration S] [--clients N] [--engines sqlite,pg]

The demo college in a fresh database (SQLite in WAL mode in a temporary instance; PostgreSQL
in a database of its own on the server INTRANET_TEST_DATABASE_URL names, created and dropped
here), served by gunicorn with the gthread worker on loopback. Client threads sign in through
the login form as the demo accounts and write for a fixed time, reading pages in between:

- ticket writers file help-desk tickets, each with a subject of its own;
- draft writers save announcements to the teachers' channel, every other one sent for review;
- two sessions of the deputy (the channel's approver) race to approve each announcement sent
  for review, so every one is approved by both at once.

Then the database is read directly and compared with what the clients were told: each ticket
and draft answered with a redirect is there exactly once, none that failed is there, and each
announcement with an approval answered with a redirect holds exactly one approval (none
without). Any 5xx, "database is locked" or traceback in the server's log fails the run.
Prints per engine

    bench write_load_<engine> requests=<n> ok=<n> 5xx=<n> lost=<n> rps=<n>

(lost counts every disagreement between the answers and the rows: lost, doubled or extra).
tests/load/test_write_load.py runs the same in a bounded form.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench.liveserver import (
    LiveServer,
    Reply,
    _HiddenInputs,
    app_env,
    build_database,
    demo_email,
    fetch,
    login_cookies,
)

DEFAULT_DURATION = 30.0
CHANNEL_NAME = "Для преподавателей"  # the demo channel with one stage: the deputy approves
APPROVER = "deputy"
TICKET_WRITERS = ("student", "parent", "teacher", "tutor")
DRAFT_WRITERS = ("teacher", "head", "admin")
LOG_PROBLEMS = re.compile(r"database is locked|Traceback|deadlock detected", re.I)


@dataclass
class Result:
    engine: str
    requests: int = 0
    ok: int = 0
    server_errors: int = 0
    lost: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)  # readable, for the test's message
    log_problems: list[str] = field(default_factory=list)
    tickets: int = 0
    drafts: int = 0
    approvals: int = 0
    statuses: dict[int, int] = field(default_factory=dict)  # 0: no answer (socket error)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        return (
            f"bench write_load_{self.engine} requests={self.requests} ok={self.ok} "
            f"5xx={self.server_errors} lost={self.lost} rps={self.rps:.0f}"
        )


class Tally:
    """What the clients were told, shared by their threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: Counter[int] = Counter()
        self.failures: list[str] = []
        self.tickets_ok: set[str] = set()
        self.tickets_failed: set[str] = set()
        self.drafts_ok: dict[str, int] = {}  # title -> announcement id
        self.drafts_failed: set[str] = set()
        self.approved: Counter[int] = Counter()  # announcement id -> approvals answered 302
        self.approve_tried: set[int] = set()
        self.to_approve: list[int] = []  # sent for review, for both approvers

    def answer(self, what: str, reply: Reply | None, error: str = "") -> None:
        with self.lock:
            if reply is None:
                self.statuses[0] += 1
                self.failures.append(f"{what}: {error}")
                return
            self.statuses[reply.status] += 1
            if reply.status >= 500:
                self.failures.append(f"{what}: HTTP {reply.status}")


class Client(threading.Thread):
    def __init__(self, name: str, role: str, job: str, base: str, tally: Tally, until: float):
        super().__init__(name=name, daemon=True)
        self.role, self.job, self.base, self.tally, self.until = role, job, base, tally, until
        self.cookies: dict[str, str] = {}
        self.token = ""
        self.n = 0
        self.run_id = secrets.token_hex(3)
        self.channel = 0
        self.done: set[int] = set()  # announcements this approver has tried

    def request(self, what: str, path: str, form: dict | None = None) -> Reply | None:
        try:
            reply = fetch(
                self.base,
                path,
                method="POST" if form is not None else "GET",
                form=form,
                cookies=self.cookies,
                timeout=30,
            )
        except OSError as error:
            self.tally.answer(what, None, repr(error))
            return None
        self.cookies.update(reply.cookies())  # the session carries the CSRF token
        self.tally.answer(what, reply)
        return reply

    def csrf(self, path: str) -> None:
        reply = self.request(f"GET {path}", path)
        if reply is not None and reply.status == 200:
            parser = _HiddenInputs()
            parser.feed(reply.body.decode("utf-8", "replace"))
            self.token = parser.values.get("csrf_token", self.token)

    def run(self) -> None:
        try:
            self.cookies = login_cookies(self.base, demo_email(self.role))
        except (OSError, RuntimeError) as error:
            self.tally.answer(f"sign-in as {self.role}", None, repr(error))
            return
        step = {"ticket": self.ticket, "draft": self.draft, "approve": self.approve}[self.job]
        while time.monotonic() < self.until:
            step()

    def ticket(self) -> None:
        if not self.token or self.n % 5 == 0:
            self.csrf("/helpdesk/new/other")
        self.n += 1
        subject = f"Нагрузка {self.run_id} {self.name} №{self.n}"
        form = {
            "csrf_token": self.token,
            "subject": subject,
            "description": "Не открывается журнал после обновления.",
            "contact_email": "",
            "contact_phone": "",
            "for_student": "",
        }
        reply = self.request("file a ticket", "/helpdesk/new/other", form)
        ok = reply is not None and reply.status == 302
        with self.tally.lock:
            (self.tally.tickets_ok if ok else self.tally.tickets_failed).add(subject)
        if ok:
            self.request("GET the ticket", urllib.parse.urlsplit(reply.headers["Location"]).path)
        self.request("GET /helpdesk/mine", "/helpdesk/mine")

    def draft(self) -> None:
        if not self.token or self.n % 5 == 0:
            self.channel = self.channel_id()
        self.n += 1
        title = f"Нагрузка {self.run_id} {self.name} №{self.n}"
        submit = self.n % 2 == 0
        form = {
            "csrf_token": self.token,
            "channel": str(self.channel),
            "title": title,
            "body": "Методическое совещание переносится на четверг, 15:00, ауд. 214.",
            "go_live_at": "",
            "expire_at": "",
            "image_alt": "",
            "base_no": "",
            "save_submit" if submit else "save": "1",
        }
        reply = self.request("save a draft", "/announcements/new", form)
        ok = reply is not None and reply.status == 302
        found = (
            re.search(r"/announcements/(\d+)/work", reply.headers.get("Location", ""))
            if ok
            else None
        )
        with self.tally.lock:
            if found:
                self.tally.drafts_ok[title] = int(found.group(1))
                if submit:
                    self.tally.to_approve.append(int(found.group(1)))
            else:
                self.tally.drafts_failed.add(title)
                if ok:
                    self.tally.failures.append(f"save a draft: redirected to {reply.headers}")
        self.request("GET /announcements/", "/announcements/")

    def channel_id(self) -> int:
        reply = self.request("GET /announcements/new", "/announcements/new")
        if reply is None or reply.status != 200:
            return self.channel
        page = reply.body.decode("utf-8", "replace")
        parser = _HiddenInputs()
        parser.feed(page)
        self.token = parser.values.get("csrf_token", self.token)
        found = re.search(r'<option[^>]*value="(\d+)"[^>]*>\s*' + re.escape(CHANNEL_NAME), page)
        if not found:
            raise RuntimeError(f"no channel «{CHANNEL_NAME}» to draft in")
        return int(found.group(1))

    def approve(self) -> None:
        with self.tally.lock:
            pending = [i for i in self.tally.to_approve if i not in self.done]
        if not pending:
            self.request("GET /", "/")
            time.sleep(0.05)
            return
        item = pending[0]
        self.done.add(item)
        if not self.token or self.n % 5 == 0:
            self.csrf(f"/announcements/{item}/work")
        self.n += 1
        form = {"csrf_token": self.token, "revision_no": "1", "comment": "", "approve": "1"}
        reply = self.request("approve", f"/announcements/{item}/approve", form)
        with self.tally.lock:
            self.tally.approve_tried.add(item)
            if reply is not None and reply.status == 302:
                self.tally.approved[item] += 1


def _database(engine: str, workdir: Path) -> tuple[str, str | None]:
    """The URL of a fresh database, and the name of the PostgreSQL database to drop after."""
    if engine == "sqlite":
        return f"sqlite:///{workdir / 'intranet.sqlite3'}", None
    import psycopg

    base = os.environ["INTRANET_TEST_DATABASE_URL"]
    name = f"intranet_write_load_{secrets.token_hex(4)}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return base.rpartition("/")[0] + "/" + name, name


def _drop(name: str) -> None:
    import psycopg

    with psycopg.connect(os.environ["INTRANET_TEST_DATABASE_URL"], autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _check_rows(url: str, tally: Tally, result: Result) -> None:
    """Compare the rows with the answers; every disagreement counts as lost."""
    from sqlalchemy import create_engine, select

    from intranet.models import Announcement, ReviewDecision, ReviewRound, Revision, Ticket
    from intranet.models.channels import Verdict

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            prefix = "Нагрузка %"
            subjects = Counter(
                conn.scalars(select(Ticket.subject).where(Ticket.subject.like(prefix))).all()
            )
            titles = Counter(
                conn.scalars(
                    select(Revision.title).where(Revision.number == 1, Revision.title.like(prefix))
                ).all()
            )
            announcements = dict(
                conn.execute(
                    select(Revision.title, Revision.announcement_id).where(
                        Revision.number == 1, Revision.title.like(prefix)
                    )
                ).all()
            )
            approvals = Counter(
                conn.scalars(
                    select(ReviewRound.announcement_id)
                    .join(ReviewDecision, ReviewDecision.round_id == ReviewRound.id)
                    .join(Announcement, Announcement.id == ReviewRound.announcement_id)
                    .where(ReviewDecision.verdict == Verdict.APPROVED)
                    .where(ReviewRound.announcement_id.in_(list(tally.approve_tried) or [0]))
                ).all()
            )
    finally:
        engine.dispose()

    def wrong(message: str) -> None:
        result.lost += 1
        if len(result.problems) < 20:
            result.problems.append(message)

    for subject in tally.tickets_ok:
        if subjects[subject] != 1:
            wrong(f"ticket «{subject}» answered 302 is in the database {subjects[subject]} times")
    for subject in set(subjects) - tally.tickets_ok:
        wrong(f"ticket «{subject}» is in the database but its answer was not a redirect")
    for title, ident in tally.drafts_ok.items():
        if titles[title] != 1 or announcements.get(title) != ident:
            wrong(
                f"draft «{title}» (#{ident}) answered 302 is in the database {titles[title]} times"
            )
    for title in set(titles) - set(tally.drafts_ok):
        wrong(f"draft «{title}» is in the database but its answer was not a redirect")
    for item in tally.approve_tried:
        expected = 1 if tally.approved[item] else 0
        if approvals[item] != expected:
            wrong(
                f"announcement #{item}: {tally.approved[item]} approvals answered 302, "
                f"{approvals[item]} in the database"
            )
    result.tickets = len(tally.tickets_ok)
    result.drafts = len(tally.drafts_ok)
    result.approvals = sum(1 for n in tally.approved.values() if n)


def write_load(
    engine: str, *, duration: float, clients: int = 9, workdir: Path | None = None
) -> Result:
    """One run on one engine ('sqlite' or 'pg'); see the module's docstring."""
    own_tmp = workdir is None
    workdir = Path(tempfile.mkdtemp(prefix=f"write-load-{engine}-")) if own_tmp else workdir
    workdir.mkdir(parents=True, exist_ok=True)
    url, pg_name = _database(engine, workdir)
    result = Result(engine)
    log = workdir / "server.log"
    try:
        env = app_env(url, workdir)
        build_database(env, scale=1, log=log)
        build_end = log.stat().st_size
        tally = Tally()
        with LiveServer(env, log, workers=4, threads=4) as server:
            jobs = [("approve", APPROVER), ("approve", APPROVER)]
            writers = [("draft", r) for r in DRAFT_WRITERS] + [
                ("ticket", r) for r in TICKET_WRITERS
            ]
            while len(jobs) < clients:
                jobs.append(writers[(len(jobs) - 2) % len(writers)])
            started = time.monotonic()
            threads = [
                Client(f"{job}-{n}", role, job, server.url, tally, started + duration)
                for n, (job, role) in enumerate(jobs)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(duration + 120)
            # The approvers stop with the clock: what they did not reach stays in review.
            result.seconds = time.monotonic() - started
        result.statuses = dict(sorted(tally.statuses.items()))
        result.requests = sum(tally.statuses.values())
        result.ok = sum(n for status, n in tally.statuses.items() if 200 <= status < 400)
        result.server_errors = sum(n for status, n in tally.statuses.items() if status >= 500)
        result.problems += tally.failures[:20]
        with log.open(errors="replace") as text:
            text.seek(build_end)
            result.log_problems = [line.rstrip() for line in text if LOG_PROBLEMS.search(line)]
        _check_rows(url, tally, result)
        others = {s: n for s, n in tally.statuses.items() if not (200 <= s < 400 or s == 403)}
        if others:
            result.problems.append(f"answers other than 2xx/3xx/403: {dict(others)}")
        result.problems.append(f"statuses: {result.statuses}")
    finally:
        if pg_name:
            _drop(pg_name)
        if own_tmp and not result.log_problems and not result.server_errors and not result.lost:
            shutil.rmtree(workdir, ignore_errors=True)
    return result


def engines() -> list[str]:
    return ["sqlite"] + (["pg"] if os.environ.get("INTRANET_TEST_DATABASE_URL") else [])


def run(
    duration: float | None = None, clients: int = 9, only: list[str] | None = None
) -> list[str]:
    """Every figure, as printed lines (bench/__main__.py calls this)."""
    duration = duration or float(os.environ.get("BENCH_WRITE_SECONDS", DEFAULT_DURATION))
    lines = []
    for engine in only or engines():
        result = write_load(engine, duration=duration, clients=clients)
        print(
            f"# write_load {engine}: {result.tickets} tickets, {result.drafts} drafts, "
            f"{result.approvals} approvals; {result.problems[-1]}",
            file=sys.stderr,
            flush=True,
        )
        for problem in result.problems[:-1] + result.log_problems[:10]:
            print(f"# write_load {engine}: {problem}", file=sys.stderr, flush=True)
        lines.append(result.line())
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=DEFAULT_DURATION)
    parser.add_argument("--clients", type=int, default=9)
    parser.add_argument("--engines", help="sqlite,pg (default: both when PostgreSQL is set)")
    args = parser.parse_args(argv)
    only = args.engines.split(",") if args.engines else None
    for line in run(args.duration, args.clients, only):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
