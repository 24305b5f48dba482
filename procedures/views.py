"""Thin views: pick the records, hand them to a template. Stored HTML only; no Markdown parsed here."""

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, translate_url
from django.utils import translation
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
from .models import Clinic, GlossaryTerm, Guide, PendingVersion, Procedure, ProcedureRedirect, url_language
from .signoff import preview_objects
from .uploads import ImageUploadForm

LANGUAGE_NAMES = {"en": "English", "es": "Español"}


def language_now():
    """The language of this request's page: "es" under /es/, else "en" (sijoint_site.middleware)."""
    return "es" if translation.get_language() == "es" else "en"


def home_url(language):
    with translation.override(url_language(language)):
        return reverse("procedures:home")


def page_languages(request, versions=None):
    """The page's address in each language and the link to the other language.

    versions: {language: path} for a page whose translation has an address of its own (a procedure or guide,
    with a slug per language); a language missing from it has no such page, and the language link goes to
    that language's home page. None: the same page exists in both languages (home, glossary, clinics)."""
    here = language_now()
    if versions is None:
        versions = {here: request.path}
        for language in LANGUAGE_NAMES:
            if language != here:
                versions[language] = translate_url(request.path, url_language(language))
    other = "en" if here == "es" else "es"
    has_other = other in versions and versions[other] != request.path
    return {
        "alternates": [
            {"code": code, "url": settings.SITE_URL + versions[code]} for code in LANGUAGE_NAMES if code in versions
        ],
        "x_default_url": settings.SITE_URL + versions.get("en", home_url("en")),
        "language_switch": {
            "code": other,
            "url": versions[other] if has_other else home_url(other),
            "label": LANGUAGE_NAMES[other] if has_other else LANGUAGE_NAMES[other] + ": " + HOME_LABEL[other],
            "same_page": has_other,
        },
    }


# The language link names the other language in that language (it is marked lang="..").
HOME_LABEL = {"en": "home page", "es": "página principal"}


def page_meta(request, title, description, *, og_type="website", canonical=True, versions=None):
    """Title, description and canonical URL: the <title>, meta description and Open Graph tags use them;
    the page's address in each language (hreflang alternates) and the link to the other language."""
    return {
        "page_title": title,
        "page_description": description,
        "og_type": og_type,
        "canonical_url": settings.SITE_URL + request.path if canonical else None,
        **(page_languages(request, versions) if canonical else {}),
    }


def with_translation(queryset):
    """The pages with the slug of their published Spanish translation (`translation_slug`), in the same query."""
    translations = queryset.model.objects.filter(translation_of=OuterRef("pk"), status="published")
    return queryset.annotate(translation_slug=Subquery(translations.values("slug")[:1]))


def translation_versions(page):
    """{language: path} of a published page and its published translation (either way round)."""
    versions = {page.language: page.get_absolute_url()}
    if page.language == "en" and hasattr(page, "translation_slug"):  # looked up with the page (with_translation)
        if page.translation_slug:
            versions["es"] = type(page)(slug=page.translation_slug, language="es").get_absolute_url()
        return versions
    if page.language == "en":
        other = page.translations.filter(status="published").first()
    else:
        other = page.translation_of if page.translation_of and page.translation_of.is_published else None
    if other is not None:
        versions[other.language] = other.get_absolute_url()
    return versions


def translation_notice(page):
    """On a Spanish page whose English page changed since it was translated: when, and where to read it."""
    if not page.is_translation or not page.translation_out_of_date:
        return None
    english = page.translation_of
    return {"english_url": english.get_absolute_url(), "english_updated": english.content_changed_at}


@public_page
def home(request):
    procedures = Procedure.objects.published().filter(language=language_now()).in_reading_order()
    site = site_details()
    return render(
        request,
        "procedures/home.html",
        {
            "procedures": procedures,
            "guides": guides_published(),
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


def guides_published():
    return Guide.objects.published().filter(language=language_now()).only("title", "slug", "summary", "language")


def other_language_page(visible, slug):
    """A page asked for in the wrong language (an English slug under /es/, or a Spanish one without it):
    its translation in this language if there is one, else the page itself in its own language."""
    page = visible.filter(slug=slug).select_related("translation_of").first()
    if page is None:
        return None
    here = language_now()
    if page.language == "en":
        return page.translations.filter(language=here, status="published").first() or page
    english = page.translation_of
    return english if english is not None and here == "en" and english.is_published else page


@public_page
def procedure_detail(request, slug):
    visible = Procedure.objects.all() if request.user.is_staff else Procedure.objects.published()
    procedure = (
        with_translation(visible.filter(slug=slug, language=language_now()))
        .select_related("translation_of")
        .prefetch_related("sections")
        .first()
    )
    if procedure is None:
        moved = ProcedureRedirect.objects.filter(old_slug=slug).select_related("procedure").first()
        if moved and (moved.procedure.is_published or request.user.is_staff):
            return redirect(moved.procedure, permanent=True)
        elsewhere = other_language_page(visible, slug)
        if elsewhere is not None:
            return redirect(elsewhere)
        raise Http404("No published procedure at this address.")
    sections = procedure.sections.all()
    versions = translation_versions(procedure)
    graph = structured_data.procedure_graph(procedure, sections, site_details(), versions=versions)
    return render(
        request,
        "procedures/detail.html",
        {
            "procedure": procedure,
            "sections": sections,
            "guides": guides_published(),
            "draft_preview": not procedure.is_published,
            "translation_notice": translation_notice(procedure),
            "form": ClinicSearchForm.from_query({}, initial_procedure=procedure.slug),
            "structured_data": structured_data.json_ld(graph),
            **page_meta(
                request,
                _("%(title)s: what to expect") % {"title": procedure.title},
                procedure.summary,
                og_type="article",
                versions=versions,
            ),
        },
    )


@public_page
def guide_detail(request, slug):
    visible = Guide.objects.all() if request.user.is_staff else Guide.objects.published()
    guide = (
        with_translation(visible.filter(slug=slug, language=language_now())).select_related("translation_of").first()
    )
    if guide is None:
        elsewhere = other_language_page(visible, slug)
        if elsewhere is not None:
            return redirect(elsewhere)
        raise Http404("No published guide at this address.")
    versions = translation_versions(guide)
    return render(
        request,
        "guides/detail.html",
        {
            "guide": guide,
            "draft_preview": not guide.is_published,
            "translation_notice": translation_notice(guide),
            "structured_data": structured_data.json_ld(
                structured_data.guide_graph(guide, site_details(), versions=versions)
            ),
            **page_meta(request, guide.title, guide.summary, og_type="article", versions=versions),
        },
    )


@public_page
def glossary(request):
    # Alphabetical whatever the letter case ("X-ray" among "x..."), in every database's collation.
    terms = sorted(GlossaryTerm.objects.filter(language=language_now()), key=lambda term: term.term.casefold())
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


def spanish_speaking(request):
    """The finder's "staff speak Spanish" filter: `language=es` (anything else is no filter)."""
    return "es" if request.GET.get("language") == "es" else None


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
            search = clinic_search(
                data["q"],
                radius_miles=data["radius"],
                procedure_slug=data["procedure"] or None,
                language=spanish_speaking(request),
            )
            title = f"{search.summary}: {FINDER_TITLE[0].lower()}{FINDER_TITLE[1:]}"
        else:
            status, title = 400, _("Error: %(title)s") % {"title": FINDER_TITLE}
    return render(
        request,
        "clinics/finder.html",
        {
            "form": form,
            "search": search,
            "speaks_spanish": bool(spanish_speaking(request)),
            **page_meta(request, title, FINDER_DESCRIPTION),
        },
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
