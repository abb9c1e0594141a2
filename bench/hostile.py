"""Hostile input in its full form: tests/hostile with HYPOTHESIS_PROFILE=deep.

60 Hypothesis examples per form (shrunk on failure) instead of 4, every hostile value on
every query parameter separately instead of all at once. Prints the inputs tried by kind,
their total, and how many of the checks failed (0 expected).
"""

from __future__ import annotations

import os
import re
import subprocess
import time

from bench.liveserver import PYTHON, ROOT

COUNT = re.compile(r"hostile-inputs (\w+)=(\d+)")


def run() -> list[str]:
    env = {**os.environ, "HYPOTHESIS_PROFILE": "deep"}
    started = time.monotonic()
    result = subprocess.run(
        [PYTHON, "-m", "pytest", "-q", "-s", "-p", "no:randomly", "tests/hostile"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=3 * 3600,
        check=False,
    )
    seconds = time.monotonic() - started
    counts: dict[str, int] = {}
    for name, value in COUNT.findall(result.stdout):
        counts[name] = counts.get(name, 0) + int(value)
    failed = re.search(r"(\d+) failed", result.stdout)
    lines = [f"bench hostile_{name} inputs={value}" for name, value in sorted(counts.items())]
    lines.append(
        f"bench hostile_total inputs={sum(counts.values())} "
        f"failed_checks={failed.group(1) if failed else 0} seconds={seconds:.0f}"
    )
    return lines
