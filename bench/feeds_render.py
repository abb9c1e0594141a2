"""Calendar feeds: cold rendering of a 1,000-event feed against icalendar's own serialisation
of the same events, and the size of each demo account's «my events» feed.

    python -m bench.feeds_render [--database URL] [--events 1000] [--repeat 3]

Both timings are CPU time of one process (time.process_time, so other load on the machine
does not skew them), taken on one database (by default the scale-1 database that
`make bench` builds in bench/out/scale-1, else a fresh demo college): "icalendar" builds the
same VEVENTs from values prepared beforehand and serialises the calendar; "ours" is the feed's
whole cold path (every cache emptied): loading the events from the database, describing them,
building and serialising, as a poll after a change does (only the organisation's VTIMEZONE,
which no data changes, stays computed). Prints lines like

    bench feeds_render events=1000 icalendar_ms=<n> ours_ms=<n> ratio=<r> bytes=<n>
    bench feed_size account=teacher events=<n> bytes=<n>
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from bench.liveserver import PYTHON, ROOT, app_env, build_database

DEFAULT_EVENTS = 1000
OUT = ROOT / "bench" / "out"


def measure(events: int, repeat: int) -> dict:
    """In the app (the INTRANET_* environment names the database): both timings, the sizes."""
    from datetime import timedelta

    from icalendar import Alarm, Calendar
    from icalendar import Event as VEvent
    from sqlalchemy import select, true

    from intranet import create_app
    from intranet.extensions import db
    from intranet.i18n import local_today
    from intranet.models import CalendarFeed, FeedScope, User
    from intranet.services.events import feeds, ical, notify, serving
    from intranet.services.events.serving import Meta

    app = create_app()
    results: dict = {"events": events}
    with app.app_context(), app.test_request_context():
        window = serving.window_for(local_today())
        meta = Meta(True, ("bench",), "x", '"x"', window.starts_at, name="Bench", locale="ru")

        def ours() -> tuple[float, bytes]:
            serving.clear_caches()  # no bytes, no fingerprints, no rows: only the VTIMEZONE
            db.session.remove()  # (which depends on the zone alone) stays computed
            started = time.process_time()
            body = serving.render(
                serving.iter_events(true(), window, limit=events), meta, public=False, limit=10**9
            )
            return time.process_time() - started, body

        # The same events, their values prepared beforehand (not timed): what each VEVENT
        # holds, as plain Python values.
        loaded = list(serving.iter_events(true(), window, limit=events))
        settings = notify.settings_for()
        rooms = notify.room_labels()
        specs = [s for e in loaded for s in ical.event_specs(e, rooms, settings)]
        header = [("prodid", ical.PRODID), ("version", "2.0"), ("x-wr-calname", "Bench")]

        def library() -> tuple[float, bytes]:
            """icalendar alone: build the components from the values and serialise them."""
            started = time.process_time()
            cal = Calendar()
            for name, value in header:
                cal.add(name, value)
            for spec in specs:
                component = VEvent()
                for name, value in spec.properties:
                    component.add(name, value)
                if spec.alarm is not None:
                    alarm = Alarm()
                    alarm.add("action", "DISPLAY")
                    alarm.add("description", spec.alarm[1])
                    alarm.add("trigger", timedelta(minutes=-spec.alarm[0]))
                    component.add_component(alarm)
                cal.add_component(component)
            body = cal.to_ical()
            return time.process_time() - started, body

        library()  # warm both paths once (imports, compiled statements)
        ours()
        lib_times, our_times = [], []
        size = 0
        for _ in range(repeat):
            lib_times.append(library()[0])
            seconds, body = ours()
            our_times.append(seconds)
            size = len(body)
        results.update(
            icalendar_ms=statistics.median(lib_times) * 1000,
            ours_ms=statistics.median(our_times) * 1000,
            bytes=size,
            rendered=len(loaded),
        )

        sizes = {}
        for user in db.session.scalars(select(User).where(User.email.like("%@demo.college"))):
            feed = db.session.scalar(
                select(CalendarFeed).where(
                    CalendarFeed.owner_id == user.id, CalendarFeed.scope == FeedScope.PERSONAL
                )
            )
            if feed is None:
                continue
            token = feeds.feed_token(feed)
            answer = serving.answer(token)
            sizes[user.email.split("@")[0]] = {
                "bytes": len(answer.body or b""),
                "events": (answer.body or b"").count(b"BEGIN:VEVENT"),
            }
        results["sizes"] = sizes
    return results


def run(events: int = DEFAULT_EVENTS, repeat: int = 3, database: str | None = None) -> list[str]:
    """Every figure, as printed lines (bench/__main__.py calls this)."""
    workdir = OUT / "feeds"
    workdir.mkdir(parents=True, exist_ok=True)
    if database is None:
        existing = OUT / "scale-1" / "intranet.sqlite3"
        if existing.exists():
            database = f"sqlite:///{existing}"
        else:
            database = f"sqlite:///{workdir / 'intranet.sqlite3'}"
            env = app_env(database, workdir)
            build_database(env, scale=1, log=workdir / "build.log")
    env = app_env(database, workdir)
    out = subprocess.run(
        [
            PYTHON,
            "-m",
            "bench.feeds_render",
            "--measure",
            "--events",
            str(events),
            "--repeat",
            str(repeat),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if out.returncode != 0:
        raise RuntimeError(f"bench.feeds_render failed: {out.stderr[-2000:]}")
    data = json.loads(out.stdout.strip().splitlines()[-1])
    ratio = data["ours_ms"] / data["icalendar_ms"] if data["icalendar_ms"] else 0.0
    lines = [
        f"bench feeds_render events={data['rendered']} icalendar_ms={data['icalendar_ms']:.0f} "
        f"ours_ms={data['ours_ms']:.0f} ratio={ratio:.2f} bytes={data['bytes']}"
    ]
    for account, figures in sorted(data["sizes"].items()):
        lines.append(
            f"bench feed_size account={account} events={figures['events']} bytes={figures['bytes']}"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=DEFAULT_EVENTS)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database", help="an existing database with the demo college")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:  # the child process: the environment names the database
        print(json.dumps(measure(args.events, args.repeat)), flush=True)
        return 0
    for line in run(args.events, args.repeat, args.database):
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    sys.exit(main())
