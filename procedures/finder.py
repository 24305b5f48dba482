"""A point -> the nearest listed clinics, by great-circle distance -> a search result with one summary sentence.

The database query is limited to a bounding box around the point, so its cost follows the number of
clinics nearby, not the size of the table; exact distances are computed only for the nearest few.
"""

import math
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.core.cache import cache
from django.db.models import ExpressionWrapper, F, FloatField, prefetch_related_objects
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .caching import procedure_menu, versioned_key
from .geo import MILES_PER_DEGREE_LATITUDE, Origin, distance_miles
from .models import Clinic

RADIUS_CHOICES = (10, 25, 50, 100)
DEFAULT_RADIUS = 50
DEFAULT_LIMIT = 10
NEAREST_FALLBACK_LIMIT = 3
REACH_MILES = 100  # a town "has clinics within reach" when one is at most this far


@dataclass(frozen=True)
class Match:
    clinic: Clinic
    distance_miles: float


@dataclass
class ClinicSearch:
    """What a search found, and the one sentence that sums it up (the page title and the heading use it)."""

    origin: Origin
    radius_miles: int | None
    procedure: dict | None
    matches: list
    nearest: list = field(default_factory=list)  # shown when nothing is within the radius
    language: str | None = None  # only clinics whose staff speak it ("es")

    @property
    def nearest_miles(self):
        """How far the nearest clinic is when none is within the radius (None when there are matches)."""
        return self.nearest[0].distance_miles if self.nearest and not self.matches else None

    @property
    def wider_radius(self):
        """The smallest distance on the list that would find the nearest clinic, or None ("any distance")."""
        if self.nearest_miles is None:
            return None
        return next((miles for miles in RADIUS_CHOICES if miles >= self.nearest_miles), None)

    @property
    def wider_search(self):
        """(link text, query string) of the search that would reach the nearest clinic."""
        radius = self.wider_radius
        query = {"q": self.origin.query, "radius": radius or "any"}
        if self.procedure:
            query["procedure"] = self.procedure["slug"]
        if self.language:
            query["language"] = self.language
        text = _("Search within %(miles)s miles") % {"miles": radius} if radius else _("Search at any distance")
        return text, urlencode(query)

    @property
    def summary(self):
        """ "3 clinics offering SI joint fusion within 50 miles of 55435 (Edina, MN)", in the active language."""
        values = {
            "count": len(self.matches),
            "procedure": self.procedure["title"] if self.procedure else "",
            "miles": self.radius_miles,
            "place": self.origin.label,
        }
        count = len(self.matches)
        if self.procedure and self.radius_miles:
            if count:
                text = ngettext(
                    "%(count)d clinic offering %(procedure)s within %(miles)s miles of %(place)s",
                    "%(count)d clinics offering %(procedure)s within %(miles)s miles of %(place)s",
                    count,
                )
            else:
                text = _("No clinics offering %(procedure)s within %(miles)s miles of %(place)s")
        elif self.procedure:
            if count:
                text = ngettext(
                    "%(count)d clinic offering %(procedure)s of %(place)s",
                    "%(count)d clinics offering %(procedure)s of %(place)s",
                    count,
                )
            else:
                text = _("No clinics offering %(procedure)s of %(place)s")
        elif self.radius_miles:
            if count:
                text = ngettext(
                    "%(count)d clinic within %(miles)s miles of %(place)s",
                    "%(count)d clinics within %(miles)s miles of %(place)s",
                    count,
                )
            else:
                text = _("No clinics within %(miles)s miles of %(place)s")
        elif count:
            text = ngettext("%(count)d clinic of %(place)s", "%(count)d clinics of %(place)s", count)
        else:
            text = _("No clinics of %(place)s")
        return text % values


LANGUAGE_CODES = ("en", "es")


def clinics_speaking(language, queryset=None):
    """Listed clinics whose staff speak the language (a code such as "es"). The codes are a fixed set,
    so matching the quoted code in the stored JSON list works alike on SQLite and PostgreSQL."""
    clinics = queryset if queryset is not None else Clinic.objects.listed()
    return clinics.filter(languages__icontains=f'"{language}"')


