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

Then every other bench/<name>.py module with a run() -> list[str] (mail throughput, feeds,
help desk …) is called and its lines printed; a capability adds its own figures that way, and
its pages by appending to bench/pages.py.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import io
import json
import math
import os
import pstats
import re
import shutil
import subprocess
import sys
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

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
    parser.add_argument(
        "--extras",
        help="only these bench/<name>.py modules ('' for none); default: all of them, "
        "unless --pages is given",
    )
    parser.add_argument(
        "--profile", help="print where these pages spend their time (cProfile, cumulative)"
    )
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


@dataclass
class Cost:
    """What one request to a page costs in-process (the app's test client, same database)."""

    path: str
    queries: int  # SQL statements, transaction control excluded
    calls: int  # Python function calls (cProfile): a measure other load does not skew
    ms: float  # wall time per request in-process
    sql_ms: float  # of which in the database driver


def in_process_costs(
    env: dict[str, str], pages: list[Page], profile_pages: frozenset[str] = frozenset()
) -> dict[str, Cost]:
    """Each page's cost per request, and its resolved path; the floor under the name 'floor'."""
    from sqlalchemy import event

    with environment(env):
        from intranet import create_app
        from intranet.extensions import db

        app = create_app()
        with app.app_context():
            engine = db.engine
        sql = {"count": 0, "seconds": 0.0, "started": 0.0}

        def _before(_conn, _cursor, statement, *_args) -> None:
            if not TRANSACTION_CONTROL.match(statement):
                sql["count"] += 1
            sql["started"] = time.perf_counter()

        def _after(*_args) -> None:
            sql["seconds"] += time.perf_counter() - sql["started"]

        event.listen(engine, "before_cursor_execute", _before)
        event.listen(engine, "after_cursor_execute", _after)
        clients = {}
        costs: dict[str, Cost] = {}
        for page in [Page("floor", FLOOR), *pages]:
            with app.app_context():
                path = page.path() if callable(page.path) else page.path
            client = clients.get(page.role)
            if client is None:
                client = clients[page.role] = app.test_client()
                if page.role:
                    _client_login(client, page.role)
            for _ in range(2):  # warm: first requests fill per-process caches
                client.get(path)
            sql["count"] = 0
            response = client.get(path)
            if response.status_code != page.status:
                raise RuntimeError(
                    f"{page.name}: GET {path} as {page.role or 'anonymous'} answered "
                    f"{response.status_code}, expected {page.status}"
                )
            queries = sql["count"]
            repeat = 5
            sql["seconds"] = 0.0
            started = time.perf_counter()
            for _ in range(repeat):
                client.get(path)
            seconds = time.perf_counter() - started
            sql_seconds = sql["seconds"]
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(repeat):
                client.get(path)
            profile.disable()
            if page.name in profile_pages:
                report = io.StringIO()
                stats = pstats.Stats(profile, stream=report).sort_stats("cumulative")
                stats.print_stats(r"intranet|flask/templating|jinja2/environment", 30)
                for line in report.getvalue().splitlines():
                    if line.strip():
                        note(f"profile {page.name} ×{repeat}: {line}")
            costs[page.name] = Cost(
                path=path,
                queries=queries,
                calls=round(pstats.Stats(profile).total_calls / repeat),
                ms=seconds / repeat * 1000,
                sql_ms=sql_seconds / repeat * 1000,
            )
        event.remove(engine, "before_cursor_execute", _before)
        event.remove(engine, "after_cursor_execute", _after)
    return costs


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
    costs = in_process_costs(env, pages, frozenset((args.profile or "").split(",")))
    floor_cost = costs["floor"]
    if floor_cost.queries:
        note(f"warning: the floor {FLOOR} ran {floor_cost.queries} SQL statements")
    results = []
    with LiveServer(env, log, workers=args.workers, threads=args.threads) as server:
        cookies = {
            role: login_cookies(server.url, demo_email(role))
            for role in sorted({p.role for p in pages if p.role})
        }
        for page in pages:
            answer = fetch(server.url, costs[page.name].path, cookies=cookies.get(page.role))
            if answer.status != page.status:
                raise RuntimeError(f"{page.name}: HTTP {answer.status} from the server")
            for _ in range(10):  # warm both workers: template compilation, caches
                fetch(server.url, costs[page.name].path, cookies=cookies.get(page.role))
                fetch(server.url, FLOOR)
        floor_before = measure(server.url + FLOOR, None, args)
        for page in pages:
            load = measure(server.url + costs[page.name].path, cookies.get(page.role), args)
            floor_after = measure(server.url + FLOOR, None, args)
            floor = (floor_before.rps + floor_after.rps) / 2
            ratio = load.rps / floor if floor else 0.0
            print(
                f"bench {page.name} rps={load.rps:.0f} floor_rps={floor:.0f} "
                f"ratio={ratio:.2f} queries={costs[page.name].queries}",
                flush=True,
            )
            cost = costs[page.name]
            note(
                f"{page.name}: in-process {cost.calls} Python calls per request "
                f"({cost.calls / max(floor_cost.calls, 1):.1f}× the floor's {floor_cost.calls}), "
                f"{cost.ms:.1f} ms of which SQL {cost.sql_ms:.1f} ms (floor {floor_cost.ms:.1f} ms)"
            )
            for name, result in ((page.name, load), ("floor", floor_after)):
                if result.bad:
                    note(f"warning: {name}: {result.bad} of {result.requests} answers bad")
            results.append(
                {
                    "page": page,
                    "scale": scale,
                    "ratio": ratio,
                    "queries": costs[page.name].queries,
                    "bad": load.bad,
                }
            )
            floor_before = floor_after
    return results


def extra_modules() -> list[str]:
    """bench/<name>.py modules with a run() of their own (mail, feeds, help desk …)."""
    core = {"liveserver", "loadgen", "pages"}
    return sorted(
        path.stem
        for path in Path(__file__).parent.glob("*.py")
        if not path.stem.startswith("_") and path.stem not in core
    )


def run_extras(names: list[str]) -> bool:
    """Call each module's run() -> list[str] and print its lines.

    A module that raises, or prints a line with `lost=` other than 0, fails the run (--check).
    """
    ok = True
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        run = getattr(module, "run", None)
        if not callable(run):
            continue
        note(f"{name} (bench/{name}.py)")
        try:
            lines = list(run() or ())
        except Exception:  # reported, the rest of the figures stand
            for line in traceback.format_exc().splitlines():
                note(f"{name} failed: {line}")
            ok = False
            continue
        for line in lines:
            print(line, flush=True)
            if re.search(r"\blost=(?!0\b)", line):
                ok = False
    return ok


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    pages = PAGES
    if args.pages is not None:
        wanted = {name for name in args.pages.split(",") if name}
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
    for scale in args.scale_list if pages else []:
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
    extras = extra_modules()
    if args.extras is not None:
        extras = [name for name in args.extras.split(",") if name]
    elif args.pages:  # a chosen set of pages only
        extras = []
    ok &= run_extras(extras)
    note(f"bench finished in {time.monotonic() - started:.0f} s")
    if args.check and (missed or not ok):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
