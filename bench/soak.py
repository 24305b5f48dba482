"""Soak: a minute of steady load while content is edited every few seconds; no errors, no stale page.

Serves the site with gunicorn and production settings (bench/server.py) against a scratch SQLite database,
and for --seconds (default 60):
- wrk -t1 -c8 keeps load on the si-joint-fusion page and the home page (alternately);
- a poller thread GETs the procedure page, the home page and a finder query in turn, recording every
  5xx answer and every exception;
- the main thread edits the si-joint-fusion page every 5 s, alternating (a) a Section edit through the
  ORM in the same database, as the admin does, and (b) a changed copy of content/ (a line appended to the
  page's Follow-up section) loaded with content_load(force=True), as a deploy does. Each edit adds a
  unique marker sentence; the page is fetched at once and must show it. A page without the marker is
  stale; it is fetched again up to 3 times over a second to tell "stale at first read" from "never fresh".
Target: zero 5xx, no failed request (a non-2xx/3xx answer or none at all) or edit, and no stale page after
an edit; answers slower than wrk's 2 s timeout are reported but not counted as failures. Exit status 1 when
the target is not met.

Run by hand: `python -m bench.soak --seconds 60`.
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.server import (
    WRK_INSTALL_HINT,
    Server,
    http_get,
    log,
    parse_wrk,
    wrk_command,
    wrk_program,
)

SECONDS = 60
EDIT_EVERY_SECONDS = 5
SLUG = "si-joint-fusion"
SECTION_KIND = "follow_up"
SECTION_HEADING = "## Follow-up"
PROCEDURE_PAGE = f"/procedures/{SLUG}/"
POLLED_PATHS = [PROCEDURE_PAGE, "/", "/clinics/?q=55435&radius=25"]
WRK_THREADS = 1
WRK_CONNECTIONS = 8
# wrk alternates between these paths.
WRK_SCRIPT = f"""
paths = {{"{PROCEDURE_PAGE}", "/"}}
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end
"""
FRESH_RETRIES = 3
FRESH_RETRY_SECONDS = 1 / 3
LOCK_RETRIES = 10
LOCK_RETRY_SECONDS = 0.2


@dataclass
class Poller:
    """GETs the polled paths in turn until stopped, counting answers by status, 5xx and exceptions."""

    server: Server
    stop: threading.Event = field(default_factory=threading.Event)
    requests: int = 0
    statuses: dict = field(default_factory=dict)
    server_errors: list = field(default_factory=list)  # (path, status)
    exceptions: list = field(default_factory=list)  # (path, repr)
    slowest: tuple = (0.0, "", 0.0)  # (ms, path, seconds into the soak)
    started: float = field(default_factory=time.monotonic)

    def run(self):
        index = 0
        while not self.stop.is_set():
            path = POLLED_PATHS[index % len(POLLED_PATHS)]
            index += 1
            started = time.perf_counter()
            try:
                status, _body = http_get(self.server.url(path), timeout=10)
            except Exception as error:  # recorded, not raised: counting them is the point
                self.requests += 1
                self.exceptions.append((path, repr(error)))
                continue
            took_ms = (time.perf_counter() - started) * 1000
            if took_ms > self.slowest[0]:
                self.slowest = (took_ms, path, time.monotonic() - self.started)
            self.requests += 1
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if status >= 500:
                self.server_errors.append((path, status))
            self.stop.wait(0.05)


@dataclass
class Edits:
    made: int = 0
    by_orm: int = 0
    by_content_load: int = 0
    checks: int = 0  # GETs made to check freshness
    stale_first_read: list = field(default_factory=list)
    never_fresh: list = field(default_factory=list)
    lock_retries: int = 0
    edit_seconds: list = field(default_factory=list)  # (ORM or content_load, seconds the edit took)
    failed: list = field(default_factory=list)  # (marker, repr of the error)
    check_errors: list = field(default_factory=list)  # (marker, status or exception)


def with_lock_retries(edits, action):
    """Run action(); on SQLite's "database is locked" retry a few times, counting each retry."""
    from django.db import OperationalError

    for attempt in range(LOCK_RETRIES + 1):
        try:
            return action()
        except OperationalError as error:
            if "locked" not in str(error) or attempt == LOCK_RETRIES:
                raise
            edits.lock_retries += 1
            time.sleep(LOCK_RETRY_SECONDS)
    return None


def edit_through_orm(marker):
    """Append the marker to the page's Follow-up section and save it, in one transaction as the admin does."""
    from django.db import transaction

    from procedures.models import Section

    with transaction.atomic():
        section = Section.objects.select_for_update().get(procedure__slug=SLUG, kind=SECTION_KIND)
        section.body = f"{section.body.rstrip()}\n\n{marker}\n"
        section._change_reason = "Soak benchmark edit"
        section.save()


