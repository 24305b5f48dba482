"""The clinic finder's JSON API (`/api/clinics/`) and its OpenAPI 3 description (`/api/openapi.json`).

The same validation and search as the finder page (forms.ClinicSearchForm, finder.clinic_search), so the
two always agree, including the nearest-clinics fallback. Version 1: fields are only ever added; a change
that would break a client gets a new path (`/api/v2/`). Read-only public data, so any site may call it
from a browser (`Access-Control-Allow-Origin: *`, no credentials).
"""

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe
from django_ratelimit.decorators import ratelimit

from sijoint_site.client import client_address

from .finder import DEFAULT_RADIUS, LANGUAGE_CODES, RADIUS_CHOICES, clinic_search
from .forms import ClinicSearchForm
from .models import WEEKDAYS
from .opening_hours import opening_status

API_VERSION = "1"

# What a developer needs to know about each way a request can be refused.
DEVELOPER_MESSAGES = {
    ("q", "required"): "Give `q`: a 5-digit ZIP code (55435), a ZIP+4 (55435-1234) or a town (Edina, MN).",
    ("q", "too_long"): "`q` is at most 100 characters.",
    ("q", "max_length"): "`q` is at most 100 characters.",
    ("q", "zip_length"): "A ZIP code in `q` has 5 digits (or 9 as ZIP+4).",
    ("q", "not_found"): "`q` names no ZIP code or town we know.",
    ("q", "no_location"): "The ZIP code in `q` has no known location (a PO box or military ZIP); use a town.",
    ("q", "invalid"): "`q` must be a ZIP code or a town name (letters, spaces, dots, hyphens, apostrophes).",
    ("q", "ambiguous"): "The town in `q` exists in several states; repeat the request with one of `choices`.",
    ("q", "did_you_mean"): "No town is spelled like `q`; `choices` lists towns spelled almost the same.",
    ("radius", "invalid_choice"): "`radius` is one of 10, 25, 50, 100 (miles) or `any`.",
    ("procedure", "invalid_choice"): "`procedure` is the slug of a published procedure (see `procedures` in a result).",
}


def cors(response):
    response["Access-Control-Allow-Origin"] = "*"
    response["API-Version"] = API_VERSION
    response["Cache-Control"] = "no-store"
    return response


