"""ZIP code or town, as people type them -> a point on the map; distances between points.

ZIP code centre points come from the `zipcodes` package (bundled data, no network at run time), kept in a
read-only SQLite file that every worker shares (see "The places file" below). Every lookup is a few
indexed reads of that file, so a town costs about what a ZIP code costs.
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

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

EARTH_RADIUS_MILES = 3958.8
MILES_PER_DEGREE_LATITUDE = 69.0
MAX_QUERY_LENGTH = 100

HOW_TO_SEARCH = gettext_lazy("Enter a 5-digit ZIP code, like 55435, or a town and state, like Edina, MN.")

STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California", "CO": "Colorado",
    "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia", "FL": "Florida", "GA": "Georgia",
    "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa", "KS": "Kansas",
    "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts",
    "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri", "MT": "Montana",
    "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico",
    "NY": "New York", "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma",
    "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota",
    "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington",
    "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming", "PR": "Puerto Rico", "GU": "Guam",
    "VI": "U.S. Virgin Islands", "AS": "American Samoa", "MP": "Northern Mariana Islands",
}  # fmt: skip
_STATE_BY_NAME = {name.casefold(): code for code, name in STATES.items()}


class PlaceNotFound(ValueError):
    """A search we cannot answer, with a message written for the patient.

    `choices` are places the patient may have meant, each an Origin to offer as a link: the same town in
    several states (`code` "ambiguous") or towns spelled almost like what they typed ("did_you_mean").
    """

    def __init__(self, message, *, code="not_found", choices=()):
        super().__init__(message)
        self.code = code
        self.choices = list(choices)


@dataclass(frozen=True)
class Origin:
    query: str  # the search, tidied, as it would be typed again: "55435" or "Edina, MN"
    label: str  # how we describe the place: "55435 (Edina, MN)"
    latitude: float
    longitude: float


class ZipCentre(NamedTuple):
    latitude: float | None  # None for the few ZIP codes (military, PO boxes) with no centre point
    longitude: float | None
    town: str
    state: str
    timezone: str


def distance_miles(lat1, lon1, lat2, lon2):
    """Great-circle distance by the haversine formula."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(min(1.0, math.sqrt(a)))


# --- Lookups -----------------------------------------------------------------------------------------


def zip_centre(zip_code):
    """The centre point, town, state and time zone of a 5-digit ZIP code, or None if there is no such ZIP.

    The town is the ZIP code's own: of the names the Postal Service accepts for it, the one whose centre is
    nearest (55435 is Edina, though its mail may be addressed to Minneapolis).
    """
    row = (
        _places()
        .execute("SELECT latitude, longitude, town, state, timezone FROM zip WHERE zip = ?", (zip_code,))
        .fetchone()
    )
    return ZipCentre(*row) if row else None


def towns_named(name):
    """{state: (town name as the Postal Service writes it, latitude, longitude)} of every town called `name`."""
    rows = _places().execute("SELECT state, name, latitude, longitude FROM town WHERE town = ?", (town_key(name),))
    return {state: (town, latitude, longitude) for state, town, latitude, longitude in rows}


def towns_spelled_like(name, *, limit=6):
    """[Origin] of towns one typing slip away from `name` (a letter missing, extra, wrong, or two swapped).

    Found through a table of every town's one-letter deletions: a few indexed reads, never a scan.
    """
    key = town_key(name)
    if not key or len(key) > 40:
        return []
    variants = sorted({key, *_deletions(key)})
    marks = ",".join("?" * len(variants))
    rows = _places().execute(
        "SELECT DISTINCT t.town, t.name, t.state, t.latitude, t.longitude FROM town_deletion d "
        f"JOIN town t ON t.town = d.town WHERE d.variant IN ({marks}) LIMIT 400",
        variants,
    )
    close = [
        _town_origin(name, state, latitude, longitude)
        for town, name, state, latitude, longitude in rows
        if _one_slip_apart(key, town)
    ]
    return sorted(close, key=lambda origin: origin.label)[:limit]


def all_zip_centres():
    """[(zip code, latitude, longitude, town, state, timezone)] for every ZIP code with a centre point."""
    return (
        _places()
        .execute(
            "SELECT zip, latitude, longitude, town, state, timezone FROM zip WHERE latitude IS NOT NULL ORDER BY zip"
        )
        .fetchall()
    )


def warm_up():
    """Make sure the places file exists and is open (built once per machine, a few seconds)."""
    _places()


_ABBREVIATIONS = {"saint": "st", "sainte": "ste", "fort": "ft", "mount": "mt", "mountain": "mtn"}


def town_key(name):
    """How towns are compared: any case, no dots; Saint/St., Fort/Ft. and Mount/Mt. the same."""
    words = name.casefold().replace(".", " ").replace("\u2019", "'").split()
    return " ".join(_ABBREVIATIONS.get(word, word) for word in words)