def clinic_search(origin, *, radius_miles=DEFAULT_RADIUS, procedure_slug=None, limit=DEFAULT_LIMIT, language=None):
    """Search from a point: the clinics within the radius, or else the nearest few at any distance.

    language="es": only clinics whose staff speak Spanish."""
    procedure = next((item for item in procedure_menu() if item["slug"] == procedure_slug), None)
    language = language if language in LANGUAGE_CODES else None
    if procedure_slug and procedure is None:
        return ClinicSearch(origin=origin, radius_miles=radius_miles, procedure=None, matches=[], language=language)
    procedure_id = procedure["id"] if procedure else None
    queryset = clinics_speaking(language) if language else None
    matches = clinics_near(origin, radius_miles=radius_miles, procedure_id=procedure_id, limit=limit, queryset=queryset)
    nearest = (
        []
        if matches
        else clinics_nearest(origin, procedure_id=procedure_id, limit=NEAREST_FALLBACK_LIMIT, queryset=queryset)
    )
    return ClinicSearch(
        origin=origin,
        radius_miles=radius_miles,
        procedure=procedure,
        matches=matches,
        nearest=nearest,
        language=language,
    )


def prefer_reachable(candidates):
    """Of several towns with one name: the only one with a listed clinic within reach, or else all of them,
    nearest clinic first (to offer as choices). Remembered per content version, so repeats are free."""
    key = versioned_key("reach:" + "|".join(origin.label for origin in candidates)[:200])
    nearest = cache.get(key)
    if nearest is None:
        nearest = []
        for origin in candidates:
            found = clinics_nearest(origin, limit=1)
            nearest.append(found[0].distance_miles if found else None)
        cache.set(key, nearest, 60 * 60)
    reachable = [
        origin for origin, miles in zip(candidates, nearest, strict=True) if miles is not None and miles <= REACH_MILES
    ]
    if len(reachable) == 1:
        return reachable[0]
    order = sorted(range(len(candidates)), key=lambda i: (nearest[i] is None, nearest[i] or 0, candidates[i].label))
    return [candidates[i] for i in order]


def clinics_attach_offered(clinics):
    """Give each clinic `offered`: the published procedures it offers ({title, slug, url}), in reading order.

    One query on the clinic-procedure link table; the procedures themselves come from the cached menu.
    """
    menu = procedure_menu()
    published = {item["id"]: item for item in menu}
    order = {item["id"]: position for position, item in enumerate(menu)}
    offered = {clinic.pk: [] for clinic in clinics}
    links = Clinic.procedures.through.objects.filter(clinic_id__in=list(offered)).values_list(
        "clinic_id", "procedure_id"
    )
    for clinic_id, procedure_id in links:
        if procedure_id in published:
            offered[clinic_id].append(published[procedure_id])
    for clinic in clinics:
        clinic.offered = sorted(offered[clinic.pk], key=lambda item: order[item["id"]])
    return clinics


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


def _nearest(origin, *, radius, procedure_id, queryset, limit):
    """[(miles, clinic)] nearest first, at most `limit`, within `radius` miles (None: any distance).

    The database orders the clinics in the bounding box by a flat-earth distance (plain arithmetic, no
    trigonometry, so any database does it in its own engine) and returns a few more rows than needed;
    exact great-circle distances are then computed here for that handful only. Over the distances a
    patient would travel, the flat-earth order matches the great-circle one except for near-ties, and
    the spare rows cover those.
    """
    clinics = queryset if queryset is not None else Clinic.objects.listed()
    if procedure_id:
        clinics = clinics.offering(procedure_id)
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


def clinics_near(origin, *, radius_miles=DEFAULT_RADIUS, procedure_id=None, limit=DEFAULT_LIMIT, queryset=None):
    """The nearest listed clinics within radius_miles (None: any distance), nearest first, as Matches.

    Where clinics are dense, a quarter of the radius already holds `limit` of them, and nothing outside
    that circle can be nearer; a smaller box is a cheaper query, so the search starts small and widens.
    """
    steps = (
        [radius_miles]
        if radius_miles is None or radius_miles <= 10
        else [radius_miles / 4, radius_miles / 2, radius_miles]
    )
    for radius in steps:
        scored = _nearest(origin, radius=radius, procedure_id=procedure_id, queryset=queryset, limit=limit)
        if len(scored) >= limit:
            break
    return _matches(scored)


def clinics_nearest(origin, *, procedure_id=None, limit=NEAREST_FALLBACK_LIMIT, queryset=None):
    """The nearest clinics at any distance, widening the search box step by step so the query stays small."""
    radius = 100
    while radius <= 3200:
        scored = _nearest(origin, radius=radius, procedure_id=procedure_id, queryset=queryset, limit=limit)
        if len(scored) >= limit:
            return _matches(scored)
        radius *= 2
    return clinics_near(origin, radius_miles=None, procedure_id=procedure_id, limit=limit, queryset=queryset)


def _matches(scored):
    clinics = [clinic for _miles, clinic in scored]
    prefetch_related_objects(clinics, "opening_hours")
    clinics_attach_offered(clinics)
    return [Match(clinic=clinic, distance_miles=round(miles, 1)) for miles, clinic in scored]
