"""Calendar feeds under load: a poll answered 304, and the full feed from the cache.

    python -m bench.feeds [--database URL] [--duration S]

gunicorn (2 workers) serves the scale-1 database `make bench` built (bench/out/scale-1), or a
fresh demo college; load comes from bench/loadgen.py in a second process, as for the pages.
The feed is the demo teacher's «my events». The 304 run sends the ETag the feed answered
with (If-None-Match), as calendar apps do; the full run sends none, so every answer is the
whole feed, from the in-process cache after the first. The floor is /-/ping, measured before
and after each run. Prints lines like

    bench feed_304 rps=<n> floor_rps=<n> ratio=<r> target=0.6 bytes=0
    bench feed_full rps=<n> floor_rps=<n> ratio=<r> target=0.4 bytes=<n>
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

from bench.liveserver import PYTHON, ROOT, LiveServer, app_env, build_database, fetch

FLOOR = "/-/ping"
OUT = ROOT / "bench" / "out"
ACCOUNT = "teacher"

_FEED_PATH = """
from sqlalchemy import select
from intranet import create_app
from intranet.extensions import db
from intranet.models import CalendarFeed, FeedScope, User
from intranet.services import events
app = create_app()
with app.app_context():
    owner = db.session.scalar(select(User).where(User.email == "{account}@demo.college"))
    feed = db.session.scalar(
        select(CalendarFeed).where(
            CalendarFeed.owner_id == owner.id, CalendarFeed.scope == FeedScope.PERSONAL
        )
    )
    print(events.feed_urls(feed).https.split("://", 1)[1].split("/", 1)[1])
"""


def _load(url: str, headers: dict[str, str], duration: float, connections: int = 8) -> dict:
    cmd = [PYTHON, "-m", "bench.loadgen", url, "--duration", str(duration)]
    cmd += ["--connections", str(connections)]
    for name, value in headers.items():
        cmd += ["--header", f"{name}: {value}"]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=duration + 60)
    if out.returncode != 0:
        raise RuntimeError(f"bench.loadgen failed: {out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(database: str | None = None, duration: float | None = None) -> list[str]:
    """Every figure, as printed lines (bench/__main__.py calls this)."""
    duration = duration or float(os.environ.get("BENCH_DURATION", "3"))
    workdir = OUT / "feeds-load"
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "server.log"
    if database is None:
        existing = OUT / "scale-1" / "intranet.sqlite3"
        if existing.exists():
            database = f"sqlite:///{existing}"
        else:
            database = f"sqlite:///{workdir / 'intranet.sqlite3'}"
            build_database(app_env(database, workdir), scale=1, log=log)
    env = app_env(database, workdir)
    found = subprocess.run(
        [PYTHON, "-c", _FEED_PATH.format(account=ACCOUNT)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if found.returncode != 0:
        raise RuntimeError(f"no feed for {ACCOUNT}: {found.stderr[-1000:]}")
    path = "/" + found.stdout.strip().splitlines()[-1]
    lines = []
    with LiveServer(env, log, workers=2) as server:
        first = fetch(server.url, path)
        if first.status != 200:
            raise RuntimeError(f"feed answered {first.status}")
        etag = first.headers["ETag"]
        for _ in range(10):  # both workers: the fingerprint and the bytes in each one's cache
            fetch(server.url, path)
            fetch(server.url, FLOOR)
        floor_before = _load(server.url + FLOOR, {}, duration)["rps"]
        runs = [
            ("feed_304", {"If-None-Match": etag}, 0.6, 0),
            ("feed_full", {}, 0.4, len(first.body)),
        ]
        for name, headers, target, size in runs:
            result = _load(server.url + path, headers, duration)
            floor_after = _load(server.url + FLOOR, {}, duration)["rps"]
            floor = (floor_before + floor_after) / 2
            ratio = result["rps"] / floor if floor else 0.0
            bad = result["non2xx"] + result["errors"]
            line = (
                f"bench {name} rps={result['rps']:.0f} floor_rps={floor:.0f} "
                f"ratio={ratio:.2f} target={target} bytes={size}"
            )
            if bad:
                line += f" bad={bad}"
            print(f"# {line}", file=sys.stderr, flush=True)
            lines.append(line)
            floor_before = floor_after
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="an existing database with the demo college")
    parser.add_argument("--duration", type=float, default=None)
    args = parser.parse_args(argv)
    for line in run(args.database, args.duration):
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
