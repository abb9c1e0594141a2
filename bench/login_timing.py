"""Sign-in timing: an unknown login against a wrong password for a known one, side by side.

    python -m bench.login_timing [--rounds N]

A fresh SQLite database with one account whose password is hashed with the production Argon2
parameters (the defaults, not the fast ones of the other benchmarks: the cost of the hash is
what must not differ), served by gunicorn (1 worker) on loopback, throttling off so that every
attempt is checked. Each round posts the login form twice, in alternating order: an e-mail
nobody has, and the account's e-mail with a wrong password. An attacker who could tell the
two apart by the time of the answer could find out who has an account; the ratio of the
medians should be about 1. Prints

    bench login_timing unknown_ms=<median> wrong_password_ms=<median> ratio=<r> rounds=<n>
      unknown_p90_ms=<n> wrong_password_p90_ms=<n>
    bench login_timing_cpu unknown_cpu_ms=<median> wrong_password_cpu_ms=<median> ratio=<r> ...

The second line is the same comparison in one process through the test client, in the CPU
time of the thread, which other load on the machine does not skew.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from bench.liveserver import PYTHON, ROOT, LiveServer, _HiddenInputs, _run, app_env, fetch

OUT = ROOT / "bench" / "out" / "login-timing"
KNOWN = "known@bench.college"
UNKNOWN = "nobody@bench.college"
PASSWORD = "a long bench passphrase"  # noqa: S105
_SCHEMA = """
import sys
from intranet import create_app
from intranet.extensions import db
from tests import factories
app = create_app()
with app.app_context():
    db.create_all()
    factories.password_user("teacher", email=sys.argv[1], password=sys.argv[2])
    db.session.commit()
"""
WRONG = "Неверный адрес почты, телефон или пароль"
NOT_THE_PASSWORD = "not the password"  # noqa: S105
# The same comparison in one process through the test client, timed in CPU time of the
# thread (time.thread_time): other load on the machine does not skew it.
_CPU = """
import json, statistics, sys, time
from intranet import create_app
app = create_app()
app.config["WTF_CSRF_ENABLED"] = False
client = app.test_client()
known, unknown, wrong, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
found = {"unknown": [], "wrong": []}
def one(login):
    started = time.thread_time()
    answer = client.post("/login", data={"login": login, "password": wrong})
    assert answer.status_code == 200, answer.status_code
    return (time.thread_time() - started) * 1000
for _ in range(5):
    one(unknown), one(known)
for n in range(rounds):
    order = [("unknown", unknown), ("wrong", known)]
    for kind, login in (order if n % 2 == 0 else order[::-1]):
        found[kind].append(one(login))
print(json.dumps({kind: statistics.median(values) for kind, values in found.items()}))
"""


def _post(base_url: str, hidden: dict, cookies: dict, login: str) -> float:
    form = dict(hidden, login=login, password=NOT_THE_PASSWORD)
    started = time.perf_counter()
    answer = fetch(base_url, "/login", method="POST", form=form, cookies=cookies)
    elapsed = time.perf_counter() - started
    if answer.status != 200 or WRONG not in answer.body.decode("utf-8", "replace"):
        raise RuntimeError(f"login as {login} answered {answer.status}, not the refusal")
    return elapsed * 1000


def _p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1]


def run(rounds: int | None = None) -> list[str]:
    """The figures, as printed lines (bench/__main__.py calls this)."""
    rounds = rounds or int(os.environ.get("BENCH_LOGIN_ROUNDS", "60"))
    OUT.mkdir(parents=True, exist_ok=True)
    database = OUT / "intranet.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)
    env = app_env(
        f"sqlite:///{database}",
        OUT,
        fast_hashing=False,
        extra={"INTRANET_RATELIMIT_ENABLED": "false"},
    )
    log = OUT / "server.log"
    log.write_text("")
    if _run([PYTHON, "-c", _SCHEMA, KNOWN, PASSWORD], env, log, 300) != 0:
        raise RuntimeError(f"building the database failed, see {log}")
    unknown: list[float] = []
    wrong: list[float] = []
    with LiveServer(env, log, workers=1) as server:
        page = fetch(server.url, "/login")
        cookies = page.cookies()
        parser = _HiddenInputs()
        parser.feed(page.body.decode("utf-8", "replace"))
        hidden = parser.values
        for _ in range(5):  # warm up: templates, the dummy hash, the connection pool
            _post(server.url, hidden, cookies, UNKNOWN)
            _post(server.url, hidden, cookies, KNOWN)
        for n in range(rounds):
            order = [(UNKNOWN, unknown), (KNOWN, wrong)]
            if n % 2:
                order.reverse()
            for login, into in order:
                into.append(_post(server.url, hidden, cookies, login))
    unknown_ms, wrong_ms = statistics.median(unknown), statistics.median(wrong)
    lines = [
        f"bench login_timing unknown_ms={unknown_ms:.1f} wrong_password_ms={wrong_ms:.1f} "
        f"ratio={unknown_ms / wrong_ms:.2f} rounds={rounds} "
        f"unknown_p90_ms={_p90(unknown):.1f} wrong_password_p90_ms={_p90(wrong):.1f}"
    ]
    cpu = subprocess.run(
        [PYTHON, "-c", _CPU, KNOWN, UNKNOWN, NOT_THE_PASSWORD, str(rounds)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if cpu.returncode != 0:
        raise RuntimeError(f"the in-process timing failed: {cpu.stderr[-2000:]}")
    medians = json.loads(cpu.stdout.strip().splitlines()[-1])
    lines.append(
        f"bench login_timing_cpu unknown_cpu_ms={medians['unknown']:.1f} "
        f"wrong_password_cpu_ms={medians['wrong']:.1f} "
        f"ratio={medians['unknown'] / medians['wrong']:.2f} rounds={rounds}"
    )
    for line in lines:
        print(f"# {line}", file=sys.stderr, flush=True)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=None)
    args = parser.parse_args(argv)
    for line in run(args.rounds):
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
