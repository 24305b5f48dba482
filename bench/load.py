"""Throughput and latency under load: requests per second each page sustains through gunicorn, against a ceiling.

Serves the site with gunicorn and production settings (bench/server.py: 2 workers x 1 thread, DEBUG off,
the whole middleware stack, a scratch database loaded from content/) and runs `wrk -t2 -c16 -d10s
--latency` against each target in turn, after a few warm-up requests that fill the page cache. The
ceiling, /bench/ceiling/ (bench/urls.py), is a fixed page from a view that does nothing: the fastest any
page can be through the same server and middleware. Every target is reported as a fraction of it.
Targets: a procedure page sustains at least 0.8 of the ceiling with p99 under 10 ms; the ZIP code finder
at least 0.3 of the ceiling. wrk and the server share the machine's 2 cores.

Run by hand: `python -m bench.load` (options: --seconds, --connections, --threads). gunicorn.conf.py's
environment variables pass through, e.g. `GUNICORN_MAX_REQUESTS=0 python -m bench.load` measures without
worker recycling.
"""

import argparse
import os
import sys
import tempfile

from bench.page_weight import Subresources
from bench.server import WRK_INSTALL_HINT, Server, ServerError, http_get, log, run_wrk, wrk_program

SECONDS = 10
THREADS = 2
CONNECTIONS = 16
WARM_UP_REQUESTS = 3
CEILING = "/bench/ceiling/"
PROCEDURE_PAGE = "/procedures/si-joint-injection/"
FINDER_QUERY = "/clinics/?q=55435&radius=25"
TARGETS = [
    ("ceiling", CEILING),
    ("procedure page", PROCEDURE_PAGE),
    ("home page", "/"),
    ("finder query", FINDER_QUERY),
    ("clinic page", "/clinics/edina/"),
    # ("stylesheet", <hashed URL>) is added once the home page has named it.
]
# (target path, least fraction of the ceiling's requests/s, p99 must be under this many ms or None)
GOALS = [
    ("procedure page", PROCEDURE_PAGE, 0.8, 10.0),
    ("finder", FINDER_QUERY, 0.3, None),
]


def stylesheet_url(server):
    status, body = http_get(server.url("/"))
    if status != 200:
        raise ServerError(f"the home page answered {status}")
    subresources = Subresources()
    subresources.feed(body.decode("utf-8"))
    if not subresources.stylesheets:
        raise ServerError("the home page names no stylesheet")
    return subresources.stylesheets[0]


def warm_up(server, path):
    """A few GETs, so the page cache of both workers is likely filled; the last status."""
    status = None
    for _ in range(WARM_UP_REQUESTS):
        status, _body = http_get(server.url(path))
    return status


def measure(server, targets, *, seconds, threads, connections):
    results = []
    for name, path in targets:
        status = warm_up(server, path)
        log(f"load: {name} {path} (warm-up answered {status}): wrk -t{threads} -c{connections} -d{seconds}s ...")
        results.append(
            (name, path, status, run_wrk(server.url(path), threads=threads, connections=connections, seconds=seconds))
        )
    return results


def _ms(value):
    return f"{value:.2f}" if value is not None else "-"


def print_report(results, *, server_description, seconds, threads, connections):
    ceiling = next(result for name, _path, _status, result in results if name == "ceiling")
    print(
        f"load: {server_description}, production settings; wrk -t{threads} -c{connections} "
        f"-d{seconds}s --latency per target, on the same {os.cpu_count()} cores"
    )
    path_width = max(len(path) for _name, path, _status, _result in results) + 2
    print(
        f"{'target':<16}{'path':<{path_width}}{'status':>6}{'requests':>10}{'req/s':>10}{'p50 ms':>9}"
        f"{'p99 ms':>9}{'errors':>8}{'x ceiling':>11}"
    )
    for name, path, status, result in results:
        ratio = result.requests_per_second / ceiling.requests_per_second if ceiling.requests_per_second else 0
        print(
            f"{name:<16}{path:<{path_width}}{status or '-':>6}{result.requests:>10,}"
            f"{result.requests_per_second:>10,.0f}{_ms(result.p50_ms):>9}{_ms(result.p99_ms):>9}"
            f"{result.errors:>8,}{ratio:>11.2f}"
        )
    print("errors: responses other than 2xx/3xx plus socket errors (connect, read, write, timeout).")
    if ceiling.requests_per_second:
        # Little's law: with every connection always waiting, mean latency = connections / throughput.
        print(
            f"note: {connections} connections always busy at the ceiling's {ceiling.requests_per_second:,.0f} req/s "
            f"make a mean latency of {connections / ceiling.requests_per_second * 1000:.1f} ms for any page "
            f"(Little's law); a p99 under 10 ms at this concurrency needs well over "
            f"{connections / 0.010:,.0f} req/s."
        )
    for name, _path, _status, result in results:
        if result.socket_errors:
            print(f"  {name}: socket errors {result.socket_error_detail}")
    verdicts = []
    by_path = {path: result for _name, path, _status, result in results}
    for label, path, least_ratio, p99_limit in GOALS:
        result = by_path[path]
        ratio = result.requests_per_second / ceiling.requests_per_second if ceiling.requests_per_second else 0
        met = ratio >= least_ratio and result.errors == 0
        goal = f">= {least_ratio:.1f} x ceiling"
        seen = f"{ratio:.2f} x ceiling"
        if p99_limit is not None:
            met = met and result.p99_ms is not None and result.p99_ms < p99_limit
            goal += f", p99 < {p99_limit:.0f} ms"
            seen += f", p99 {_ms(result.p99_ms)} ms"
        goal += ", no errors"
        seen += f", {result.errors} errors"
        print(f"target: {label} {goal}: {seen}: {'met' if met else 'NOT met'}")
        verdicts.append(met)
    return verdicts


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=SECONDS, help="wrk duration per target (default %(default)s)")
    parser.add_argument("--threads", type=int, default=THREADS, help="wrk threads (default %(default)s)")
    parser.add_argument("--connections", type=int, default=CONNECTIONS, help="wrk connections (default %(default)s)")
    args = parser.parse_args(argv or [])
    if wrk_program() is None:
        print(f"load: {WRK_INSTALL_HINT}", file=sys.stderr)
        return 2
    with (
        tempfile.TemporaryDirectory(prefix="sijoint-bench-load-") as scratch_dir,
        Server(scratch_dir, name="load") as server,
    ):
        targets = [*TARGETS, ("stylesheet", stylesheet_url(server))]
        results = measure(server, targets, seconds=args.seconds, threads=args.threads, connections=args.connections)
        server_log = server.log_tail()
        server_description = server.describe()
    print_report(
        results,
        server_description=server_description,
        seconds=args.seconds,
        threads=args.threads,
        connections=args.connections,
    )
    problems = [f"{path} answered {status} to the warm-up" for _name, path, status, _result in results if status != 200]
    if problems or "Traceback" in server_log:
        for problem in problems:
            print(f"load: {problem}", file=sys.stderr)
        print(f"load: gunicorn's log ends:\n{server_log}", file=sys.stderr)
    # The figures were measured: a missed target is a finding, not a failure to measure.
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
