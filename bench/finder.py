"""Finder speed: how long `clinics_near` takes with 100,000 clinics in the table.

For each database backend (SQLite always; PostgreSQL too when DATABASE_URL points at a PostgreSQL server)
a fresh process migrates a scratch database and loads 100,000 synthetic clinics placed at random real ZIP
code centres, each with its procedures and weekday opening hours (the search fetches both). It then times
the whole `clinics_near(origin, radius_miles=50, limit=10)` call, as a patient's search pays it, from 1,000
random real ZIP codes: once for any procedure and once for si-joint-fusion.
The scratch databases are a temporary SQLite file and a PostgreSQL database named sijoint_bench_finder,
created on the DATABASE_URL server and dropped at the end.

Run by hand: `python -m bench.finder` (all backends) or `python -m bench.finder --backend-url URL` (one
backend, into a database you provide; prints its figures as JSON).
"""

import argparse
import datetime
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

CLINIC_COUNT = 100_000
SEARCH_COUNT = 1_000
WARM_UP_COUNT = 20
RADIUS_MILES = 50
LIMIT = 10
JITTER_DEGREES = 0.05
BATCH_SIZE = 5_000
TARGET_P50_MS = 5.0
SEED = 20240611
SCRATCH_POSTGRESQL_DATABASE = "sijoint_bench_finder"
PROCEDURE_FILTERS = [None, "si-joint-fusion"]

REPO_ROOT = Path(__file__).resolve().parent.parent

SYNTHETIC_PROCEDURES = [
    {
        "slug": "si-joint-injection",
        "title": "SI joint injection",
        "procedure_type": "therapeutic",
        "summary": "A steroid and numbing medicine injected into the sacroiliac joint to ease pain.",
        "duration": "15 to 30 minutes",
        "anaesthetic": "Local anesthetic",
        "recovery_time": "Back to most activities the next day",
    },
    {
        "slug": "si-joint-fusion",
        "title": "SI joint fusion",
        "procedure_type": "surgical",
        "summary": "Surgery that joins the sacrum and pelvis so the sacroiliac joint stops moving.",
        "duration": "About 1 hour",
        "anaesthetic": "General anesthetic",
        "recovery_time": "6 to 12 weeks",
    },
]
SYNTHETIC_PROCEDURE_COMMON_FIELDS = {
    "status": "published",
    "going_home": "Usually the same day",
    "reviewed_by": "Bench Reviewer, MD",
    "last_reviewed": datetime.date(2024, 1, 15),
    "next_review_due": datetime.date(2099, 1, 15),
}
# What each synthetic clinic offers, and how often.
PROCEDURE_MIXES = [
    (("si-joint-injection",), 0.5),
    (("si-joint-fusion",), 0.15),
    (("si-joint-injection", "si-joint-fusion"), 0.35),
]
WEEKDAY_HOURS = (datetime.time(8, 0), datetime.time(17, 0))  # Monday to Friday; closed at weekends


# --- The parent process: one scratch database and one child process per backend -------------------------


def main():
    """Run every backend; print the figures of those that finished. Exit status 1 if any failed."""
    with tempfile.TemporaryDirectory(prefix="sijoint-bench-finder-") as scratch_dir:
        backends = [("sqlite", f"sqlite:///{Path(scratch_dir) / 'finder.sqlite3'}")]
        server_url = os.environ.get("DATABASE_URL", "")
        if urlsplit(server_url).scheme in ("postgres", "postgresql", "pgsql"):
            backends.append(("postgresql", server_url))
        results, failed = [], []
        for backend, url in backends:
            print(
                f"finder: loading {CLINIC_COUNT:,} clinics into scratch {backend} and searching ...",
                file=sys.stderr,
                flush=True,
            )
            result = _run_on_scratch_postgresql(url) if backend == "postgresql" else _run_child(url)
            if result is None:
                print(f"finder: the {backend} run failed; its error is above.", file=sys.stderr)
                failed.append(backend)
            else:
                results.append(result)
    _print_table(results)
    return 1 if failed else 0


def _run_on_scratch_postgresql(server_url):
    """Create the scratch database on the server, run the child against it, and drop it again."""
    import psycopg

    scratch_url = urlsplit(server_url)._replace(path=f"/{SCRATCH_POSTGRESQL_DATABASE}").geturl()
    try:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {SCRATCH_POSTGRESQL_DATABASE}")
            admin.execute(f"CREATE DATABASE {SCRATCH_POSTGRESQL_DATABASE}")
            try:
                return _run_child(scratch_url)
            finally:
                admin.execute(f"DROP DATABASE IF EXISTS {SCRATCH_POSTGRESQL_DATABASE}")
    except psycopg.Error as error:
        print(f"finder: PostgreSQL: {error}", file=sys.stderr)
        return None


