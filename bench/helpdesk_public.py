"""Help-desk public form: submissions per second on SQLite, and no ticket lost.

A fresh SQLite database (schema and one admin, who is notified of each request), gunicorn
with 2 workers, and several clients posting the public form as people would: each loads the
form once (session cookie, CSRF token, signed start time), then sends requests with its own
e-mail addresses. The anti-automation limits are raised for the run (the flood test in
tests/helpdesk covers them). Afterwards the tickets in the database are counted: they must
equal the submissions the server accepted (302).

    python -m bench.helpdesk_public [--duration S] [--clients N]
"""

from __future__ import annotations

import argparse
import re
import shutil
import sqlite3
import sys
import threading
import time
from html import unescape

from bench.liveserver import PYTHON, ROOT, LiveServer, _run, app_env, fetch

OUT = ROOT / "bench" / "out" / "helpdesk-public"
_SCHEMA = """
from intranet import create_app
from intranet.extensions import db
from tests import factories
app = create_app()
with app.app_context():
    db.create_all()
    factories.user("admin", email="admin@bench.college")
    db.session.commit()
"""


def _form_state(base_url: str) -> tuple[dict[str, str], dict[str, str]]:
    page = fetch(base_url, "/helpdesk/public/login")
    text = page.body.decode("utf-8", "replace")
    pattern = r'<input[^>]*name="([^"]+)"[^>]*type="hidden"[^>]*value="([^"]*)"'
    hidden = {name: unescape(value) for name, value in re.findall(pattern, text)}
    return hidden, page.cookies()


def _client(base_url: str, n: int, deadline: float, totals: dict, lock: threading.Lock) -> None:
    hidden, cookies = _form_state(base_url)
    accepted = refused = 0
    k = 0
    while time.monotonic() < deadline:
        k += 1
        form = dict(
            hidden,
            contact_name="Нагрузочный тест",
            contact_email=f"bench{n}.{k}@example.com",
            consent_personal_data="y",
            subject="Не приходит код",
            description="Проверка пропускной способности открытой формы.",
            q_platform="vk",
            q_device="android",
            website="",
        )
        try:
            answer = fetch(
                base_url, "/helpdesk/public/login", method="POST", form=form, cookies=cookies
            )
        except OSError:
            refused += 1
            continue
        if answer.status == 302 and "/helpdesk/t/" in answer.headers.get("Location", ""):
            accepted += 1
        else:
            refused += 1
    with lock:
        totals["accepted"] += accepted
        totals["refused"] += refused


def run(duration: float = 5.0, clients: int = 8) -> list[str]:
    """Measure; returns the lines `make bench` prints."""
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    database = OUT / "intranet.sqlite3"
    env = app_env(
        f"sqlite:///{database}",
        OUT,
        extra={
            "INTRANET_HELPDESK_PUBLIC_RATE": "1000000 per hour",
            "INTRANET_HELPDESK_PUBLIC_PER_CONTACT": "1000000 per day",
            "INTRANET_HELPDESK_PUBLIC_MIN_FILL_SECONDS": "0",
        },
    )
    log = OUT / "server.log"
    if _run([PYTHON, "-c", _SCHEMA], env, log, 300) != 0:
        raise RuntimeError(f"building the schema failed; see {log}")
    totals = {"accepted": 0, "refused": 0}
    lock = threading.Lock()
    with LiveServer(env, log, workers=2) as server:
        fetch(server.url, "/helpdesk/public/login")  # warm up
        started = time.monotonic()
        deadline = started + duration
        threads = [
            threading.Thread(target=_client, args=(server.url, n, deadline, totals, lock))
            for n in range(clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    with sqlite3.connect(database) as conn:
        stored = conn.execute("SELECT count(*) FROM helpdesk_ticket").fetchone()[0]
        outbox = conn.execute("SELECT count(*) FROM outbox_message").fetchone()[0]
    rate = totals["accepted"] / elapsed if elapsed else 0.0
    lost = totals["accepted"] - stored
    return [
        f"bench helpdesk_public_submit submissions_per_s={rate:.1f} accepted={totals['accepted']} "
        f"tickets={stored} lost={lost} refused={totals['refused']} outbox={outbox} "
        f"clients={clients} seconds={elapsed:.1f}"
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.helpdesk_public")
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args(argv)
    lines = run(args.duration, args.clients)
    for line in lines:
        print(line, flush=True)
    return 0 if " lost=0 " in lines[0] else 1


if __name__ == "__main__":
    sys.exit(main())
