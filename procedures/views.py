"""Thin views: pick the records, hand them to a template. Stored HTML only; no Markdown parsed here."""

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.db.models import Prefetch
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect, HttpResponseServerError, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.templatetags.static import static
from django.views.decorators.http import require_POST

from .forms import ClinicSearchForm
from .markdown import markdown_to_html
from .models import Clinic, Procedure, ProcedureRedirect, SiteDetails
from .uploads import ImageUploadForm


def home(request):
    procedures = Procedure.objects.published().in_reading_order()
    return render(request, "procedures/home.html", {"procedures": procedures, "form": ClinicSearchForm.from_query({})})


def procedure_detail(request, slug):
    visible = Procedure.objects.all() if request.user.is_staff else Procedure.objects.published()
    procedure = visible.filter(slug=slug).prefetch_related("sections").first()
    if procedure is None:
        moved = ProcedureRedirect.objects.filter(old_slug=slug).select_related("procedure").first()
        if moved and (moved.procedure.is_published or request.user.is_staff):
            return redirect(moved.procedure, permanent=True)
        raise Http404("No published procedure at this address.")
    return render(request, "procedures/detail.html", {
        "procedure": procedure,
        "sections": procedure.sections.all(),
        "draft_preview": not procedure.is_published,
        "form": ClinicSearchForm.from_query({}, initial_procedure=procedure.slug),
    })


def server_error(request):
    """The 500 page, in the site's look, with the phone number when it can still be had."""
    try:
        site = SiteDetails.current()
    except Exception:  # the database or cache may be what failed
        site = None
    template = loader.get_template("500.html")
    return HttpResponseServerError(template.render({"site": site, "request": request}))


def clinic_finder(request):
    form = ClinicSearchForm.from_query(request.GET)
    context, status = {"form": form, "search": None}, 200
    if form.is_bound:
        if form.is_valid():
            context["search"] = form.search()
        else:
            status = 400
    return render(request, "clinics/finder.html", context, status=status)


def clinic_detail(request, slug):
    clinic = (
        Clinic.objects.listed()
        .prefetch_related("opening_hours", Prefetch("procedures", queryset=Procedure.objects.published().in_reading_order()))
        .filter(slug=slug)
        .first()
    )
    if clinic is None:
        raise Http404("No clinic at this address.")
    return render(request, "clinics/detail.html", {"clinic": clinic})


def clinic_api(request):
    """JSON twin of the finder: the same validation and results, for other sites and apps."""
    form = ClinicSearchForm.from_query(request.GET)
    if not form.is_bound:
        return JsonResponse({"error": "Add ?q= with a 5-digit ZIP code or a town and state, e.g. ?q=55435."}, status=400)
    if not form.is_valid():
        return JsonResponse({"error": " ".join(message for _id, message in form.error_list())}, status=400)
    search = form.search()
    return JsonResponse({
        "origin": {"query": search.origin.query, "latitude": search.origin.latitude, "longitude": search.origin.longitude},
        "radius_miles": search.radius_miles,
        "results": [clinic_json(request, match) for match in search.matches],
    })


def clinic_json(request, match):
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
        "procedures": [procedure.slug for procedure in clinic.procedures.all()],
    }


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
    return JsonResponse({"image_code": f"![Describe the image for people who cannot see it]({form.save()})"})


def favicon(request):
    """Browsers and the admin ask for /favicon.ico; the icon lives with the other static files."""
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))