def _run_child(database_url):
    """The figures from `python -m bench.finder --backend-url database_url`, or None if it failed."""
    completed = subprocess.run(
        [sys.executable, "-m", "bench.finder", "--backend-url", database_url],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    return json.loads(completed.stdout) if completed.returncode == 0 else None


def _print_table(results):
    print(
        f"finder: nearest {LIMIT} within {RADIUS_MILES} miles, {SEARCH_COUNT:,} random real ZIP codes, "
        f"{CLINIC_COUNT:,} clinics"
    )
    print(
        f"{'backend':<12}{'procedure':<17}{'clinics':>9}{'load s':>8}{'p50 ms':>8}{'p90 ms':>8}{'p99 ms':>8}"
        f"{'max ms':>8}{'results/query':>15}  target p50<{TARGET_P50_MS:g}ms"
    )
    for result in results:
        for index, timing in enumerate(result["timings"]):
            load = f"{result['load_seconds']:.1f}" if index == 0 else ""
            clinics = f"{result['clinics']:,}" if index == 0 else ""
            verdict = "met" if timing["p50_ms"] < TARGET_P50_MS else "NOT met"
            print(
                f"{result['backend'] if index == 0 else '':<12}{timing['procedure'] or 'any':<17}{clinics:>9}"
                f"{load:>8}{timing['p50_ms']:>8.2f}{timing['p90_ms']:>8.2f}{timing['p99_ms']:>8.2f}"
                f"{timing['max_ms']:>8.2f}{timing['mean_results']:>15.1f}  {verdict}"
            )
    print(
        f"load s: inserting the clinics, their procedures and weekday opening hours"
        f" (plus ANALYZE, as load_content runs); each search is timed alone after {WARM_UP_COUNT} warm-up searches."
    )


# --- The child process: one backend ----------------------------------------------------------------------


def run_backend(database_url):
    """Migrate the scratch database at database_url, load it, time the searches; the figures as a dict."""
    from bench.django_setup import setup_django

    setup_django(database_url)

    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    started = time.perf_counter()
    _load_clinics(random.Random(SEED))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # as load_content does after every load
    load_seconds = time.perf_counter() - started

    from procedures.models import Clinic

    origins = _random_origins(random.Random(SEED + 1), WARM_UP_COUNT + SEARCH_COUNT)
    return {
        "backend": connection.vendor,
        "clinics": Clinic.objects.count(),
        "load_seconds": load_seconds,
        "timings": [_time_searches(origins, procedure_slug) for procedure_slug in PROCEDURE_FILTERS],
    }


def _real_zip_centres():
    """[(zip code, latitude, longitude, city, state, timezone)] for every ZIP code with a known centre point."""
    from procedures.geo import all_zip_centres

    return all_zip_centres()


def _load_clinics(rng):
    from django.db import transaction

    from procedures.models import Clinic, OpeningHours, Procedure

    with transaction.atomic():
        procedures = {
            fields["slug"]: Procedure.objects.create(**fields, **SYNTHETIC_PROCEDURE_COMMON_FIELDS)
            for fields in SYNTHETIC_PROCEDURES
        }
        zip_centres = _real_zip_centres()
        mixes, weights = zip(*PROCEDURE_MIXES, strict=False)
        clinics, offered = [], []
        for number in range(1, CLINIC_COUNT + 1):
            zip_code, latitude, longitude, city, state, timezone = rng.choice(zip_centres)
            clinics.append(
                Clinic(
                    name=f"Bench Spine & Joint Clinic {number} \u2013 {city.title()}",
                    slug=f"bench-clinic-{number}",
                    address=f"{rng.randint(1, 9999)} Main St, Suite {rng.randint(100, 499)}",
                    city=city.title(),
                    state=state,
                    zip_code=zip_code,
                    latitude=latitude + rng.uniform(-JITTER_DEGREES, JITTER_DEGREES),
                    longitude=longitude + rng.uniform(-JITTER_DEGREES, JITTER_DEGREES),
                    timezone=timezone or "America/Chicago",
                    phone=f"({rng.randint(201, 989)}) 555-01{rng.randint(0, 99):02d}",
                    email=f"clinic{number}@example.org",
                    telemedicine=rng.random() < 0.4,
                    step_free_access=rng.random() < 0.9,
                    access_notes="Step-free entrance from the parking lot.",
                    accepting_new_patients=rng.random() < 0.8,
                )
            )
            offered.append(rng.choices(mixes, weights)[0])
        Clinic.objects.bulk_create(clinics, batch_size=BATCH_SIZE)

        opens, closes = WEEKDAY_HOURS
        OpeningHours.objects.bulk_create(
            (
                OpeningHours(clinic_id=clinic.pk, weekday=weekday, opens=opens, closes=closes)
                for clinic in clinics
                for weekday in range(5)
            ),
            batch_size=BATCH_SIZE,
        )
        ClinicProcedure = Clinic.procedures.through
        ClinicProcedure.objects.bulk_create(
            (
                ClinicProcedure(clinic_id=clinic.pk, procedure_id=procedures[slug].pk)
                for clinic, slugs in zip(clinics, offered, strict=False)
                for slug in slugs
            ),
            batch_size=BATCH_SIZE,
        )


def _random_origins(rng, count):
    from procedures.geo import origin_for_query

    return [origin_for_query(entry[0]) for entry in rng.sample(_real_zip_centres(), count)]


def _time_searches(origins, procedure_slug):
    from procedures.caching import procedure_menu
    from procedures.finder import clinics_near

    procedure_id = next((item["id"] for item in procedure_menu() if item["slug"] == procedure_slug), None)
    for origin in origins[:WARM_UP_COUNT]:
        clinics_near(origin, radius_miles=RADIUS_MILES, procedure_id=procedure_id, limit=LIMIT)
    latencies_ms, result_counts = [], []
    for origin in origins[WARM_UP_COUNT:]:
        started = time.perf_counter()
        matches = clinics_near(origin, radius_miles=RADIUS_MILES, procedure_id=procedure_id, limit=LIMIT)
        latencies_ms.append((time.perf_counter() - started) * 1000)
        result_counts.append(len(matches))
    percentiles = statistics.quantiles(latencies_ms, n=100, method="inclusive")
    return {
        "procedure": procedure_slug,
        "p50_ms": percentiles[49],
        "p90_ms": percentiles[89],
        "p99_ms": percentiles[98],
        "max_ms": max(latencies_ms),
        "mean_results": statistics.fmean(result_counts),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend-url", help="run one backend in this process, against this scratch database")
    arguments = parser.parse_args()
    if arguments.backend_url:
        print(json.dumps(run_backend(arguments.backend_url)))
    else:
        sys.exit(main())
