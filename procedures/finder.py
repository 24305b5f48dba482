"""ZIP code or town -> centre point -> the nearest listed clinics, by great-circle distance.

ZIP code centre points come from the `zipcodes` package (bundled data, no network at run time). The
database query is limited to a bounding box around the centre point, so its cost follows the number
of clinics nearby, not the size of the table; exact distances are computed only for the nearest few.
"""

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import zipcodes

from django.db.models import ExpressionWrapper, F, FloatField, prefetch_related_objects

from .models import Clinic, clinics_attach_offered

EARTH_RADIUS_MILES = 3958.8
MILES_PER_DEGREE_LATITUDE = 69.0
MAX_QUERY_LENGTH = 100
RADIUS_CHOICES = (10, 25, 50, 100)
DEFAULT_RADIUS = 50
DEFAULT_LIMIT = 10

HOW_TO_SEARCH = "Enter a 5-digit ZIP code, like 55435, or a town and state, like Edina, MN."


class FinderError(ValueError):
    """A search we cannot answer, with a message written for the patient."""


@dataclass(frozen=True)
class Origin:
    query: str  # what the patient searched for, tidied: "55435" or "Edina, MN"
    label: str  # how we describe the place: "55435 (Minneapolis, MN)"
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Match:
    clinic: Clinic
    distance_miles: float


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
    """Where a search starts. Raises FinderError with a message for the patient."""
    query = tidy_query(raw)
    if not query:
        raise FinderError(f"Enter a ZIP code or a town to search. {HOW_TO_SEARCH}")
    if len(query) > MAX_QUERY_LENGTH:
        raise FinderError(f"That is too long to be a ZIP code or a town. {HOW_TO_SEARCH}")
    if _DIGITS_ONLY.match(query) and len(re.sub(r"\D", "", query)) in (5, 9):
        query = re.sub(r"\D", "", query)[:5]  # "55 435" or "55435 1234": spaces and hyphens typed by mistake
    zip_match = _ZIP.match(query)
    if zip_match:
        zip_code = zip_match.group(1)
        entry = zip_centre(zip_code)
        if entry is None:
            raise FinderError(f"We could not find the ZIP code {zip_code}. Check the number and try again.")
        latitude, longitude, city, state, _tz = entry
        if latitude is None:
            raise FinderError(
                f"We know ZIP code {zip_code} ({city}, {state}) but not where it is on the map. "
                "Try the town name or a nearby ZIP code."
            )
        return Origin(query=zip_code, label=f"{zip_code} ({city}, {state})", latitude=latitude, longitude=longitude)
    if _DIGITS_ONLY.match(query):
        digits = re.sub(r"\D", "", query)
        raise FinderError(f"A ZIP code has 5 digits; you entered {len(digits)}. {HOW_TO_SEARCH}")
    town = _TOWN.match(query)
    if town:
        name, state = town.group(1), town.group(2).upper()
        point = _town_index().get((_town_key(name), state))
        if point is None:
            raise FinderError(f"We could not find a town called {name.strip()} in {state}. "
                              "Check the spelling, or search by ZIP code.")
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
            raise FinderError(
                f"There is a {query.title()} in more than one state ({shown}). "
                f"Add the state, for example \u201c{query.title()}, {states[0]}\u201d."
            )
        raise FinderError(f"We could not find a town called {query}. Check the spelling, or search by ZIP code.")
    raise FinderError(f"We did not recognise that as a ZIP code or a town. {HOW_TO_SEARCH}")


def _bounding_box(origin, radius):
    lat_delta = radius / MILES_PER_DEGREE_LATITUDE
    cos_lat = max(math.cos(math.radians(origin.latitude)), 0.01)
    lon_delta = radius / (MILES_PER_DEGREE_LATITUDE * cos_lat)
    return {
        "latitude__gte": origin.latitude - lat_delta,
        "latitude__lte": origin.latitude + lat_delta,
        "longitude__gte": origin.longitude - lon_delta,
        "longitude__lte": origin.longitude + lon_delta,
    }


def _nearest(origin, *, radius, procedure_slug, queryset, limit):
    """[(miles, clinic)] nearest first, at most `limit`, within `radius` miles (None: any distance).

    The database orders the clinics in the bounding box by a flat-earth distance (plain arithmetic, no
    trigonometry, so any database does it in its own engine) and returns a few more rows than needed;
    exact great-circle distances are then computed here for that handful only. Over the distances a
    patient would travel, the flat-earth order matches the great-circle one except for near-ties, and
    the spare rows cover those.
    """
    clinics = queryset if queryset is not None else Clinic.objects.listed()
    if procedure_slug:
        clinics = clinics.offering(procedure_slug)
    if radius is not None:
        clinics = clinics.filter(**_bounding_box(origin, radius))
    stretch = math.cos(math.radians(origin.latitude))  # a degree of longitude is shorter away from the equator
    north = F("latitude") - origin.latitude
    east = (F("longitude") - origin.longitude) * stretch
    flat = ExpressionWrapper(north * north + east * east, output_field=FloatField())
    candidates = clinics.annotate(flat_distance=flat).order_by("flat_distance")[: limit * 2 + 10]
    scored = []
    for clinic in candidates:
        miles = distance_miles(origin.latitude, origin.longitude, clinic.latitude, clinic.longitude)
        if radius is None or miles <= radius:
            scored.append((miles, clinic))
    scored.sort(key=lambda item: item[0])
    return scored[:limit]


def clinics_near(origin, *, radius_miles=DEFAULT_RADIUS, procedure_slug=None, limit=DEFAULT_LIMIT, queryset=None):
    """The nearest listed clinics within radius_miles (None: any distance), nearest first, as Matches.

    Where clinics are dense, a quarter of the radius already holds `limit` of them, and nothing outside
    that circle can be nearer; a smaller box is a cheaper query, so the search starts small and widens.
    """
    steps = [radius_miles] if radius_miles is None or radius_miles <= 10 else [radius_miles / 4, radius_miles / 2, radius_miles]
    for radius in steps:
        scored = _nearest(origin, radius=radius, procedure_slug=procedure_slug, queryset=queryset, limit=limit)
        if len(scored) >= limit:
            break
    return _matches(scored)


def clinics_nearest(origin, *, procedure_slug=None, limit=3, queryset=None):
    """The nearest clinics at any distance, widening the search box step by step so the query stays small."""
    radius = 100
    while radius <= 3200:
        scored = _nearest(origin, radius=radius, procedure_slug=procedure_slug, queryset=queryset, limit=limit)
        if len(scored) >= limit:
            return _matches(scored)
        radius *= 2
    return clinics_near(origin, radius_miles=None, procedure_slug=procedure_slug, limit=limit, queryset=queryset)


def _matches(scored):
    clinics = [clinic for _miles, clinic in scored]
    prefetch_related_objects(clinics, "opening_hours")
    clinics_attach_offered(clinics)
    return [Match(clinic=clinic, distance_miles=round(miles, 1)) for miles, clinic in scored]