def content_with_marker(original_dir, scratch_dir, marker):
    """A copy of the content folder whose page file has the marker appended to its Follow-up section."""
    copy = Path(scratch_dir) / "content"
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(original_dir, copy)
    page = copy / "procedures" / f"{SLUG}.md"
    lines = page.read_text(encoding="utf-8").split("\n")
    start = lines.index(SECTION_HEADING)
    end = next((number for number in range(start + 1, len(lines)) if lines[number].startswith("## ")), len(lines))
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    lines[end:end] = ["", marker]
    page.write_text("\n".join(lines), encoding="utf-8")
    return copy


def edit_through_content_load(marker, scratch_dir):
    from django.conf import settings

    from procedures.content import content_load

    report = content_load(content_with_marker(settings.CONTENT_DIR, scratch_dir, marker), force=True)
    if SLUG not in report.updated:
        raise RuntimeError(f"content_load did not update {SLUG}: {report.summary()}")


def check_fresh(server, edits, marker):
    """GET the page at once; retry over a second if the marker is missing. Records stale reads."""
    needle = marker.encode()
    for attempt in range(FRESH_RETRIES + 1):
        if attempt:
            time.sleep(FRESH_RETRY_SECONDS)
        edits.checks += 1
        try:
            status, body = http_get(server.url(PROCEDURE_PAGE), timeout=10)
        except Exception as error:
            edits.check_errors.append((marker, repr(error)))
            continue
        if status != 200:
            edits.check_errors.append((marker, status))
        elif needle in body:
            return
        if attempt == 0:
            edits.stale_first_read.append(marker)
    edits.never_fresh.append(marker)


def edit_and_check(server, edits, number, scratch_dir):
    marker = f"Soak edit {number} at {time.strftime('%H:%M:%S')}."
    through_orm = number % 2 == 1
    started = time.perf_counter()
    try:
        if through_orm:
            with_lock_retries(edits, lambda: edit_through_orm(marker))
            edits.by_orm += 1
        else:
            with_lock_retries(edits, lambda: edit_through_content_load(marker, scratch_dir))
            edits.by_content_load += 1
    except Exception as error:
        edits.failed.append((marker, repr(error)))
        log(f"soak: edit {number} failed: {error!r}")
        return
    edits.made += 1
    edits.edit_seconds.append(("ORM" if through_orm else "content_load", time.perf_counter() - started))
    check_fresh(server, edits, marker)


