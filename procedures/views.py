"""Thin views: pick the records, hand them to a template. Stored HTML only; no Markdown parsed here."""

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django_ratelimit.decorators import ratelimit
from django.contrib.admin.views.decorators import staff_member_required
from django.http import (
    Http404, HttpResponse, HttpResponseNotFound, HttpResponsePermanentRedirect, HttpResponseServerError, JsonResponse,
)
from django.shortcuts import redirect, render
from django.template import loader
from django.templatetags.static import static
from django.views.decorators.http import require_POST

from . import structured_data
from .forms import ClinicSearchForm
from .markdown import PLACEHOLDER_ALT, markdown_to_html
from .models import Clinic, Procedure, ProcedureRedirect, SiteDetails, clinics_attach_offered
from .uploads import ImageUploadForm


def page_meta(request, title, description, *, og_type="website", canonical=True):
    """Title, description and canonical URL: the <title>, meta description and Open Graph tags use them."""
    return {
        "page_title": title,
        "page_description": description,
        "og_type": og_type,
        "canonical_url": settings.SITE_URL + request.path if canonical else None,
    }


def home(request):
    procedures = Procedure.objects.published().in_reading_order()
    site = SiteDetails.current()
    return render(request, "procedures/home.html", {
        "procedures": procedures,
        "form": ClinicSearchForm.from_query({}),
        "structured_data": structured_data.json_ld(structured_data.home_graph(site)) if site.pk else None,
        **page_meta(
            request, "SI joint pain: injections and fusion explained",
            "What the sacroiliac (SI) joints are, why they can hurt, and what happens during an SI joint "
            "injection or SI joint fusion, in plain English.",
        ),
    })


def procedure_detail(request, slug):
    visible = Procedure.objects.all() if request.user.is_staff else Procedure.objects.published()
    procedure = visible.filter(slug=slug).prefetch_related("sections").first()
    if procedure is None:
        moved = ProcedureRedirect.objects.filter(old_slug=slug).select_related("procedure").first()
        if moved and (moved.procedure.is_published or request.user.is_staff):
            return redirect(moved.procedure, permanent=True)
        raise Http404("No published procedure at this address.")
    sections = procedure.sections.all()
    graph = structured_data.procedure_graph(procedure, sections, SiteDetails.current())
    return render(request, "procedures/detail.html", {
        "procedure": procedure,
        "sections": sections,
        "draft_preview": not procedure.is_published,
        "form": ClinicSearchForm.from_query({}, initial_procedure=procedure.slug),
        "structured_data": structured_data.json_ld(graph),
        **page_meta(request, f"{procedure.title}: what to expect", procedure.summary, og_type="article"),
    })


def finder_title(form, search):
    if form.errors:
        return "Error: Find an SI joint clinic near you"
    if search is None:
        return "Find an SI joint clinic near you"
    if search.matches:
        count = len(search.matches)
        return f"{count} clinic{'s' if count != 1 else ''} near {search.origin.query}: find an SI joint clinic"
    return f"No clinics within {search.radius_miles} miles of {search.origin.query}: find an SI joint clinic"


def clinic_finder(request):
    form = ClinicSearchForm.from_query(request.GET)
    search, status = None, 200
    if form.is_bound:
        if form.is_valid():
            search = form.search()
        else:
            status = 400
    return render(request, "clinics/finder.html", {
        "form": form,
        "search": search,
        **page_meta(
            request, finder_title(form, search),
            "Find a clinic near you for an SI joint injection or SI joint fusion. Search by ZIP code or town "
            "and call the clinic directly.",
        ),
    }, status=status)


def clinic_detail(request, slug):
    clinic = Clinic.objects.listed().prefetch_related("opening_hours").filter(slug=slug).first()
    if clinic is None:
        raise Http404("No clinic at this address.")
    clinics_attach_offered([clinic])
    return render(request, "clinics/detail.html", {
        "clinic": clinic,
        "structured_data": structured_data.json_ld(structured_data.clinic_graph(clinic)),
        **page_meta(
            request, f"{clinic.name}: address, phone and opening hours",
            f"{clinic.name}, {clinic.full_address}. Call {clinic.phone}. Opening hours, access and the "
            "SI joint procedures offered.",
        ),
    })