def _deletions(word):
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _one_slip_apart(a, b):
    """Levenshtein distance 1, or two neighbouring letters swapped."""
    if a == b:
        return False
    if len(a) == len(b):
        differences = [i for i in range(len(a)) if a[i] != b[i]]
        if len(differences) == 1:
            return True
        return (
            len(differences) == 2
            and differences[1] == differences[0] + 1
            and a[differences[0]] == b[differences[1]]
            and a[differences[1]] == b[differences[0]]
        )
    if abs(len(a) - len(b)) != 1:
        return False
    shorter, longer = (a, b) if len(a) < len(b) else (b, a)
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))


# --- What the patient typed ---------------------------------------------------------------------------

_ZIP = re.compile(r"^(\d{5})(?:-?\d{4})?$")
_DIGITS_ONLY = re.compile(r"^[\d\s-]+$")
_PLACE = re.compile(r"^[a-z][a-z .,'\u2019-]*$", re.IGNORECASE)


def tidy_query(raw):
    """Normalise what a patient typed: full-width digits to ASCII, no control characters, single spaces."""
    text = unicodedata.normalize("NFKC", raw or "")
    text = "".join(" " if unicodedata.category(char).startswith("C") else char for char in text)
    return " ".join(text.split())


def _town_origin(name, state, latitude, longitude):
    label = f"{name}, {state}"
    return Origin(query=label, label=label, latitude=latitude, longitude=longitude)


def _split_state(text):
    """("Edina", "MN") from "Edina, MN", "Edina MN", "edina, minnesota" or "Saint Paul Minnesota";
    (text, None) when no state is given. A state name that is the whole text ("New York") is a town."""
    if "," in text:
        town, _comma, state = text.rpartition(",")
        state = state.strip()
        code = state.upper() if state.upper() in STATES else _STATE_BY_NAME.get(state.casefold())
        return (town.strip(" ,"), code) if code else (text.replace(",", " "), None)
    words = text.split()
    for size in (3, 2, 1):  # "District of Columbia", "New York", "MN"
        if len(words) > size:
            state = " ".join(words[-size:])
            code = state.upper() if size == 1 and state.upper() in STATES else _STATE_BY_NAME.get(state.casefold())
            if code:
                return " ".join(words[:-size]), code
    return text, None


def origin_for_query(raw, *, prefer=None):
    """Where a search starts, from a ZIP code or a town as people type it. Raises PlaceNotFound.

    `prefer(origins)` picks one of several towns of the same name (the finder prefers the one with clinics
    within reach) or returns them in the order to offer them.
    """
    query = tidy_query(raw)
    if not query:
        raise PlaceNotFound(f"{_('Enter a ZIP code or a town to search.')} {HOW_TO_SEARCH}", code="required")
    if len(query) > MAX_QUERY_LENGTH:
        raise PlaceNotFound(f"{_('That is too long to be a ZIP code or a town.')} {HOW_TO_SEARCH}", code="too_long")
    if _DIGITS_ONLY.match(query):
        return _zip_origin(query)
    if not _PLACE.match(query):
        raise PlaceNotFound(
            f"{_('We did not recognise that as a ZIP code or a town.')} {HOW_TO_SEARCH}", code="invalid"
        )
    town, state = _split_state(query)
    if not town:
        raise PlaceNotFound(f"{_('Add the town as well as the state.')} {HOW_TO_SEARCH}", code="invalid")
    found = towns_named(town)
    if state:
        if state in found:
            return _town_origin(found[state][0], state, *found[state][1:])
        return _not_found(town, state)
    if len(found) == 1:
        ((only_state, (name, latitude, longitude)),) = found.items()
        return _town_origin(name, only_state, latitude, longitude)
    if found:
        candidates = [_town_origin(name, code, lat, lon) for code, (name, lat, lon) in sorted(found.items())]
        chosen = prefer(candidates) if prefer else candidates
        if isinstance(chosen, Origin):
            return chosen
        name = candidates[0].label.rsplit(",", 1)[0]
        raise PlaceNotFound(
            _("There is a %(town)s in %(count)d states. Which one do you mean?")
            % {"town": name, "count": len(candidates)},
            code="ambiguous",
            choices=chosen,
        )
    return _not_found(town, None)


