"""Thin views: pick the records, hand them to a template. Stored HTML only; no Markdown parsed here."""

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe
from django_ratelimit.core import is_ratelimited

from sijoint_site.client import client_address
from sijoint_site.http import public_page

from . import structured_data
from .caching import site_details
from .finder import clinic_search, clinics_attach_offered
from .forms import ClinicSearchForm
from .markdown import PLACEHOLDER_ALT, markdown_to_html
from .models import Clinic, GlossaryTerm, Guide, PendingVersion, Procedure, ProcedureRedirect
from .signoff import preview_objects
from .uploads import ImageUploadForm


def page_meta(request, title, description, *, og_type="website", canonical=True):
    """Title, description and canonical URL: the <title>, meta description and Open Graph tags use them."""
    return {
        "page_title": title,
        "page_description": description,
        "og_type": og_type,
        "canonical_url": settings.SITE_URL + request.path if canonical else None,
    }


@public_page
def home(request):
    procedures = Procedure.objects.published().in_reading_order()
    site = site_details()
    return render(
        request,
        "procedures/home.html",
        {
            "procedures": procedures,
            "guides": Guide.objects.published().only("title", "slug", "summary"),
            "form": ClinicSearchForm.from_query({}),
            "structured_data": structured_data.json_ld(structured_data.home_graph(site)) if site.pk else None,
            **page_meta(
                request,
                _("SI joint pain: injections and fusion explained"),
                _(
                    "What the sacroiliac (SI) joints are, why they can hurt, and what happens during an SI joint "
                    "injection or SI joint fusion, in plain English."
                ),
            ),
        },
    )


@public_page
def procedure_detail(request, slug):
    visible = Procedure.objects.all() if request.user.is_staff else Procedure.objects.published()
    procedure = visible.filter(slug=slug).prefetch_related("sections").first()
    if procedure is None:
        moved = ProcedureRedirect.objects.filter(old_slug=slug).select_related("procedure").first()
        if moved and (moved.procedure.is_published or request.user.is_staff):
            return redirect(moved.procedure, permanent=True)
        raise Http404("No published procedure at this address.")
    sections = procedure.sections.all()
    graph = structured_data.procedure_graph(procedure, sections, site_details())
    return render(
        request,
        "procedures/detail.html",
        {
            "procedure": procedure,
            "sections": sections,
            "guides": Guide.objects.published().only("title", "slug", "summary"),
            "draft_preview": not procedure.is_published,
            "form": ClinicSearchForm.from_query({}, initial_procedure=procedure.slug),
            "structured_data": structured_data.json_ld(graph),
            **page_meta(
                request,
                _("%(title)s: what to expect") % {"title": procedure.title},
                procedure.summary,
                og_type="article",
            ),
        },
    )


@public_page
def guide_detail(request, slug):
    visible = Guide.objects.all() if request.user.is_staff else Guide.objects.published()
    guide = visible.filter(slug=slug).first()
    if guide is None:
        raise Http404("No published guide at this address.")
    return render(
        request,
        "guides/detail.html",
        {
            "guide": guide,
            "draft_preview": not guide.is_published,
            "structured_data": structured_data.json_ld(structured_data.guide_graph(guide, site_details())),
            **page_meta(request, guide.title, guide.summary, og_type="article"),
        },
    )


@public_page
def glossary(request):
    # Alphabetical whatever the letter case ("X-ray" among "x..."), in every database's collation.
    terms = sorted(GlossaryTerm.objects.all(), key=lambda term: term.term.casefold())
    return render(
        request,
        "procedures/glossary.html",
        {
            "terms": terms,
            "structured_data": structured_data.json_ld(structured_data.glossary_graph(terms)),
            **page_meta(
                request,
                _("Medical words explained"),
                _("The medical words used on this site, such as sacrum, steroid and fluoroscopy, in plain English."),
            ),
        },
    )


@never_cache
@require_safe
def pending_preview(request, pk):
    """A change waiting for clinical sign-off, as the page would look: staff only, never cached."""
    if not request.user.is_staff:
        raise Http404("No page at this address.")
    pending = get_object_or_404(PendingVersion.objects.select_related("procedure"), pk=pk)
    procedure, sections = preview_objects(pending)
    return render(
        request,
        "procedures/pending_preview.html",
        {
            "procedure": procedure,
            "sections": sections,
            "pending": pending,
            "form": ClinicSearchForm.from_query({}, initial_procedure=pending.procedure.slug),
            **page_meta(request, f"Preview: {procedure.title}", procedure.summary, canonical=False),
        },
    )


FINDER_TITLE = gettext_lazy("Find an SI joint clinic near you")
FINDER_DESCRIPTION = gettext_lazy(
    "Find a clinic near you for an SI joint injection or SI joint fusion. Search by ZIP code or town "
    "and call the clinic directly."
)


def search_rate(group, request):
    return settings.SEARCH_RATE_LIMIT


def too_many_searches(request):
    """The friendly 429 page: wait a minute, or call."""
    response = render(
        request,
        "429.html",
        page_meta(request, _("Too many searches"), _("Please wait a minute before searching again."), canonical=False),
        status=429,
    )
    response["Retry-After"] = "60"
    return response


@public_page
def clinic_finder(request):
    form = ClinicSearchForm.from_query(request.GET)
    search, status, title = None, 200, FINDER_TITLE
    if form.is_bound:
        # Only searches count: the empty form costs nothing and is cached.
        if is_ratelimited(request, group="clinic-search", key=client_address, rate=search_rate, increment=True):
            return too_many_searches(request)
        if form.is_valid():
            data = form.cleaned_data
            search = clinic_search(data["q"], radius_miles=data["radius"], procedure_slug=data["procedure"] or None)
            title = f"{search.summary}: {FINDER_TITLE[0].lower()}{FINDER_TITLE[1:]}"
        else:
            status, title = 400, _("Error: %(title)s") % {"title": FINDER_TITLE}
    return render(
        request,
        "clinics/finder.html",
        {"form": form, "search": search, **page_meta(request, title, FINDER_DESCRIPTION)},
        status=status,
    )


@public_page
def clinic_detail(request, slug):
    clinic = Clinic.objects.listed().prefetch_related("opening_hours").filter(slug=slug).first()
    if clinic is None:
        raise Http404("No clinic at this address.")
    clinics_attach_offered([clinic])
    return render(
        request,
        "clinics/detail.html",
        {
            "clinic": clinic,
            "structured_data": structured_data.json_ld(structured_data.clinic_graph(clinic)),
            **page_meta(
                request,
                _("%(name)s: address, phone and opening hours") % {"name": clinic.name},
                _("%(name)s, %(address)s. Call %(phone)s. Opening hours, access and the SI joint procedures offered.")
                % {"name": clinic.name, "address": clinic.full_address, "phone": clinic.phone},
            ),
        },
    )


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
