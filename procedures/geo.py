"""ZIP code or town -> a point on the map; distances between points.

ZIP code centre points come from the `zipcodes` package (bundled data, no network at run time), kept in a
read-only SQLite file that every worker shares (see "The places file" below).
"""

import fcntl
import importlib.metadata
import math
import os
import re
import sqlite3
import subprocess
import sys
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

EARTH_RADIUS_MILES = 3958.8
MILES_PER_DEGREE_LATITUDE = 69.0
MAX_QUERY_LENGTH = 100

HOW_TO_SEARCH = "Enter a 5-digit ZIP code, like 55435, or a town and state, like Edina, MN."


class PlaceNotFound(ValueError):
    """A search we cannot answer, with a message written for the patient."""


@dataclass(frozen=True)
class Origin:
    query: str  # what the patient searched for, tidied: "55435" or "Edina, MN"
    label: str  # how we describe the place: "55435 (Minneapolis, MN)"
    latitude: float
    longitude: float


def distance_miles(lat1, lon1, lat2, lon2):
    """Great-circle distance by the haversine formula."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(min(1.0, math.sqrt(a)))


class ZipCentre(NamedTuple):
    latitude: float | None  # None for the few ZIP codes (military, PO boxes) with no centre point
    longitude: float | None
    city: str
    state: str
    timezone: str


def zip_centre(zip_code):
    """The centre point, town, state and time zone of a 5-digit ZIP code, or None if there is no such ZIP."""
    row = (
        _places()
        .execute("SELECT latitude, longitude, city, state, timezone FROM zip WHERE zip = ?", (zip_code,))
        .fetchone()
    )
    return ZipCentre(*row) if row else None


def town_points(name):
    """{state: (latitude, longitude)} of every town called `name` (any case, "St." or "Saint")."""
    rows = _places().execute("SELECT state, latitude, longitude FROM town WHERE town = ?", (_town_key(name),))
    return {state: (latitude, longitude) for state, latitude, longitude in rows}


def all_zip_centres():
    """[(zip code, latitude, longitude, city, state, timezone)] for every ZIP code with a centre point."""
    return (
        _places()
        .execute(
            "SELECT zip, latitude, longitude, city, state, timezone FROM zip WHERE latitude IS NOT NULL ORDER BY zip"
        )
        .fetchall()
    )


def warm_up():
    """Make sure the places file exists and is open (built once per machine, about two seconds)."""
    _places()


# --- The places file ---------------------------------------------------------------------------------
# The ZIP and town tables live in one read-only SQLite file, shared by every worker through the operating
# system's page cache (memory-mapped), so a worker's heap holds none of it: the `zipcodes` package's own
# tables take about 150 MB per process once loaded. The file is built from that package, in a separate
# process, the first time it is needed on a machine (or by `python -m procedures.geo build`).

PLACES_FORMAT = 1
_local = threading.local()


def places_path():
    from django.conf import settings

    return Path(settings.GEO_DATA_DIR) / f"places-v{PLACES_FORMAT}-zipcodes-{_zipcodes_version()}.sqlite3"


def _zipcodes_version():
    try:
        return importlib.metadata.version("zipcodes")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _places():
    connection = getattr(_local, "connection", None)
    if connection is None:
        path = places_path()
        if not path.exists():
            _build_in_subprocess(path)
        connection = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False)
        connection.execute("PRAGMA mmap_size = 67108864")
        _local.connection = connection
    return connection


def _build_in_subprocess(path):
    """Build the file in a child process, so that the zipcodes tables never load into this one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.parent / ".places.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one builder at a time; the others wait, then find the file
        if not path.exists():
            subprocess.run([sys.executable, "-m", "procedures.geo", "build", str(path)], check=True)


def places_build(path):
    """Write the places file from the zipcodes package: atomically, so a reader never sees half a file."""
    import zipcodes

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".partial-{os.getpid()}")
    partial.unlink(missing_ok=True)
    towns = {}
    with sqlite3.connect(partial) as db:
        db.execute(
            "CREATE TABLE zip (zip TEXT PRIMARY KEY, latitude REAL, longitude REAL, city TEXT, state TEXT, "
            "timezone TEXT) WITHOUT ROWID"
        )
        rows = []
        for entry in zipcodes.list_all():
            point = _centre_point(entry)
            latitude, longitude = point or (None, None)
            rows.append(
                (entry["zip_code"], latitude, longitude, entry["city"], entry["state"], entry.get("timezone") or "")
            )
            if point is None or not entry["active"]:
                continue
            for city in [entry["city"], *entry.get("acceptable_cities", [])]:
                towns.setdefault((_town_key(city), entry["state"]), []).append(point)
        db.executemany("INSERT INTO zip VALUES (?, ?, ?, ?, ?, ?)", rows)
        # A town's point is the mean of its ZIP codes' centre points.
        db.execute(
            "CREATE TABLE town (town TEXT, state TEXT, latitude REAL, longitude REAL, PRIMARY KEY (town, state)) "
            "WITHOUT ROWID"
        )
        db.executemany(
            "INSERT INTO town VALUES (?, ?, ?, ?)",
            [
                (town, state, sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))
                for (town, state), points in towns.items()
            ],
        )
    with sqlite3.connect(partial) as db:
        db.execute("VACUUM")
    os.replace(partial, path)
    return path


