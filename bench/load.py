"""Throughput and latency under load: requests per second each page sustains through gunicorn, against a ceiling.

Serves the site with gunicorn and production settings (bench/server.py: 2 workers x 1 thread, DEBUG off,
the whole middleware stack, a scratch database loaded from content/) and runs `wrk -t2 -c16 -d10s
--latency` against each target in turn, after a few warm-up requests that fill the page cache. The
ceiling, /bench/ceiling/ (bench/urls.py), is a fixed page from a view that does nothing: the fastest any
page can be through the same server and middleware. Every target is reported as a fraction of it.
Targets: a procedure page sustains at least 0.8 of the ceiling with p99 under 10 ms; the ZIP code finder
at least 0.3 of the ceiling; a town search costs at most 3 x what a ZIP search costs. wrk and the server
share the machine's 2 cores.

Searches are measured three ways, because the page cache answers a repeated search without computing it:
the same search again and again (what a patient who reloads, or a crawler, gets: a cached page), a
different place every request (each patient's own search: computed, since the cache keys on the query;
ZIP codes and "Town, ST" pairs from the zipcodes package, shuffled, far more of them than requests), and a
99-character nonsense town, answered 400 and never cached. The finder's rate limit is off for the
benchmark (bench/server.py). Answers by status are counted for these targets by a wrk Lua script. The
ceiling and the searches are measured --rounds times (default 3), interleaved, and the median round of each
is reported: the 2 cores are shared (with wrk, and on a busy machine with whatever else runs), so a single
10-second round can be unlucky, and a ratio of two rounds taken minutes apart even more so.

Run by hand: `python -m bench.load` (options: --seconds, --connections, --threads, --rounds, --searches-only).
gunicorn.conf.py's environment variables pass through, e.g. `GUNICORN_MAX_REQUESTS=0 python -m bench.load`
measures without worker recycling.
"""

import argparse
import os
import random
import re
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote_plus

from bench.page_weight import Subresources
from bench.server import WRK_INSTALL_HINT, Server, ServerError, http_get, log, run_wrk, wrk_program

