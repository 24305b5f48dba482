"""Memory per worker: what each gunicorn worker holds after warm-up, against a target of at most 150 MB.

Serves the site with gunicorn and production settings (bench/server.py: 2 workers, a scratch database
loaded from content/), warms it up the way patients would (the home page, a procedure page, ZIP code
searches and town searches, each several times and with several different places, so that both workers
have served every kind of page and search), then reads each worker's RSS and PSS from
/proc/<pid>/smaps_rollup. RSS counts every page the worker touches, shared ones included (the code and
data the master loaded before forking, a read-only file mapped by every worker); PSS divides each shared
page among the processes sharing it, so the workers' PSS add up to what they really cost the machine.
Target: every worker's RSS at most 150 MB (PSS reported alongside).

Run by hand: `python -m bench.memory` (option: --rounds).
"""

import argparse
import sys
import tempfile
import time
from urllib.parse import quote_plus

from bench.server import Server, http_get, log

TARGET_MB = 150
ROUNDS = 10
PAGES = ["/", "/procedures/si-joint-injection/", "/procedures/si-joint-fusion/", "/clinics/edina/"]
ZIP_SEARCHES = ["55435", "55401", "10001", "60614", "94103", "73301", "98101", "33101", "02108", "80202"]
TOWN_SEARCHES = [
    "Edina, MN",
    "Minneapolis, MN",
    "Saint Paul, MN",
    "Rochester, MN",
    "Springfield, IL",
    "Portland, OR",
    "Austin, TX",
    "Boston, MA",
    "Denver, CO",
    "Miami, FL",
]


def warm_up_paths():
    """Every page, then the two searches the brief names, then other places (each is computed once per worker)."""
    searches = [f"/clinics/?q={quote_plus(query)}" for query in ("55435", "Edina, MN")]
    searches += [f"/clinics/?q={quote_plus(query)}&radius=50" for query in ZIP_SEARCHES + TOWN_SEARCHES]
    return PAGES + searches


def smaps_rollup(pid):
    """{field: kB} from /proc/<pid>/smaps_rollup (Rss, Pss, Shared_Clean, Private_Dirty, ...)."""
    figures = {}
    with open(f"/proc/{pid}/smaps_rollup") as rollup:
        for line in rollup:
            parts = line.split()
            if len(parts) == 3 and parts[2] == "kB":
                figures[parts[0].rstrip(":")] = int(parts[1])
    return figures


def warm_up(server, rounds):
    """GET every warm-up path `rounds` times (new connection each time, so both workers take a share)."""
    statuses = {}
    for _ in range(rounds):
        for path in warm_up_paths():
            status, _body = http_get(server.url(path), timeout=30)
            statuses.setdefault(status, []).append(path)
    return statuses


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="warm-up passes over the pages (%(default)s)")
    args = parser.parse_args(argv or [])
    with (
        tempfile.TemporaryDirectory(prefix="sijoint-bench-memory-") as scratch_dir,
        Server(scratch_dir, name="memory") as server,
    ):
        started = time.perf_counter()
        statuses = warm_up(server, args.rounds)
        warm_up_seconds = time.perf_counter() - started
        time.sleep(0.5)  # let the last answers finish
        master = server.process.pid
        workers = server.worker_pids()
        readings = [("master", master, smaps_rollup(master))]
        readings += [(f"worker {number}", pid, smaps_rollup(pid)) for number, pid in enumerate(workers, 1)]
        server_description = server.describe()
        server_log = server.log_tail()
    requests = sum(len(paths) for paths in statuses.values())
    print(
        f"memory: {server_description}, production settings; after a warm-up of {requests} requests "
        f"({args.rounds} passes over {len(PAGES)} pages, the ZIP search 55435, the town search Edina, MN and "
        f"{len(ZIP_SEARCHES)} other ZIP and {len(TOWN_SEARCHES)} other town searches) in {warm_up_seconds:.1f} s; "
        "statuses " + ", ".join(f"{status}: {len(paths)}" for status, paths in sorted(statuses.items()))
    )
    print(f"{'process':<10}{'pid':>8}{'RSS MB':>9}{'PSS MB':>9}{'shared MB':>11}{'private MB':>12}")
    for label, pid, figures in readings:
        shared = figures.get("Shared_Clean", 0) + figures.get("Shared_Dirty", 0)
        private = figures.get("Private_Clean", 0) + figures.get("Private_Dirty", 0)
        print(
            f"{label:<10}{pid:>8}{figures['Rss'] / 1024:>9.1f}{figures['Pss'] / 1024:>9.1f}"
            f"{shared / 1024:>11.1f}{private / 1024:>12.1f}"
        )
    worker_readings = [(label, figures) for label, _pid, figures in readings if label != "master"]
    largest_rss = max(figures["Rss"] for _label, figures in worker_readings) / 1024
    largest_pss = max(figures["Pss"] for _label, figures in worker_readings) / 1024
    total_pss = sum(figures["Pss"] for _label, _pid, figures in readings) / 1024
    print(f"all gunicorn processes together (sum of PSS): {total_pss:.1f} MB")
    met = largest_rss <= TARGET_MB
    print(
        f"target: every worker at most {TARGET_MB} MB after warm-up: largest worker RSS {largest_rss:.1f} MB "
        f"(PSS {largest_pss:.1f} MB): {'met' if met else 'NOT met'}"
    )
    bad = {status: paths for status, paths in statuses.items() if status != 200}
    if bad or len(workers) != 2 or "Traceback" in server_log:
        for status, paths in bad.items():
            print(f"memory: {status} answered to {sorted(set(paths))}", file=sys.stderr)
        log(f"memory: {len(workers)} workers found; gunicorn's log ends:\n{server_log}")
    return 1 if bad or not workers else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
