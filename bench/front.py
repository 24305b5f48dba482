"""The front tier: nginx running deploy/nginx.conf in front of gunicorn (production settings), on loopback.

Prints, in one run: requests/s and p50/p99 for a procedure page through the front server, a static file
through the same nginx (the ceiling) and the bare Django view straight from gunicorn; seconds until a save
is live on the front; and what the front answers while gunicorn is stopped and while the app answers 503
(its database and cache away). Skipped, saying so, where Debian's nginx or wrk is not installed.
"""

import argparse
import http.server
import os
import re
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

from bench.server import WRK_INSTALL_HINT, run_wrk, wrk_program
from deploy.front import ProductionLayout, free_port, nginx_program

SECONDS = 10
CONNECTIONS = 16
THREADS = 2
PAGE = "/procedures/si-joint-fusion/"
OUTAGE_SECONDS = 5
TARGET_RATIO = 0.5
TARGET_P99_MS = 5.0
TARGET_FRESH_SECONDS = 2.0


def get(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def stylesheet_path(layout):
    _status, _headers, body = get(layout.front_url + PAGE)
    return re.search(rb'href="(/static/css/site\.[0-9a-f]+\.css)"', body).group(1).decode()


def seconds_to_fresh(layout):
    """Save a new title through the ORM (as the admin does) and time until the front serves it."""
    for _ in range(5):
        get(layout.front_url + PAGE)
    title = f"SI joint fusion {time.time():.3f}"
    layout.manage(
        "shell",
        "-c",
        "from procedures.models import Procedure; p = Procedure.objects.get(slug='si-joint-fusion'); "
        f"p.title = {title!r}; p.save()",
    )
    saved = time.monotonic()
    while time.monotonic() - saved < 10:
        if title.encode() in get(layout.front_url + PAGE)[2]:
            return time.monotonic() - saved
        time.sleep(0.02)
    return float("inf")


def answers_during(layout, seconds, paths):
    """{path: {status: count}} from a steady trickle of requests for `seconds`."""
    counts = {path: {} for path in paths}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for path in paths:
            status, _headers, body = get(layout.front_url + path)
            label = str(status)
            if status == 503 and b"This page is not available right now" not in body:
                label = "503 (not the designed page)"
            counts[path][label] = counts[path].get(label, 0) + 1
        time.sleep(0.05)
    return counts


class OutageApp(http.server.BaseHTTPRequestHandler):
    """Answers as the app does with its database and cache away for a page it has not cached: 503."""

    def do_GET(self):
        body = b"<h1>This page is not available right now</h1>"
        self.send_response(503)
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def print_counts(title, counts):
    print(title)
    for path, by_status in counts.items():
        figures = ", ".join(f"{status}: {count}" for status, count in sorted(by_status.items()))
        print(f"  {path:<32} {figures}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench front", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=SECONDS)
    args = parser.parse_args(argv or [])
    if nginx_program() is None:
        print("front: skipped: nginx is not installed (Debian's nginx package: apt-get install nginx)")
        return 0
    if wrk_program() is None:
        print(f"front: skipped: {WRK_INSTALL_HINT}")
        return 0
    with tempfile.TemporaryDirectory(prefix="sijoint-bench-front-") as scratch:
        environment = {
            "DJANGO_SETTINGS_MODULE": "bench.settings",  # adds the bare /bench/ceiling/ view
            "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{scratch}/front.sqlite3",
            "REDIS_URL": "",
            "GUNICORN_WORKERS": "2",
            "GUNICORN_THREADS": "1",
            "GUNICORN_ACCESS_LOG": "",
            "GUNICORN_LOG_LEVEL": "warning",
            "DJANGO_LOG_LEVEL": "WARNING",
            "API_RATE_LIMIT": "1000000/s",
            "SEARCH_RATE_LIMIT": "1000000/s",
        }
        layout = ProductionLayout(
            scratch,
            front_port=free_port(),
            app_port=free_port(),
            environment=environment,
            log=lambda message: print(message, file=sys.stderr),
        )
        layout.prepare()
        with layout:
            static = stylesheet_path(layout)
            targets = [
                ("procedure page via nginx", layout.front_url + PAGE),
                ("static file via nginx", layout.front_url + static),
                ("bare Django view", layout.app_url + "/bench/ceiling/"),
            ]
            results = {}
            for name, url in targets:
                for _ in range(20):
                    get(url)
                results[name] = run_wrk(url, threads=THREADS, connections=CONNECTIONS, seconds=args.seconds)
            fresh = [seconds_to_fresh(layout) for _ in range(3)]
            published = [PAGE, "/", "/clinics/edina/", "/sitemap.xml"]
            for path in published:
                get(layout.front_url + path)
            needs_app = ["/clinics/?q=90210", "/api/clinics/?q=55435"]
            layout.stop_gunicorn()
            time.sleep(2.1)  # past the front's freshness (1 s, counted in whole seconds): only stale copies are left
            app_stopped = answers_during(layout, OUTAGE_SECONDS, published + needs_app)
            stub = http.server.ThreadingHTTPServer(("127.0.0.1", layout.app_port), OutageApp)
            threading.Thread(target=stub.serve_forever, daemon=True).start()
            try:
                app_503 = answers_during(layout, OUTAGE_SECONDS, published + needs_app)
            finally:
                stub.shutdown()
                stub.server_close()

    print(f"front: wrk -t{THREADS} -c{CONNECTIONS} -d{args.seconds}s on loopback; nginx 2 workers, gunicorn 2 workers")
    print(f"{'target':<28}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for name, result in results.items():
        print(
            f"{name:<28}{result.requests_per_second:>10,.0f}{result.p50_ms or 0:>9.2f}{result.p99_ms or 0:>9.2f}"
            f"{result.errors:>8}"
        )
    page, ceiling = results["procedure page via nginx"], results["static file via nginx"]
    ratio = page.requests_per_second / ceiling.requests_per_second
    page_met = ratio >= TARGET_RATIO and (page.p99_ms or 0) < TARGET_P99_MS and page.errors == 0
    print(
        f"target: procedure page >= {TARGET_RATIO} x static ceiling, p99 < {TARGET_P99_MS:g} ms: "
        f"{ratio:.2f} x, p99 {page.p99_ms:.2f} ms: {'met' if page_met else 'NOT met'}"
    )
    print(
        f"fresh on the front after a save: {', '.join(f'{s:.2f} s' for s in fresh)} "
        f"(median {statistics.median(fresh):.2f} s; target {TARGET_FRESH_SECONDS:g} s: "
        f"{'met' if max(fresh) <= TARGET_FRESH_SECONDS else 'NOT met'})"
    )
    print_counts(f"gunicorn stopped, {OUTAGE_SECONDS} s:", app_stopped)
    print_counts(f"app answering 503 (database and cache away), {OUTAGE_SECONDS} s:", app_503)
    outage_met = all(set(app_stopped[path]) == {"200"} and set(app_503[path]) == {"200"} for path in published) and all(
        set(app_stopped[path]) == {"503"} and set(app_503[path]) == {"503"} for path in needs_app
    )
    print(
        "target: every published page 200 from the front; everything else the designed 503: "
        f"{'met' if outage_met else 'NOT met'}"
    )
    return 0 if page_met and outage_met and max(fresh) <= TARGET_FRESH_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