def _centre_point(entry):
    """(latitude, longitude) of a zipcodes entry, or None where the data has no usable point."""
    try:
        point = (float(entry["lat"]), float(entry["long"]))
    except (TypeError, ValueError):
        return None
    return None if point == (0.0, 0.0) else point


def _town_key(name):
    name = name.casefold().replace(".", "").replace("\u2019", "'")
    name = re.sub(r"\bsaint\b", "st", name)
    return " ".join(name.split())


_ZIP = re.compile(r"^(\d{5})(?:-?\d{4})?$")
_DIGITS_ONLY = re.compile(r"^[\d\s-]+$")
_TOWN = re.compile(r"^([a-z][a-z .'\u2019-]*?)\s*,\s*([a-z]{2})$", re.IGNORECASE)
_TOWN_ONLY = re.compile(r"^[a-z][a-z .'\u2019-]*$", re.IGNORECASE)


def tidy_query(raw):
    """Normalise what a patient typed: full-width digits to ASCII, no control characters, single spaces."""
    text = unicodedata.normalize("NFKC", raw or "")
    text = "".join(" " if unicodedata.category(char).startswith("C") else char for char in text)
    return " ".join(text.split())


def origin_for_query(raw):
    """Where a search starts. Raises PlaceNotFound with a message for the patient."""
    query = tidy_query(raw)
    if not query:
        raise PlaceNotFound(f"Enter a ZIP code or a town to search. {HOW_TO_SEARCH}")
    if len(query) > MAX_QUERY_LENGTH:
        raise PlaceNotFound(f"That is too long to be a ZIP code or a town. {HOW_TO_SEARCH}")
    if _DIGITS_ONLY.match(query) and len(re.sub(r"\D", "", query)) in (5, 9):
        query = re.sub(r"\D", "", query)[:5]  # "55 435" or "55435 1234": spaces and hyphens typed by mistake
    zip_match = _ZIP.match(query)
    if zip_match:
        zip_code = zip_match.group(1)
        entry = zip_centre(zip_code)
        if entry is None:
            raise PlaceNotFound(f"We could not find the ZIP code {zip_code}. Check the number and try again.")
        latitude, longitude, city, state, _tz = entry
        if latitude is None:
            raise PlaceNotFound(
                f"We know ZIP code {zip_code} ({city}, {state}) but not where it is on the map. "
                "Try the town name or a nearby ZIP code."
            )
        return Origin(query=zip_code, label=f"{zip_code} ({city}, {state})", latitude=latitude, longitude=longitude)
    if _DIGITS_ONLY.match(query):
        digits = re.sub(r"\D", "", query)
        raise PlaceNotFound(f"A ZIP code has 5 digits; you entered {len(digits)}. {HOW_TO_SEARCH}")
    town = _TOWN.match(query)
    if town:
        name, state = town.group(1), town.group(2).upper()
        point = town_points(name).get(state)
        if point is None:
            raise PlaceNotFound(
                f"We could not find a town called {name.strip()} in {state}. Check the spelling, or search by ZIP code."
            )
        label = f"{name.strip().title()}, {state}"
        return Origin(query=label, label=label, latitude=point[0], longitude=point[1])
    if _TOWN_ONLY.match(query):
        points = town_points(query)
        states = sorted(points)
        if len(states) == 1:
            point = points[states[0]]
            label = f"{query.title()}, {states[0]}"
            return Origin(query=label, label=label, latitude=point[0], longitude=point[1])
        if states:
            shown = ", ".join(states[:8]) + (" and others" if len(states) > 8 else "")
            raise PlaceNotFound(
                f"There is a {query.title()} in more than one state ({shown}). "
                f"Add the state, for example \u201c{query.title()}, {states[0]}\u201d."
            )
        raise PlaceNotFound(f"We could not find a town called {query}. Check the spelling, or search by ZIP code.")
    raise PlaceNotFound(f"We did not recognise that as a ZIP code or a town. {HOW_TO_SEARCH}")


if __name__ == "__main__":
    # python -m procedures.geo build PATH
    if len(sys.argv) != 3 or sys.argv[1] != "build":
        sys.exit("usage: python -m procedures.geo build PATH")
    places_build(sys.argv[2])