def client_address(group, request):
    """Who is asking, for the rate limit: behind our load balancer, the address it saw; else the peer."""
    if settings.BEHIND_PROXY and request.META.get("HTTP_X_FORWARDED_FOR"):
        return request.META["HTTP_X_FORWARDED_FOR"].split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


@ratelimit(key=client_address, rate=lambda group, request: settings.API_RATE_LIMIT, block=False)
def clinic_api(request):
    """JSON twin of the finder: the same validation and results, for other sites and apps."""
    if getattr(request, "limited", False):
        response = JsonResponse({"error": "Too many requests. Please wait a minute and try again."}, status=429)
        response["Retry-After"] = "60"
        return response
    form = ClinicSearchForm.from_query(request.GET)
    if not form.is_bound:
        return JsonResponse({"error": "Add ?q= with a 5-digit ZIP code or a town and state, e.g. ?q=55435."}, status=400)
    if not form.is_valid():
        return JsonResponse({"error": " ".join(message for _id, message in form.error_list())}, status=400)
    search = form.search()
    return JsonResponse({
        "origin": {"query": search.origin.query, "latitude": search.origin.latitude, "longitude": search.origin.longitude},
        "radius_miles": search.radius_miles,
        "results": [clinic_json(match) for match in search.matches],
    })


def clinic_json(match):
    clinic = match.clinic
    return {
        "name": clinic.name,
        "slug": clinic.slug,
        "url": settings.SITE_URL + clinic.get_absolute_url(),
        "phone": clinic.phone,
        "address": clinic.full_address,
        "latitude": clinic.latitude,
        "longitude": clinic.longitude,
        "distance_miles": match.distance_miles,
        "telemedicine": clinic.telemedicine,
        "procedures": [procedure["slug"] for procedure in clinic.offered],
    }


def healthz(request):
    """For load balancers and Docker: 200 when the database and the cache answer, 503 when not."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception as error:  # report, do not crash: this is what the check is for
        checks["database"] = f"error: {type(error).__name__}"
    try:
        cache.set("healthz", "ok", 10)
        checks["cache"] = "ok" if cache.get("healthz") == "ok" else "error: value not read back"
    except Exception as error:
        checks["cache"] = f"error: {type(error).__name__}"
    healthy = all(value == "ok" for value in checks.values())
    response = JsonResponse({"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503)
    response["Cache-Control"] = "no-store"
    return response


def robots_txt(request):
    lines = [
        "User-agent: *",
        f"Disallow: /{settings.ADMIN_PATH}",
        "Disallow: /api/",
        "Disallow: /markdownx/",
        f"Sitemap: {settings.SITE_URL}/sitemap.xml",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


def page_not_found(request, exception):
    template = loader.get_template("404.html")
    context = page_meta(request, "Page not found", "We could not find the page you asked for.", canonical=False)
    return HttpResponseNotFound(template.render(context, request))


def server_error(request):
    """The 500 page, in the site's look, with the phone number when it can still be had."""
    try:
        site = SiteDetails.current()
    except Exception:  # the database or cache may be what failed
        site = None
    template = loader.get_template("500.html")
    return HttpResponseServerError(template.render({"site": site, "request": request}))


@staff_member_required
@require_POST
def markdown_preview(request):
    """The editor's live preview: the same pipeline as the public page. Staff only."""
    return HttpResponse(markdown_to_html(request.POST.get("content", "")))


@staff_member_required
@require_POST
def image_upload(request):
    """Image upload from the Markdown editor (staff only); answers with the Markdown to insert."""
    form = ImageUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return JsonResponse({"image": form.errors.get("image", ["Choose an image to upload."])}, status=400)
    return JsonResponse({"image_code": f"![{PLACEHOLDER_ALT}]({form.save()})"})


def favicon(request):
    """Browsers and the admin ask for /favicon.ico; the icon lives with the other static files."""
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))
