"""A small HTTP load generator for machines without wrk (run as its own process).

    python -m bench.loadgen http://127.0.0.1:8000/path --duration 5 --connections 8 \
        [--header "Cookie: a=b"] [--max-requests 200000]

Each connection is a thread with a keep-alive http.client connection (reopened when the server
closes it). Bounded in time and in count. Prints one JSON line:
{"requests": n, "seconds": s, "rps": r, "non2xx": k, "errors": e}.
"""

from __future__ import annotations

import argparse
import http.client
import json
import threading
import time
import urllib.parse


def load(
    url: str,
    *,
    duration: float,
    connections: int,
    headers: dict[str, str],
    max_requests: int,
) -> dict:
    parts = urllib.parse.urlsplit(url)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    lock = threading.Lock()
    totals = {"requests": 0, "non2xx": 0, "errors": 0}
    stop_at = time.monotonic() + duration

    def worker() -> None:
        done = non2xx = errors = 0
        conn = None
        while time.monotonic() < stop_at:
            with lock:
                if totals["requests"] >= max_requests:
                    break
                totals["requests"] += 1
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                done += 1
                if not 200 <= response.status < 400:
                    non2xx += 1
                if response.will_close:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException):
                errors += 1
                if conn is not None:
                    conn.close()
                conn = None
        if conn is not None:
            conn.close()
        with lock:
            totals["non2xx"] += non2xx
            totals["errors"] += errors
            totals.setdefault("done", 0)
            totals["done"] += done

    started = time.monotonic()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(duration + 15)
    seconds = time.monotonic() - started
    done = totals.get("done", 0)
    return {
        "requests": done,
        "seconds": round(seconds, 3),
        "rps": round(done / seconds, 1) if seconds else 0.0,
        "non2xx": totals["non2xx"],
        "errors": totals["errors"],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--header", action="append", default=[])
    parser.add_argument("--max-requests", type=int, default=200_000)
    args = parser.parse_args(argv)
    if urllib.parse.urlsplit(args.url).hostname not in ("127.0.0.1", "localhost", "::1"):
        parser.error("the load generator only targets this machine's loopback interface")
    headers = dict(h.split(":", 1) for h in args.header)
    headers = {k.strip(): v.strip() for k, v in headers.items()}
    result = load(
        args.url,
        duration=min(args.duration, 120.0),
        connections=max(1, min(args.connections, 64)),
        headers=headers,
        max_requests=args.max_requests,
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
