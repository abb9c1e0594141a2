"""Mail delivery: messages per second from the outbox to a local SMTP server (aiosmtpd).

    python -m bench.mail_throughput [--messages N]

One worker, then two, each `flask --app wsgi worker --drain` as a subprocess against a fresh
database (SQLite as `make run` uses it; PostgreSQL too when INTRANET_TEST_DATABASE_URL is set,
in a database of its own, intranet_outbox_bench). The rate is counted at the server, from the
first message received to the last, so process start-up is left out. Then a fault run: workers
killed with SIGKILL at random moments while delivering, restarted, some recipients refused
with 550; it reports sent, lost, duplicates and dead. Then the chaos run on each engine
(chaos()): 1,000 messages, the worker SIGKILLed ten times at random moments, the server also
answering 421/451 at random, and business transactions queueing mail meanwhile, half of them
rolled back (those must never be sent); dead must equal the 550 ones. Prints lines like

    bench mail_worker1 msgs_per_s=<n> per_worker=<n> sent=<n> lost=<n> duplicates=<n> db=sqlite
        cpu_ms_per_msg=<ms> cpu_bound_msgs_per_s=<n>

cpu_ms_per_msg is the worker's own CPU per message (start-up measured apart and left out), a
figure that other load on the machine hardly skews; cpu_bound_msgs_per_s is what one worker
reaches with a core to itself. mail_queue is queue_mail's rate (render, build, INSERT).

    bench mail_chaos sent=<n> lost=0 duplicates=<≤ kills> kills=10 dead=<n> refused=<n> ...
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from pathlib import Path

from aiosmtpd.controller import Controller

from bench.liveserver import PYTHON, ROOT, app_env, free_port

DEFAULT_MESSAGES = 2000
CHAOS_MESSAGES = 1000
CHAOS_KILLS = 10
WORKER_TIMEOUT = 300


class Sink:
    """Accepts every message (or refuses scripted recipients) and notes when it arrived."""

    def __init__(self, refuse: frozenset[str] = frozenset()) -> None:
        self.refuse = refuse
        self.lock = threading.Lock()
        self.ids: list[str] = []
        self.times: list[float] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        headers = BytesHeaderParser().parsebytes(envelope.content)
        with self.lock:
            self.ids.append(str(headers["Message-ID"]))
            self.times.append(time.monotonic())
        return "250 2.0.0 Accepted"

    def count(self) -> int:
        with self.lock:
            return len(self.ids)

    def rate(self) -> float:
        with self.lock:
            if len(self.times) < 2:
                return 0.0
            return (len(self.times) - 1) / max(self.times[-1] - self.times[0], 1e-9)


def _database(kind: str, workdir: Path) -> str:
    workdir.mkdir(parents=True, exist_ok=True)
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'mail-bench.sqlite3'}"
    import psycopg

    base = os.environ["INTRANET_TEST_DATABASE_URL"]
    with psycopg.connect(base, autocommit=True) as conn:
        if not conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = 'intranet_outbox_bench'"
        ).fetchone():
            conn.execute("CREATE DATABASE intranet_outbox_bench")
    return base.rpartition("/")[0] + "/intranet_outbox_bench"


def _fill(
    url: str, workdir: Path, count: int, *, refuse_every: int = 0
) -> tuple[tuple[float, float], list]:
    """A fresh schema and `count` queued messages; returns queue_mail's rate (messages per
    second, CPU milliseconds per message) and the Message-IDs."""
    from types import SimpleNamespace

    from sqlalchemy import insert

    from intranet import create_app
    from intranet.extensions import db
    from intranet.models import OutboxMessage
    from intranet.services.mail import queue_mail

    app = create_app(
        {
            "TESTING": True,
            "ENV": "testing",
            "SECRET_KEY": "bench-" + "x" * 40,
            "TOKEN_KEY": "bench-" + "y" * 40,
            "SQLALCHEMY_DATABASE_URI": url,
            "MAIL_DIR": str(workdir / "mail"),
        }
    )
    person = SimpleNamespace(first_name="Анна")
    with app.app_context():
        db.drop_all()
        db.create_all()
        if not count:
            db.engine.dispose()
            return (0.0, 0.0), []
        # queue_mail's own rate, on a sample: rendering, building and the INSERT.
        sample = min(count, 300)
        started, cpu_started = time.perf_counter(), time.process_time()
        with app.test_request_context():
            rows = [
                queue_mail(
                    "mail.test",
                    f"Получатель Номер{n} <r{n}@example.test>",
                    "Объявление: демонстрационный экзамен",
                    "test",
                    {"user": person},
                )
                for n in range(sample)
            ]
        queue_rate = sample / (time.perf_counter() - started)
        queue_cpu_ms = (time.process_time() - cpu_started) * 1000 / sample
        template = [
            {
                c.key: getattr(r, c.key)
                for c in OutboxMessage.__table__.columns
                if c.key not in ("id", "message_id")
            }
            for r in rows
        ]
        db.session.rollback()
        # The rest in bulk: same bytes, fresh Message-IDs (the sink counts by Message-ID).
        values, ids = [], []
        for n in range(count):
            row = dict(template[n % sample])
            message_id = f"<bench.{n}@college.local>"
            old = rows[n % sample].message_id.encode()
            row["raw"] = row["raw"].replace(old, message_id.encode())
            row["message_id"] = message_id
            if refuse_every and n % refuse_every == 0:
                row["recipients"] = [f"refused{n}@example.test"]
            values.append(row)
            ids.append(message_id)
        db.session.execute(insert(OutboxMessage), values)
        db.session.commit()
        db.engine.dispose()
    return (queue_rate, queue_cpu_ms), ids


def _start_worker(
    url: str, workdir: Path, port: int, log: Path, *extra: str, **settings: str
) -> subprocess.Popen:
    env = app_env(
        url,
        workdir,
        extra={
            "INTRANET_ENV": "testing",
            "INTRANET_MAIL_SERVER": "127.0.0.1",
            "INTRANET_MAIL_PORT": str(port),
            "INTRANET_MAIL_POLL_SECONDS": "0.05",
            "INTRANET_MAIL_LEASE_SECONDS": "3",
            "INTRANET_MAIL_RETRY_BASE_SECONDS": "0.2",
            "INTRANET_MAIL_RETRY_MAX_SECONDS": "1",
            **settings,
        },
    )
    out = log.open("ab")
    return subprocess.Popen(
        [PYTHON, "-m", "flask", "--app", "wsgi", "worker", "--no-jobs", *extra],
        cwd=ROOT,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )


def _wait(procs: list[subprocess.Popen], log: Path) -> float:
    """Wait for the workers; returns the CPU seconds they used (user + system)."""
    cpu = 0.0
    deadline = time.monotonic() + WORKER_TIMEOUT
    for proc in procs:
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"worker timed out; see {log}")
            time.sleep(0.05)
        proc.returncode = os.waitstatus_to_exitcode(status)
        cpu += usage.ru_utime + usage.ru_stime
        if proc.returncode != 0:
            raise RuntimeError(f"worker exited with {proc.returncode}; see {log}")
    return cpu


def _startup_cpu(url: str, workdir: Path, port: int) -> float:
    """CPU seconds a worker spends starting and stopping with nothing to send."""
    _fill(url, workdir, 0)
    log = workdir / "worker-idle.log"
    return _wait([_start_worker(url, workdir, port, log, "--drain")], log)


def throughput(kind: str, workers: int, messages: int, workdir: Path) -> list[str]:
    url = _database(kind, workdir)
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    log = workdir / f"worker-{kind}-{workers}.log"
    try:
        idle = _startup_cpu(url, workdir, port) if workers == 1 else None
        queue_rate, ids = _fill(url, workdir, messages)
        procs = [
            _start_worker(url, workdir, port, log, "--drain", "--max-seconds", "240")
            for _ in range(workers)
        ]
        cpu = _wait(procs, log)
    finally:
        controller.stop()
    received = Counter(sink.ids)
    lost = len(set(ids) - set(received))
    duplicates = sum(n - 1 for n in received.values())
    rate = sink.rate()
    suffix = "" if kind == "sqlite" else "_pg"
    line = (
        f"bench mail_worker{workers}{suffix} msgs_per_s={rate:.0f} "
        f"per_worker={rate / workers:.0f} sent={len(received)} lost={lost} "
        f"duplicates={duplicates} db={kind}"
    )
    if idle is None:
        return [line]
    # The worker's own CPU per message, start-up left out: a cost that other load on the
    # machine does not skew, and the rate one worker would reach with a core to itself.
    cpu_ms = max(cpu - idle, 0.0) * 1000 / max(len(received), 1)
    line += f" cpu_ms_per_msg={cpu_ms:.2f} cpu_bound_msgs_per_s={1000 / max(cpu_ms, 0.01):.0f}"
    queue = (
        f"bench mail_queue{suffix} msgs_per_s={queue_rate[0]:.0f} "
        f"cpu_ms_per_msg={queue_rate[1]:.2f} db={kind}"
    )
    return [queue, line]


def faults(kind: str, messages: int, kills: int, workdir: Path) -> str:
    """Workers killed at random while delivering, restarted; every 50th recipient refused."""
    url = _database(kind, workdir)
    _rate, ids = _fill(url, workdir, messages, refuse_every=50)
    refused = frozenset(f"refused{n}@example.test" for n in range(0, messages, 50))
    sink = Sink(refuse=refused)
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    log = workdir / f"faults-{kind}.log"
    rng = random.Random(7)
    try:
        for _ in range(kills):
            proc = _start_worker(url, workdir, port, log)
            start = sink.count()
            target = start + rng.randint(20, max(21, messages // (kills + 2)))
            deadline = time.monotonic() + 60
            while sink.count() < target and time.monotonic() < deadline:
                time.sleep(0.005)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        _wait([_start_worker(url, workdir, port, log, "--drain", "--max-seconds", "240")], log)
    finally:
        controller.stop()
    received = Counter(sink.ids)
    expected = {i for n, i in enumerate(ids) if n % 50}
    lost = len(expected - set(received))
    duplicates = sum(n - 1 for n in received.values())
    dead = _count_dead(url, workdir)
    return (
        f"bench mail_faults sent={len(received)} lost={lost} duplicates={duplicates} "
        f"kills={kills} dead={dead} refused={len(refused)} db={kind}"
    )


class ChaosSink(Sink):
    """Refuses scripted recipients with 550 and answers 421 (at RCPT) or 451 (at DATA) at
    random to everyone else, as a busy or greylisting server does."""

    def __init__(self, refuse: frozenset[str], rate: float, seed: int) -> None:
        super().__init__(refuse)
        self.rng = random.Random(seed)
        self.rate = rate
        self.temporary: Counter[str] = Counter()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such user"
        if self.rng.random() < self.rate / 2:
            self.temporary["421"] += 1
            return "421 4.3.2 Service not available, closing channel"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.rng.random() < self.rate / 2:
            self.temporary["451"] += 1
            return "451 4.7.1 Greylisted, try again later"
        return await super().handle_DATA(server, session, envelope)


class Business(threading.Thread):
    """Transactions that queue mail while the workers deliver: every other one rolls back
    (after the INSERT reached the database), so its message must never be sent."""

    def __init__(self, url: str, workdir: Path) -> None:
        super().__init__(daemon=True)
        self.url, self.workdir = url, workdir
        self.stopping = threading.Event()
        self.committed: list[str] = []
        self.rolled_back: list[str] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        from types import SimpleNamespace

        from intranet.extensions import db
        from intranet.services.mail import queue_mail

        app = _app(self.url, self.workdir)
        person = SimpleNamespace(first_name="Анна")
        n = 0
        try:
            with app.app_context(), app.test_request_context():
                while not self.stopping.is_set():
                    n += 1
                    keep = n % 2 == 0
                    row = queue_mail(
                        "mail.test",
                        f"Получатель <{'late' if keep else 'ghost'}{n}@example.test>",
                        "Изменение в расписании",
                        "test",
                        {"user": person},
                    )
                    db.session.flush()  # the row is in the database, not yet committed
                    time.sleep(0.01)
                    if keep:
                        db.session.commit()
                        self.committed.append(row.message_id)
                    else:
                        db.session.rollback()
                        self.rolled_back.append(row.message_id)
                    time.sleep(0.05)
                db.session.remove()
                db.engine.dispose()
        except BaseException as error:  # reported by chaos()
            self.error = error


def _app(url: str, workdir: Path):
    from intranet import create_app

    return create_app(
        {
            "TESTING": True,
            "ENV": "testing",
            "SECRET_KEY": "bench-" + "x" * 40,
            "TOKEN_KEY": "bench-" + "y" * 40,
            "SQLALCHEMY_DATABASE_URI": url,
            "MAIL_DIR": str(workdir / "mail"),
        }
    )


@dataclass
class Chaos:
    sent: int
    lost: int
    duplicates: int
    dead: int
    refused: int  # messages to recipients the server refuses with 550: expected dead
    kills: int
    committed_during: int  # messages queued (and committed) while the workers ran
    rolled_back: int  # messages queued in transactions that rolled back
    rolled_back_sent: int
    temporary: dict[str, int]
    db: str

    def line(self) -> str:
        return (
            f"bench mail_chaos sent={self.sent} lost={self.lost} duplicates={self.duplicates} "
            f"kills={self.kills} dead={self.dead} refused={self.refused} "
            f"rolled_back={self.rolled_back} rolled_back_sent={self.rolled_back_sent} "
            f"temporary_421={self.temporary.get('421', 0)} "
            f"temporary_451={self.temporary.get('451', 0)} db={self.db}"
        )


def chaos(
    kind: str,
    messages: int,
    kills: int,
    workdir: Path,
    *,
    temporary_rate: float = 0.15,
    seed: int = 11,
) -> Chaos:
    """The outbox under every fault at once: `messages` queued, the worker killed with
    SIGKILL `kills` times at random moments and restarted, the SMTP server answering 421/451
    at random and 550 to every 50th recipient, and business transactions queueing mail
    meanwhile, half of them rolled back. A last worker drains what is left."""
    url = _database(kind, workdir)
    _rate, ids = _fill(url, workdir, messages, refuse_every=50)
    refused = frozenset(f"refused{n}@example.test" for n in range(0, messages, 50))
    sink = ChaosSink(refused, temporary_rate, seed)
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    log = workdir / f"chaos-{kind}.log"
    rng = random.Random(seed)
    business = Business(url, workdir)
    settings = {"INTRANET_MAIL_MAX_ATTEMPTS": "40"}  # 421/451 alone never make one dead
    business.start()
    try:
        for _ in range(kills):
            proc = _start_worker(url, workdir, port, log, "--no-jobs", **settings)
            target = sink.count() + rng.randint(10, max(11, 2 * messages // (kills + 2)))
            deadline = time.monotonic() + 60
            while sink.count() < target and time.monotonic() < deadline:
                time.sleep(0.005)
            time.sleep(rng.random() * 0.05)  # not always right after a message was accepted
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        business.stopping.set()
        business.join(30)
        if business.error is not None:
            raise RuntimeError("the business transactions failed") from business.error
        last = _start_worker(url, workdir, port, log, "--drain", "--max-seconds", "240", **settings)
        _wait([last], log)
    finally:
        business.stopping.set()
        controller.stop()
    received = Counter(sink.ids)
    expected = {i for n, i in enumerate(ids) if n % 50} | set(business.committed)
    return Chaos(
        sent=len(received),
        lost=len(expected - set(received)),
        duplicates=sum(n - 1 for n in received.values()),
        dead=_count_dead(url, workdir),
        refused=len(refused),
        kills=kills,
        committed_during=len(business.committed),
        rolled_back=len(business.rolled_back),
        rolled_back_sent=len(set(business.rolled_back) & set(received)),
        temporary=dict(sink.temporary),
        db=kind,
    )


def _count_dead(url: str, workdir: Path) -> int:
    out = subprocess.run(
        [
            PYTHON,
            "-c",
            "from intranet import create_app\n"
            "from intranet.extensions import db\n"
            "from intranet.models import OutboxMessage, OutboxStatus\n"
            "from sqlalchemy import func, select\n"
            "app = create_app()\n"
            "with app.app_context():\n"
            "    print(db.session.scalar(select(func.count()).where("
            "OutboxMessage.status == OutboxStatus.DEAD)))\n",
        ],
        cwd=ROOT,
        env=app_env(url, workdir, extra={"INTRANET_ENV": "testing"}),
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout.strip().splitlines()[-1])


def run(messages: int = DEFAULT_MESSAGES) -> list[str]:
    """Every figure, as printed lines (bench/__main__.py calls this)."""
    kinds = ["sqlite"] + (["pg"] if os.environ.get("INTRANET_TEST_DATABASE_URL") else [])
    lines: list[str] = []
    with tempfile.TemporaryDirectory(prefix="mail-bench-") as tmp:
        for kind in kinds:
            for workers in (1, 2):
                workdir = Path(tmp) / f"{kind}-{workers}"
                for line in throughput(kind, workers, messages, workdir):
                    print(f"# {line}", file=sys.stderr, flush=True)
                    lines.append(line)
        line = faults("sqlite", min(messages, 1000), 3, Path(tmp) / "faults")
        print(f"# {line}", file=sys.stderr, flush=True)
        lines.append(line)
        for kind in kinds:
            outcome = chaos(kind, CHAOS_MESSAGES, CHAOS_KILLS, Path(tmp) / f"chaos-{kind}")
            print(f"# {outcome.line()}", file=sys.stderr, flush=True)
            lines.append(outcome.line())
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=DEFAULT_MESSAGES)
    args = parser.parse_args(argv)
    for line in run(args.messages):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
