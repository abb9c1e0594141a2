"""`make bench`: requests per second of each page against the app's own floor, and query counts.

    python -m bench [--scales 1,3] [--scale N] [--duration S] [--pages a,b] [--check]

For each scale: a fresh SQLite database with the demo college (`flask demo-data --scale N`),
served by gunicorn (2 workers) on loopback and loaded from a second process (wrk where it is
installed, else bench/loadgen.py). Prints one line per page (bench/pages.py):

    bench <name> rps=<n> floor_rps=<n> ratio=<r> queries=<n>

floor_rps is /-/ping (no session, database or template), measured right before and right after
the page (their mean); queries is the number of SQL statements of one request to the page,
counted in-process with an engine event through the app's test client signed in as the same
role against the same database (transaction control statements are not counted).
Progress and notes go to stderr, prefixed with '#', among them each page's Python function
calls per request (cProfile), a measure of cost that other load on the machine does not skew.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import importlib.util
import json
import math
import os
import pstats
import re
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass

from bench.liveserver import (
    DEMO_PASSWORD,
    PYTHON,
    ROOT,
    LiveServer,
    _HiddenInputs,
    app_env,
    build_database,
    demo_email,
    fetch,
    login_cookies,
)
from bench.pages import PAGES, Page

OUT = ROOT / "bench" / "out"
FLOOR = "/-/ping"
TRANSACTION_CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.I)


def note(message: str) -> None:
    print(f"# {message}", file=sys.stderr, flush=True)


@dataclass
class Load:
    rps: float
    requests: int
    bad: int  # answers outside 2xx/3xx plus socket errors


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=int(os.environ.get("BENCH_SCALE", "1")))
    parser.add_argument("--scales", help="several scales, e.g. 1,3 (query counts compared)")
    parser.add_argument(
        "--duration", type=float, default=float(os.environ.get("BENCH_DURATION", "3"))
    )
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker")
    parser.add_argument("--loadgen", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--pages", help="only these pages (comma-separated names)")
    parser.add_argument("--no-mail", action="store_true", help="skip bench.mail_throughput")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when a page misses its target ratio"
    )
    args = parser.parse_args(argv)
    args.scale_list = [int(s) for s in args.scales.split(",")] if args.scales else [args.scale]
    if args.loadgen == "auto":
        args.loadgen = "wrk" if shutil.which("wrk") else "python"
    return args


def measure(url: str, cookies: dict[str, str] | None, args: argparse.Namespace) -> Load:
    """Load one URL from a second process for args.duration seconds."""
    header = "Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items()) if cookies else None
    if args.loadgen == "wrk":
        cmd = ["wrk", "-t1", f"-c{args.connections}", f"-d{math.ceil(args.duration)}s"]
        cmd += ["--timeout", "10s"] + (["-H", header] if header else []) + [url]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=args.duration + 60)
        if out.returncode != 0:
            raise RuntimeError(f"wrk failed: {out.stderr or out.stdout}")
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out.stdout).group(1))
        total = int(re.search(r"(\d+) requests in", out.stdout).group(1))
        bad = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses:\s+(\d+)", out.stdout))
        socket = re.search(
            r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out.stdout
        )
        if socket:
            bad += int(socket.group(1)) + int(socket.group(3)) + int(socket.group(4))
        return Load(rps, total, bad)
    cmd = [PYTHON, "-m", "bench.loadgen", url, "--duration", str(args.duration)]
    cmd += ["--connections", str(args.connections)] + (["--header", header] if header else [])
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=args.duration + 60)
    if out.returncode != 0:
        raise RuntimeError(f"bench.loadgen failed: {out.stderr}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return Load(result["rps"], result["requests"], result["non2xx"] + result["errors"])


@contextmanager
def environment(env: dict[str, str]):
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _client_login(client, role: str) -> None:
    page = client.get("/login")
    parser = _HiddenInputs()
    parser.feed(page.get_data(as_text=True))
    form = dict(parser.values, login=demo_email(role), password=DEMO_PASSWORD)
    answer = client.post("/login", data=form)
    if answer.status_code != 302:
        raise RuntimeError(f"in-process sign-in as {role} failed: HTTP {answer.status_code}")


def python_calls(client, path: str, repeat: int = 5) -> int:
    """Python function calls per request (cProfile): a cost that other load does not skew."""
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(repeat):
        client.get(path)
    profile.disable()
    return round(pstats.Stats(profile).total_calls / repeat)


def measure_in_process(
    env: dict[str, str], pages: list[Page]
) -> tuple[dict[str, int], dict[str, str], dict[str, int]]:
    """Per page: SQL statements of one request, the resolved path, Python calls per request."""
    from sqlalchemy import event

    with environment(env):
        from intranet import create_app
        from intranet.extensions import db

        app = create_app()
        count = [0]
        with app.app_context():
            engine = db.engine

        @event.listens_for(engine, "before_cursor_execute")
        def _count(_conn, _cursor, statement, *_args) -> None:
            if not TRANSACTION_CONTROL.match(statement):
                count[0] += 1

        clients = {}
        counts: dict[str, int] = {}
        calls: dict[str, int] = {}
        paths: dict[str, str] = {}
        for page in [Page("floor", FLOOR), *pages]:
            with app.app_context():
                path = page.path() if callable(page.path) else page.path
            paths[page.name] = path
            client = clients.get(page.role)
            if client is None:
                client = clients[page.role] = app.test_client()
                if page.role:
                    _client_login(client, page.role)
            for _ in range(2):  # warm: first requests fill per-process caches
                client.get(path)
            count[0] = 0
            response = client.get(path)
            counts[page.name] = count[0]
            calls[page.name] = python_calls(client, path)
            if response.status_code != page.status:
                raise RuntimeError(
                    f"{page.name}: GET {path} as {page.role or 'anonymous'} answered "
                    f"{response.status_code}, expected {page.status}"
                )
        event.remove(engine, "before_cursor_execute", _count)
    return counts, paths, calls


def run_scale(scale: int, pages: list[Page], args: argparse.Namespace) -> list[dict]:
    workdir = OUT / f"scale-{scale}"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    log = workdir / "server.log"
    env = app_env(f"sqlite:///{workdir / 'intranet.sqlite3'}", workdir, fast_hashing=False)
    started = time.monotonic()
    how = build_database(env, scale=scale, log=log)
    size = (workdir / "intranet.sqlite3").stat().st_size
    note(
        f"scale {scale}: demo college built in {time.monotonic() - started:.0f} s "
        f"({size / 2**20:.1f} MiB, schema from {how})"
    )
    counts, paths, calls = measure_in_process(env, pages)
    if counts["floor"]:
        note(f"warning: the floor {FLOOR} ran {counts['floor']} SQL statements")
    results = []
    with LiveServer(env, log, workers=args.workers, threads=args.threads) as server:
        cookies = {
            role: login_cookies(server.url, demo_email(role))
            for role in sorted({p.role for p in pages if p.role})
        }
        for page in pages:
            answer = fetch(server.url, paths[page.name], cookies=cookies.get(page.role))
            if answer.status != page.status:
                raise RuntimeError(f"{page.name}: HTTP {answer.status} from the server")
            for _ in range(10):  # warm both workers: template compilation, caches
                fetch(server.url, paths[page.name], cookies=cookies.get(page.role))
                fetch(server.url, FLOOR)
        floor_before = measure(server.url + FLOOR, None, args)
        for page in pages:
            load = measure(server.url + paths[page.name], cookies.get(page.role), args)
            floor_after = measure(server.url + FLOOR, None, args)
            floor = (floor_before.rps + floor_after.rps) / 2
            ratio = load.rps / floor if floor else 0.0
            print(
                f"bench {page.name} rps={load.rps:.0f} floor_rps={floor:.0f} "
                f"ratio={ratio:.2f} queries={counts[page.name]}",
                flush=True,
            )
            note(
                f"{page.name}: {calls[page.name]} Python calls per request in-process "
                f"({calls[page.name] / max(calls['floor'], 1):.1f}× the floor's {calls['floor']})"
            )
            for name, result in ((page.name, load), ("floor", floor_after)):
                if result.bad:
                    note(f"warning: {name}: {result.bad} of {result.requests} answers bad")
            results.append(
                {
                    "page": page,
                    "scale": scale,
                    "ratio": ratio,
                    "queries": counts[page.name],
                    "bad": load.bad,
                }
            )
            floor_before = floor_after
    return results


def run_mail_throughput() -> bool:
    """bench/mail_throughput.py, where it exists, prints its own figures."""
    if importlib.util.find_spec("bench.mail_throughput") is None:
        return True
    mail_throughput = importlib.import_module("bench.mail_throughput")
    note("mail throughput (bench/mail_throughput.py)")
    try:
        lines = mail_throughput.run()
    except Exception as error:  # reported, the rest of the figures stand
        note(f"mail throughput failed: {error!r}")
        return False
    for line in lines or ():
        print(line, flush=True)
    return True


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    pages = PAGES
    if args.pages:
        wanted = set(args.pages.split(","))
        pages = [p for p in PAGES if p.name in wanted]
        if unknown := wanted - {p.name for p in pages}:
            note(f"unknown pages: {', '.join(sorted(unknown))}")
            return 2
    from intranet.catalog import build as build_catalog

    build_catalog()
    started = time.monotonic()
    note(
        f"load from {args.loadgen}, {args.connections} connections, {args.duration:g} s per "
        f"measurement; gunicorn {args.workers} workers × {args.threads} threads; "
        f"{os.cpu_count()} CPUs"
    )
    results: list[dict] = []
    for scale in args.scale_list:
        note(f"scale {scale}")
        results += run_scale(scale, pages, args)
    ok = True
    if len(args.scale_list) > 1:
        for page in pages:
            per_scale = [r["queries"] for r in results if r["page"] is page]
            verdict = "stable" if len(set(per_scale)) == 1 else "GROWS"
            figures = " ".join(
                f"scale{s}={q}" for s, q in zip(args.scale_list, per_scale, strict=True)
            )
            print(f"bench-queries {page.name} {figures} {verdict}", flush=True)
            ok &= verdict == "stable"
    missed = sorted({r["page"].name for r in results if r["ratio"] < r["page"].target})
    if missed:
        note(f"below their target ratio: {', '.join(missed)}")
    else:
        note("every page at or above its target ratio")
    if not args.no_mail:
        ok &= run_mail_throughput()
    note(f"bench finished in {time.monotonic() - started:.0f} s")
    if args.check and (missed or not ok):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
