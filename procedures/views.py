"""Thin views: pick the records, hand them to a template. Stored HTML only; no Markdown parsed here."""

from django.http import Http404
from django.shortcuts import render
from django.template import loader
from django.http import HttpResponseServerError

from .models import Procedure, SiteDetails


def home(request):
    procedures = Procedure.objects.published().order_by("procedure_type", "title")
    return render(request, "procedures/home.html", {"procedures": procedures})


def procedure_detail(request, slug):
    visible = Procedure.objects.all() if request.user.is_staff else Procedure.objects.published()
    procedure = visible.filter(slug=slug).prefetch_related("sections").first()
    if procedure is None:
        raise Http404("No published procedure at this address.")
    return render(request, "procedures/detail.html", {
        "procedure": procedure,
        "sections": procedure.sections.all(),
        "draft_preview": not procedure.is_published,
    })


def server_error(request):
    """The 500 page, in the site's look, with the phone number when it can still be had."""
    try:
        site = SiteDetails.current()
    except Exception:  # the database or cache may be what failed
        site = None
    template = loader.get_template("500.html")
    return HttpResponseServerError(template.render({"site": site, "request": request}))