def soak(server, scratch_dir, seconds):
    """Load, poll and edit for `seconds`; (wrk result, poller, edits, measured seconds)."""
    from django.conf import settings

    from procedures.content import content_parse

    script = Path(scratch_dir) / "soak.lua"
    script.write_text(WRK_SCRIPT)
    # Fill the page caches (a few times each, so that both workers are likely to have answered), and have
    # this process read the ZIP code table before the clock starts (the first content_load would otherwise).
    for path in POLLED_PATHS * 3:
        http_get(server.url(path))
    content_parse(settings.CONTENT_DIR)
    edits = Edits()
    started = time.monotonic()
    poller = Poller(server, started=started)
    poll_thread = threading.Thread(target=poller.run, name="soak-poller", daemon=True)
    wrk = subprocess.Popen(
        wrk_command(
            server.url(PROCEDURE_PAGE), threads=WRK_THREADS, connections=WRK_CONNECTIONS, seconds=seconds, script=script
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        poll_thread.start()
        number = 0
        while True:
            next_edit = started + EDIT_EVERY_SECONDS * (number + 1)
            if next_edit > started + seconds - 1:
                break
            time.sleep(max(0.0, next_edit - time.monotonic()))
            number += 1
            made_before = edits.made
            edit_and_check(server, edits, number, scratch_dir)
            took = f", took {edits.edit_seconds[-1][1]:.2f} s" if edits.made > made_before else ", FAILED"
            log(
                f"soak: {time.monotonic() - started:5.1f} s: edit {number} "
                f"({'ORM' if number % 2 else 'content_load'}{took}), "
                f"{len(edits.stale_first_read)} stale so far, {len(poller.server_errors)} 5xx so far"
            )
        stdout, stderr = wrk.communicate(timeout=seconds + 30)
    finally:
        if wrk.poll() is None:
            wrk.kill()
            wrk.wait(timeout=10)
        poller.stop.set()
        poll_thread.join(timeout=15)
    measured = time.monotonic() - started
    if wrk.returncode != 0:
        raise RuntimeError(f"wrk exited with status {wrk.returncode}:\n{stdout}{stderr}")
    return parse_wrk(stdout), poller, edits, measured


def print_report(result, poller, edits, measured, server_description):
    print(
        f"soak: {server_description}, production settings; {measured:.0f} s of wrk -t{WRK_THREADS} "
        f"-c{WRK_CONNECTIONS} on {PROCEDURE_PAGE} and / (alternately), a poller on {', '.join(POLLED_PATHS)}, "
        f"and an edit to {SLUG} every {EDIT_EVERY_SECONDS} s"
    )
    total = result.requests + poller.requests + edits.checks
    five_xx = len(poller.server_errors) + sum(
        1 for _marker, status in edits.check_errors if isinstance(status, int) and status >= 500
    )
    wrk_slow = result.socket_errors_by_kind.get("timeout", 0)
    wrk_failed = result.non_2xx_3xx + result.socket_errors - wrk_slow
    # Failed requests: answered with something other than 2xx/3xx, or not answered at all (a connection
    # refused or reset, or nothing within the poller's 10 s). Slow answers (over wrk's 2 s) are counted apart.
    errors = wrk_failed + len(poller.exceptions) + len(edits.check_errors)
    rows = [
        ("duration", f"{measured:.1f} s"),
        (
            "edits made",
            f"{edits.made} ({edits.by_orm} through the ORM, {edits.by_content_load} by content_load)"
            + (f", {len(edits.failed)} FAILED" if edits.failed else ""),
        ),
        ("requests in all", f"{total:,}"),
        (
            "  wrk",
            f"{result.requests:,} ({result.requests_per_second:,.0f}/s, p50 {result.p50_ms:.2f} ms, "
            f"p99 {result.p99_ms:.2f} ms)",
        ),
        (
            "  poller",
            f"{poller.requests:,} (slowest {poller.slowest[0]:.0f} ms, {poller.slowest[1]} at "
            f"{poller.slowest[2]:.1f} s; statuses "
            + ", ".join(f"{status}: {count:,}" for status, count in sorted(poller.statuses.items()))
            + ")",
        ),
        ("  freshness checks", f"{edits.checks:,}"),
        ("5xx answers", f"{five_xx:,}"),
        (
            "failed requests",
            f"{errors:,} (wrk: non-2xx/3xx {result.non_2xx_3xx:,}, "
            f"socket errors {wrk_failed - result.non_2xx_3xx:,}; poller exceptions "
            f"{len(poller.exceptions):,}; freshness checks {len(edits.check_errors):,})",
        ),
        ("slow (> 2 s)", f"{wrk_slow:,} wrk requests hit its 2 s timeout"),
        ("stale at first read", f"{len(edits.stale_first_read)} of {edits.made} edits"),
        ("never fresh (1 s)", f"{len(edits.never_fresh)} of {edits.made} edits"),
        (
            "longest edit",
            ", ".join(
                f"{how} {max(took for kind, took in edits.edit_seconds if kind == how):.2f} s"
                for how in ("ORM", "content_load")
                if any(kind == how for kind, _took in edits.edit_seconds)
            )
            or "-",
        ),
        ("database locked", f"{edits.lock_retries} edit retries"),
    ]
    width = max(len(label) for label, _value in rows) + 2
    for label, value in rows:
        print(f"{label:<{width}}{value}")
    for path, error in poller.exceptions[:5]:
        print(f"  poller exception on {path}: {error}")
    for marker, problem in (edits.check_errors + edits.failed)[:5]:
        print(f"  {marker}: {problem}")
    for marker in edits.stale_first_read[:5]:
        print(f"  stale at first read: {marker}")
    met = (
        five_xx == 0
        and errors == 0
        and not edits.failed
        and edits.made > 0
        and not edits.stale_first_read
        and not edits.never_fresh
    )
    verdict = "met" if met else "NOT met"
    print(f"target: zero 5xx, no failed request or edit, no stale page after an edit: {verdict}")
    return met


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=SECONDS, help="how long to soak (default %(default)s)")
    args = parser.parse_args(argv or [])
    if wrk_program() is None:
        print(f"soak: {WRK_INSTALL_HINT}", file=sys.stderr)
        return 2
    if args.seconds < EDIT_EVERY_SECONDS * 2:
        parser.error(f"--seconds must be at least {EDIT_EVERY_SECONDS * 2}")
    with (
        tempfile.TemporaryDirectory(prefix="sijoint-bench-soak-") as scratch_dir,
        Server(scratch_dir, name="soak") as server,
    ):
        from bench.django_setup import setup_django

        # This process edits the very database the server reads.
        setup_django(server.database_url, DJANGO_SECURE_SSL_REDIRECT="0", DJANGO_LOG_LEVEL="WARNING")
        result, poller, edits, measured = soak(server, scratch_dir, args.seconds)
        server_log = server.log_tail()
        server_description = server.describe()
        from django.db import connections

        connections.close_all()
    met = print_report(result, poller, edits, measured, server_description)
    if not met and ("Traceback" in server_log or "Error" in server_log):
        print(f"soak: gunicorn's log ends:\n{server_log}", file=sys.stderr)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