def error_response(errors, status=400, headers=None):
    response = JsonResponse({"errors": errors}, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return cors(response)


def form_errors(form):
    """[{field, code, message, choices?}] for a refused search, written for the developer calling us."""
    errors = []
    for field, problems in form.errors.as_data().items():
        for problem in problems:
            code = problem.code or "invalid"
            error = {
                "field": field,
                "code": code,
                "message": DEVELOPER_MESSAGES.get((field, code), " ".join(problem.messages)),
            }
            if field == "q" and form.place_choices:
                error["choices"] = [origin.query for origin in form.place_choices]
            errors.append(error)
    return errors


def clinic_json(match, *, beyond_radius=False):
    clinic = match.clinic
    status = opening_status(clinic)
    week = clinic.week()
    return {
        "name": clinic.name,
        "slug": clinic.slug,
        "url": settings.SITE_URL + clinic.get_absolute_url(),
        "phone": clinic.phone,
        "address": {
            "street": clinic.address,
            "city": clinic.city,
            "state": clinic.state,
            "zip": clinic.zip_code,
            "full": clinic.full_address,
        },
        "latitude": clinic.latitude,
        "longitude": clinic.longitude,
        "distance_miles": match.distance_miles,
        "beyond_radius": beyond_radius,
        "procedures": [procedure["slug"] for procedure in clinic.offered],
        "accepting_new_patients": clinic.accepting_new_patients,
        "run_by": clinic.run_by,
        "partner_name": clinic.partner_name or None,
        "telemedicine": clinic.telemedicine,
        "languages": list(clinic.languages or ["en"]),
        "access": {"step_free": clinic.step_free_access, "notes": clinic.access_notes},
        "time_zone": clinic.timezone,
        "opening_hours": {
            day: [[f"{opens:%H:%M}", f"{closes:%H:%M}"] for opens, closes in periods]
            for day, (_label, periods) in zip(WEEKDAYS, week, strict=True)
        },
        "open_now": status.open_now,
        "opening_status": status.sentence,
    }


@csrf_exempt
@require_safe
@ratelimit(key=client_address, rate=lambda group, request: settings.API_RATE_LIMIT, block=False)
def clinics(request):
    """GET /api/clinics/?q=55435&radius=25&procedure=si-joint-injection"""
    if getattr(request, "limited", False):
        return error_response(
            [{"field": None, "code": "rate_limited", "message": "Too many requests from this address; wait a minute."}],
            status=429,
            headers={"Retry-After": "60"},
        )
    form = ClinicSearchForm.from_query(request.GET)
    if not form.is_bound:
        return error_response([{"field": "q", "code": "required", "message": DEVELOPER_MESSAGES["q", "required"]}])
    if not form.is_valid():
        return error_response(form_errors(form))
    language = request.GET.get("language") or None
    if language is not None and language not in LANGUAGE_CODES:
        return error_response(
            [
                {
                    "field": "language",
                    "code": "invalid",
                    "message": f"`language` must be one of: {', '.join(LANGUAGE_CODES)} (a language staff speak).",
                }
            ]
        )
    data = form.cleaned_data
    search = clinic_search(
        data["q"], radius_miles=data["radius"], procedure_slug=data["procedure"] or None, language=language
    )
    results = [clinic_json(match) for match in search.matches] + [
        clinic_json(match, beyond_radius=True) for match in search.nearest
    ]
    return cors(
        JsonResponse(
            {
                "origin": {
                    "query": search.origin.query,
                    "label": search.origin.label,
                    "latitude": search.origin.latitude,
                    "longitude": search.origin.longitude,
                },
                "radius_miles": search.radius_miles,
                "procedure": search.procedure["slug"] if search.procedure else None,
                "language": search.language,
                "summary": search.summary,
                "results": results,
            }
        )
    )


@csrf_exempt
@require_safe
def openapi(request):
    return cors(JsonResponse(openapi_description()))


def openapi_description():
    """The OpenAPI 3.0 description of this API (served at /api/openapi.json)."""
    string, boolean, number = {"type": "string"}, {"type": "boolean"}, {"type": "number"}
    period = {
        "type": "array",
        "items": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"},
        "minItems": 2,
        "maxItems": 2,
    }
    clinic = {
        "type": "object",
        "required": [
            "name",
            "slug",
            "url",
            "phone",
            "address",
            "latitude",
            "longitude",
            "distance_miles",
            "beyond_radius",
            "procedures",
            "accepting_new_patients",
            "run_by",
            "partner_name",
            "telemedicine",
            "languages",
            "access",
            "time_zone",
            "opening_hours",
            "open_now",
            "opening_status",
        ],
        "properties": {
            "name": string,
            "slug": string,
            "url": {"type": "string", "format": "uri"},
            "phone": string,
            "address": {
                "type": "object",
                "required": ["street", "city", "state", "zip", "full"],
                "properties": {"street": string, "city": string, "state": string, "zip": string, "full": string},
            },
            "latitude": number,
            "longitude": number,
            "distance_miles": {**number, "description": "Great-circle miles from the origin."},
            "beyond_radius": {
                **boolean,
                "description": "True for the nearest clinics offered when none is within the radius.",
            },
            "procedures": {"type": "array", "items": string, "description": "Slugs of published procedures offered."},
            "accepting_new_patients": boolean,
            "run_by": {
                "type": "string",
                "enum": ["own", "partner"],
                "description": "`own`: run by the organisation whose site this is; `partner`: by a partner.",
            },
            "partner_name": {"type": "string", "nullable": True, "description": "Who runs a partner clinic."},
            "telemedicine": {**boolean, "description": "Offers video or phone appointments."},
            "languages": {
                "type": "array",
                "items": {"type": "string", "enum": ["en", "es"]},
                "description": "Languages the clinic's staff speak: `en` English, `es` Spanish.",
            },
            "access": {
                "type": "object",
                "required": ["step_free", "notes"],
                "properties": {"step_free": boolean, "notes": string},
            },
            "time_zone": {**string, "description": "IANA time zone of the clinic, e.g. America/Chicago."},
            "opening_hours": {
                "type": "object",
                "description": "Each weekday's opening periods in the clinic's time zone; an empty list is closed.",
                "required": WEEKDAYS,
                "properties": {day: {"type": "array", "items": period} for day in WEEKDAYS},
            },
            "open_now": boolean,
            "opening_status": {**string, "description": "For people: 'Open now, closes 6 pm'."},
        },
    }
    error = {
        "type": "object",
        "required": ["errors"],
        "properties": {
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["field", "code", "message"],
                    "properties": {
                        "field": {"type": "string", "nullable": True},
                        "code": string,
                        "message": string,
                        "choices": {"type": "array", "items": string},
                    },
                },
            }
        },
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "SI joint clinic finder API",
            "version": API_VERSION,
            "description": (
                "Clinics offering SI joint procedures near a US ZIP code or town: the same results as the "
                "finder page. Read-only, no key; rate-limited per client address. Version 1: fields are only "
                "added, never changed or removed; a breaking change gets a new path. Any origin may call it "
                "from a browser (CORS: Access-Control-Allow-Origin *)."
            ),
        },
        "servers": [{"url": settings.SITE_URL}],
        "paths": {
            "/api/clinics/": {
                "get": {
                    "operationId": "findClinics",
                    "summary": "Clinics near a ZIP code or town, nearest first",
                    "parameters": [
                        {
                            "name": "q",
                            "in": "query",
                            "required": True,
                            "description": "A 5-digit ZIP code, a ZIP+4, or a town with or without its state.",
                            "schema": {"type": "string", "maxLength": 100},
                            "example": "55435",
                        },
                        {
                            "name": "radius",
                            "in": "query",
                            "required": False,
                            "description": f"Miles (default {DEFAULT_RADIUS}) or `any`.",
                            "schema": {"type": "string", "enum": [*(str(m) for m in RADIUS_CHOICES), "any"]},
                        },
                        {
                            "name": "procedure",
                            "in": "query",
                            "required": False,
                            "description": "Only clinics offering this procedure (its slug).",
                            "schema": {"type": "string"},
                        },
                        {
                            "name": "language",
                            "in": "query",
                            "required": False,
                            "description": "Only clinics whose staff speak this language (`es`: Spanish).",
                            "schema": {"type": "string", "enum": ["en", "es"]},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": (
                                "The clinics within the radius, nearest first; when there are none, the nearest "
                                "few at any distance, each with `beyond_radius: true`."
                            ),
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "required": [
                                            "origin",
                                            "radius_miles",
                                            "procedure",
                                            "language",
                                            "summary",
                                            "results",
                                        ],
                                        "properties": {
                                            "origin": {
                                                "type": "object",
                                                "required": ["query", "label", "latitude", "longitude"],
                                                "properties": {
                                                    "query": string,
                                                    "label": string,
                                                    "latitude": number,
                                                    "longitude": number,
                                                },
                                            },
                                            "radius_miles": {"type": "integer", "nullable": True},
                                            "procedure": {"type": "string", "nullable": True},
                                            "language": {"type": "string", "nullable": True},
                                            "summary": string,
                                            "results": {"type": "array", "items": clinic},
                                        },
                                    }
                                }
                            },
                        },
                        "400": {
                            "description": "The search could not be answered; each error names the parameter.",
                            "content": {"application/json": {"schema": error}},
                        },
                        "429": {
                            "description": "Too many requests from this address; see Retry-After.",
                            "content": {"application/json": {"schema": error}},
                        },
                    },
                }
            }
        },
    }