def _zip_origin(query):
    digits = re.sub(r"\D", "", query)
    if len(digits) not in (5, 9):
        entered = ngettext(
            "A ZIP code has 5 digits; you entered %(count)d.",
            "A ZIP code has 5 digits; you entered %(count)d.",
            len(digits),
        ) % {"count": len(digits)}
        raise PlaceNotFound(f"{entered} {HOW_TO_SEARCH}", code="zip_length")
    zip_code = digits[:5]  # "55 435" or "55435-1234": spaces and the +4 typed too
    entry = zip_centre(zip_code)
    if entry is None:
        raise PlaceNotFound(
            _("We could not find the ZIP code %(zip_code)s. Check the number and try again.") % {"zip_code": zip_code}
        )
    if entry.latitude is None:
        raise PlaceNotFound(
            _(
                "We know ZIP code %(zip_code)s (%(town)s, %(state)s) but not where it is on the map. "
                "Try the town name or a nearby ZIP code."
            )
            % {"zip_code": zip_code, "town": entry.town, "state": entry.state},
            code="no_location",
        )
    label = f"{zip_code} ({entry.town}, {entry.state})"
    return Origin(query=zip_code, label=label, latitude=entry.latitude, longitude=entry.longitude)


def _not_found(town, state):
    where = {"town": town, "state": STATES[state]} if state else {"town": town}
    close = towns_spelled_like(town)
    if state:
        close = [origin for origin in close if origin.label.endswith(f", {state}")] or close
    if close:
        raise PlaceNotFound(
            (
                _("We could not find a town called %(town)s in %(state)s. Did you mean one of these?")
                if state
                else _("We could not find a town called %(town)s. Did you mean one of these?")
            )
            % where,
            code="did_you_mean",
            choices=close,
        )
    raise PlaceNotFound(
        (
            _("We could not find a town called %(town)s in %(state)s. Check the spelling, or search by ZIP code.")
            if state
            else _("We could not find a town called %(town)s. Check the spelling, or search by ZIP code.")
        )
        % where
    )


# --- The places file ---------------------------------------------------------------------------------
# The ZIP and town tables live in one read-only SQLite file, shared by every worker through the operating
# system's page cache (memory-mapped), so a worker's heap holds none of it: the `zipcodes` package's own
# tables take about 150 MB per process once loaded. The file is built from that package, in a separate
# process, the first time it is needed on a machine (or by `make places`).

PLACES_FORMAT = 2
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
    entries = zipcodes.list_all()
    points, names = {}, {}
    for entry in entries:
        point = _centre_point(entry)
        if point is None or not entry["active"]:
            continue
        for city in [entry["city"], *entry.get("acceptable_cities", [])]:
            key = (town_key(city), entry["state"])
            points.setdefault(key, []).append(point)
            names.setdefault(key, city)
    # A town's point is the mean of its ZIP codes' centre points.
    centres = {
        key: (sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts)) for key, pts in points.items()
    }
    with sqlite3.connect(partial) as db:
        db.execute(
            "CREATE TABLE zip (zip TEXT PRIMARY KEY, latitude REAL, longitude REAL, town TEXT, state TEXT, "
            "timezone TEXT) WITHOUT ROWID"
        )
        db.executemany(
            "INSERT INTO zip VALUES (?, ?, ?, ?, ?, ?)",
            [
                (
                    entry["zip_code"],
                    *(_centre_point(entry) or (None, None)),
                    _zip_town(entry, _centre_point(entry), centres),
                    entry["state"],
                    entry.get("timezone") or "",
                )
                for entry in entries
            ],
        )
        db.execute(
            "CREATE TABLE town (town TEXT, state TEXT, name TEXT, latitude REAL, longitude REAL, "
            "PRIMARY KEY (town, state)) WITHOUT ROWID"
        )
        db.executemany(
            "INSERT INTO town VALUES (?, ?, ?, ?, ?)",
            [(town, state, names[town, state], *centre) for (town, state), centre in centres.items()],
        )
        db.execute("CREATE TABLE town_deletion (variant TEXT, town TEXT, PRIMARY KEY (variant, town)) WITHOUT ROWID")
        db.executemany(
            "INSERT OR IGNORE INTO town_deletion VALUES (?, ?)",
            [(variant, town) for town in {town for town, _state in centres} for variant in {town, *_deletions(town)}],
        )
    with sqlite3.connect(partial) as db:
        db.execute("VACUUM")
    os.replace(partial, path)
    return path


def _zip_town(entry, point, centres):
    """Of the names accepted for a ZIP code, the town whose centre is nearest the ZIP code's own."""
    names = [entry["city"], *entry.get("acceptable_cities", [])]
    if point is None or len(names) == 1:
        return entry["city"]

    def miles_to(name):
        centre = centres.get((town_key(name), entry["state"]))
        return distance_miles(*point, *centre) if centre else float("inf")

    return min(names, key=miles_to)


def _centre_point(entry):
    """(latitude, longitude) of a zipcodes entry, or None where the data has no usable point."""
    try:
        point = (float(entry["lat"]), float(entry["long"]))
    except (TypeError, ValueError):
        return None
    return None if point == (0.0, 0.0) else point


if __name__ == "__main__":
    # python -m procedures.geo build PATH
    if len(sys.argv) != 3 or sys.argv[1] != "build":
        sys.exit("usage: python -m procedures.geo build PATH")
    places_build(sys.argv[2])
