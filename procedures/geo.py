"""ZIP code or town -> a point on the map; distances between points.

ZIP code centre points come from the `zipcodes` package (bundled data, no network at run time).
"""

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import zipcodes

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


def zip_centre(zip_code):
    """(latitude, longitude, city, state, timezone) of a 5-digit ZIP code, or None if there is no such ZIP.
    Latitude and longitude are None for the few ZIP codes (military, PO boxes) with no centre point."""
    return _zip_index().get(zip_code)


def warm_up():
    """Build the ZIP code and town indexes now (about a second of CPU) rather than on the first search."""
    _zip_index()
    _town_index()


def _centre_point(entry):
    """(latitude, longitude) of a zipcodes entry, or None where the data has no usable point."""
    try:
        point = (float(entry["lat"]), float(entry["long"]))
    except (TypeError, ValueError):
        return None
    return None if point == (0.0, 0.0) else point


@lru_cache(maxsize=1)
def _zip_index():
    index = {}
    for entry in zipcodes.list_all():
        latitude, longitude = _centre_point(entry) or (None, None)
        index[entry["zip_code"]] = (latitude, longitude, entry["city"], entry["state"], entry.get("timezone") or "")
    return index


@lru_cache(maxsize=1)
def _town_index():
    """{(town, state): (latitude, longitude)}: the mean of the town's ZIP centre points."""
    points = {}
    for entry in zipcodes.list_all():
        point = _centre_point(entry)
        if point is None or not entry["active"]:
            continue
        for city in [entry["city"], *entry.get("acceptable_cities", [])]:
            points.setdefault((_town_key(city), entry["state"]), []).append(point)
    return {key: (sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts)) for key, pts in points.items()}


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
        point = _town_index().get((_town_key(name), state))
        if point is None:
            raise PlaceNotFound(
                f"We could not find a town called {name.strip()} in {state}. Check the spelling, or search by ZIP code."
            )
        label = f"{name.strip().title()}, {state}"
        return Origin(query=label, label=label, latitude=point[0], longitude=point[1])
    if _TOWN_ONLY.match(query):
        states = sorted(state for (key, state) in _town_index() if key == _town_key(query))
        if len(states) == 1:
            point = _town_index()[(_town_key(query), states[0])]
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