SECONDS = 10
THREADS = 2
CONNECTIONS = 16
WARM_UP_REQUESTS = 3
ROUNDS = 3
CEILING = "/bench/ceiling/"
PROCEDURE_PAGE = "/procedures/si-joint-injection/"
FINDER_QUERY = "/clinics/?q=55435&radius=25"
TOWN_QUERY = "/clinics/?q=Edina%2C+MN&radius=25"
NONSENSE_TOWN = ("Qwzrtplk Vbnmxcz " * 6)[:94] + "q, MN"  # 99 characters: a real state, no such town
NONSENSE_QUERY = f"/clinics/?q={quote_plus(NONSENSE_TOWN)}&radius=25"
DISTINCT_QUERIES = 6_000  # per kind and round: more than a run makes requests, so every search is computed
PER_WRK_THREAD = 3_000  # each wrk thread walks its own part of them
TARGETS = [
    ("ceiling", CEILING),
    ("procedure page", PROCEDURE_PAGE),
    ("home page", "/"),
    ("finder query", FINDER_QUERY),
    ("town search", TOWN_QUERY),
    ("ZIP, each new", "scripted:zip"),
    ("town, each new", "scripted:town"),
    ("town nonsense", NONSENSE_QUERY),
    ("clinic page", "/clinics/edina/"),
    # ("stylesheet", <hashed URL>) is added once the home page has named it.
]
# Targets whose answers are counted by status (wrk only says "non-2xx or 3xx"), and the status expected.
COUNTED = {"finder query": 200, "town search": 200, "ZIP, each new": 200, "town, each new": 200, "town nonsense": 400}
# (label, ZIP target, town target): a town search may cost at most TOWN_COST_LIMIT x the ZIP search.
TOWN_COST_LIMIT = 3.0
COST_PAIRS = [
    ("same search again (cached)", "finder query", "town search"),
    ("a new place each request", "ZIP, each new", "town, each new"),
    ("nonsense town (400, never cached)", "ZIP, each new", "town nonsense"),
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


def distinct_search_paths(kind, count=DISTINCT_QUERIES, seed=20261122, start=0):
    """Finder searches for `count` different places (from `start` on): ZIP codes or "Town, ST", shuffled the same
    way each run, so that each round of a run asks for places no earlier round asked for."""
    import zipcodes

    # Places with a point on the map (military APO/FPO codes have none: the finder rightly answers 400).
    entries = [
        entry
        for entry in zipcodes.list_all()
        if entry["active"] and entry["lat"] and (float(entry["lat"]), float(entry["long"])) != (0.0, 0.0)
    ]
    if kind == "zip":
        queries = sorted({entry["zip_code"] for entry in entries})
    else:
        queries = sorted({f"{entry['city']}, {entry['state']}" for entry in entries})
    random.Random(seed).shuffle(queries)
    return [f"/clinics/?q={quote_plus(query)}&radius=25" for query in queries[start : start + count]]


STATUS_SCRIPT = """
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
function init(args)
  statuses = {}
  counter = 0
end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      totals[status] = (totals[status] or 0) + count
    end
  end
  for status, count in pairs(totals) do
    io.write(string.format("status %d: %d\\n", status, count))
  end
end
"""


def lua_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def status_script(scratch_dir, name, paths=None):
    """A wrk script that counts answers by status and, given paths, requests them in turn (per thread offset)."""
    script = STATUS_SCRIPT
    if paths:
        script += "paths = {" + ",\n".join(lua_string(path) for path in paths) + "}\n"
        script += f"PER_THREAD = {PER_WRK_THREAD}\n"
        script += """
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[((counter + id * PER_THREAD) % #paths) + 1])
end
"""
    path = Path(scratch_dir) / f"{re.sub(r'[^a-z]+', '-', name.lower())}.lua"
    path.write_text(script)
    return path


def statuses_from_output(output):
    return {int(status): int(count) for status, count in re.findall(r"^status (\d+): (\d+)$", output, re.MULTILINE)}


def median_round(measured):
    """The round with the median requests per second (the lower middle one of an even count)."""
    return sorted(measured, key=lambda result: result.requests_per_second)[(len(measured) - 1) // 2]


def warm_up(server, path):
    """A few GETs, so the page cache of both workers is likely filled; the last status."""
    status = None
    for _ in range(WARM_UP_REQUESTS):
        status, _body = http_get(server.url(path))
    return status


def measure(server, targets, *, seconds, threads, connections, scratch_dir, round_number=0):
    results = []
    for name, path in targets:
        script = None
        if path.startswith("scripted:"):
            paths = distinct_search_paths(path.split(":", 1)[1], start=round_number * DISTINCT_QUERIES)
            script = status_script(scratch_dir, name, paths)
            status = http_get(server.url(paths[-1]))[0]  # not in the run: one request would take it from paths[0]
            path = f"{paths[0].split('?')[0]}?q=<{len(paths):,} places>"
            url = server.url("/")
        else:
            status = warm_up(server, path)
            url = server.url(path)
            if name in COUNTED:
                script = status_script(scratch_dir, name)
        log(
            f"load: {name} {path} (warm-up answered {status}): wrk -t{threads} -c{connections} -d{seconds}s"
            + (f" (round {round_number + 1})" if round_number else "")
            + " ..."
        )
        result = run_wrk(url, threads=threads, connections=connections, seconds=seconds, script=script)
        result.statuses = statuses_from_output(result.output) if script else {}
        results.append((name, path, status, result))
    return results


def unexpected_answers(name, result):
    """Answers a counted target should not have given (its expected status excepted); wrk's own count otherwise."""
    if name in COUNTED and result.statuses:
        wrong = sum(count for status, count in result.statuses.items() if status != COUNTED[name])
        slow_or_failed = result.socket_errors
        return wrong + slow_or_failed
    return result.errors


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
            f"{unexpected_answers(name, result):>8,}{ratio:>11.2f}"
        )
    print(
        "errors: responses other than 2xx/3xx (for the searches: other than the expected status, 400 for the "
        "nonsense town) plus socket errors (connect, read, write, timeout)."
    )
    for name, _path, _status, result in results:
        if result.statuses:
            counted = ", ".join(f"{status}: {count:,}" for status, count in sorted(result.statuses.items()))
            print(f"  {name}: answers by status {counted}")
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
    by_name = {name: result for name, _path, _status, result in results}
    ratios = []
    for label, zip_name, town_name in COST_PAIRS:
        zip_rate, town_rate = by_name[zip_name].requests_per_second, by_name[town_name].requests_per_second
        ratio = zip_rate / town_rate if town_rate else float("inf")
        ratios.append(ratio)
        print(
            f"town/ZIP cost, {label}: {town_name} {town_rate:,.0f} req/s vs {zip_name} {zip_rate:,.0f} req/s: "
            f"a town search costs {ratio:.2f} x a ZIP search"
        )
    errors = sum(unexpected_answers(name, by_name[name]) for name in COUNTED)
    met = max(ratios) <= TOWN_COST_LIMIT and errors == 0
    print(
        f"target: town search <= {TOWN_COST_LIMIT:.0f} x the cost of a ZIP search (each way above), no errors: "
        f"worst {max(ratios):.2f} x, {errors} errors: {'met' if met else 'NOT met'}"
    )
    verdicts.append(met)
    by_path = {path: result for _name, path, _status, result in results}
    for label, path, least_ratio, p99_limit in GOALS:
        result = by_path.get(path)
        if result is None:
            continue
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
    parser.add_argument(
        "--rounds",
        type=int,
        default=ROUNDS,
        help="measure the ceiling and the searches this many times, interleaved, and report the median "
        "round of each (default %(default)s): the machine is shared, so one round can be unlucky",
    )
    parser.add_argument("--searches-only", action="store_true", help="only the ceiling and the searches")
    args = parser.parse_args(argv or [])
    if wrk_program() is None:
        print(f"load: {WRK_INSTALL_HINT}", file=sys.stderr)
        return 2
    with (
        tempfile.TemporaryDirectory(prefix="sijoint-bench-load-") as scratch_dir,
        Server(scratch_dir, name="load") as server,
    ):
        targets = [*TARGETS, ("stylesheet", stylesheet_url(server))]
        repeated = [(name, path) for name, path in targets if name == "ceiling" or name in COUNTED]
        if args.searches_only:
            targets = repeated
        options = {
            "seconds": args.seconds,
            "threads": args.threads,
            "connections": args.connections,
            "scratch_dir": scratch_dir,
        }
        results = measure(server, targets, **options)
        rounds = {name: [result] for name, _path, _status, result in results}
        for round_number in range(1, args.rounds):
            for name, _path, _status, result in measure(server, repeated, round_number=round_number, **options):
                rounds[name].append(result)
        if args.rounds > 1:
            results = [(name, path, status, median_round(rounds[name])) for name, path, status, _ in results]
        server_log = server.log_tail()
        server_description = server.describe()
    if args.rounds > 1:
        print(f"load: req/s of each round ({args.rounds} rounds, interleaved; the median round is reported below)")
        for name, measured in rounds.items():
            if len(measured) > 1:
                print(f"  {name:<16}" + "  ".join(f"{result.requests_per_second:>8,.0f}" for result in measured))
    print_report(
        results,
        server_description=server_description,
        seconds=args.seconds,
        threads=args.threads,
        connections=args.connections,
    )
    problems = [
        f"{path} answered {status} to the warm-up"
        for name, path, status, _result in results
        if status != COUNTED.get(name, 200)
    ]
    if problems or "Traceback" in server_log:
        for problem in problems:
            print(f"load: {problem}", file=sys.stderr)
        print(f"load: gunicorn's log ends:\n{server_log}", file=sys.stderr)
    # The figures were measured: a missed target is a finding, not a failure to measure.
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
