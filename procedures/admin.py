"""The staff admin, in words a clinic nurse uses. A page's own details are a short form with a list of its
sections; each section is edited on a screen of its own (SectionAdmin) with the live Markdown preview. Every
save is checked like the loader checks files, with a summary of problems at the top linked to each field;
refused when it would overwrite someone else's newer save, keeping the editor's text (concurrency.py); and, for
a published page, held for clinical sign-off unless a clinical reviewer saves it (signoff.py). One history
screen per page, in the site's time zone, restores a part or the whole page to a moment after confirmation.
Clinics have their week as seven rows; the site details are one form."""

import datetime

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from . import validation
from .admin_forms import (
    US_TIME_ZONES,
    ClinicForm,
    ProcedurePageForm,
    SectionAddForm,
    SectionEditForm,
    SiteDetailsForm,
    clinic_hours_periods,
)
from .checks import save_messages
from .concurrency import CONFLICT_CODE, NothingLostAdminMixin
from .history import local_time_text, page_timeline
from .models import (
    Clinic,
    ContentVersion,
    Guide,
    PendingVersion,
    Procedure,
    ProcedureRedirect,
    Section,
    SiteDetails,
    Weekday,
)
from .readability import TARGET_GRADE, reading_grade
from .sections import SECTION_CHOICES, SECTION_HEADING
from .signoff import (
    APPROVE_PERMISSION,
    live_state,
    pending_changes,
    pending_version_approve,
    pending_version_open,
    pending_version_save,
    pending_version_send_back,
    reviewer_name,
    signoff_required,
    state_at,
    state_changes,
    state_merge,
    state_with_section,
    state_write,
)
from .translations import english_changes, translation_mark_current, translations_out_of_date

REVIEW_SOON_DAYS = 30

admin.site.site_header = "Patient information: staff area"
admin.site.site_title = "Staff area"
admin.site.index_title = "Pages, clinics and site details"


def time_zone_name():
    """The site's time zone as staff know it: "Central time (America/Chicago)"."""
    label = dict(US_TIME_ZONES).get(settings.TIME_ZONE)
    return f"{label.split(' (')[0]} time ({settings.TIME_ZONE})" if label else f"{settings.TIME_ZONE} time"


def readability_warn(request, heading, body):
    """The warnings a save shows: the live checks' own (checks.py), so the editor and the save agree."""
    for message in save_messages(heading, body):
        messages.warning(request, message)


class ErrorSummaryMixin:
    """A summary at the top of a change form when a save is refused: each problem, named by its field (and
    section), linked to the field; a problem on a Markdown line says which line."""

    error_summary_part = None  # "Section “Recovery”": said before each field's name

    def error_summary_part_name(self, form):
        return self.error_summary_part

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        form = context.get("adminform") and context["adminform"].form
        if form is not None and form.is_bound and form.errors:
            context["error_summary"] = self._error_summary(form)
            if context["error_summary"]:
                # The summary replaces the admin's "Please correct the error below" and its unlinked list.
                context["errors"] = []
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _error_summary(self, form):
        part = self.error_summary_part_name(form)
        items = []
        for name, errors in form.errors.as_data().items():
            if name == "__all__":
                for error in errors:
                    if error.code != CONFLICT_CODE:
                        items.extend({"label": part or "", "message": m, "anchor": ""} for m in error.messages)
                continue
            field_ = form.fields.get(name)
            label = str(field_.label if field_ and field_.label else name.replace("_", " "))
            label = label[:1].upper() + label[1:]  # "ZIP code" stays as it is
            if part:
                label = f"{part}, {label[:1].lower() + label[1:]}"
            for error in errors:
                for message in error.messages:
                    items.append({"label": label, "message": message, "anchor": f"id_{form.add_prefix(name)}"})
        return items


class ReviewDueFilter(admin.SimpleListFilter):
    title = "clinical review"
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [("overdue", "Overdue"), ("soon", f"Due within {REVIEW_SOON_DAYS} days")]

    def queryset(self, request, queryset):
        if self.value() == "overdue":
            return queryset.review_overdue()
        if self.value() == "soon":
            return queryset.review_due_within(REVIEW_SOON_DAYS)
        return queryset


def translation_admin_urls(page):
    """(the translation's admin page, its English page's, the "mark up to date" button's address)."""
    name = page._meta.model_name
    registered = admin.site.is_registered(type(page))  # guides are edited in their files unless registered
    return (
        reverse(f"admin:procedures_{name}_change", args=[page.pk]) if registered else None,
        reverse(f"admin:procedures_{name}_change", args=[page.translation_of_id]) if registered else None,
        reverse(f"admin:procedures_{name if name == 'guide' else 'procedure'}_translation_mark", args=[page.pk]),
    )


@admin.register(Procedure)
class ProcedureAdmin(NothingLostAdminMixin, ErrorSummaryMixin, SimpleHistoryAdmin):
    """A page's own details on a short form, and a list of its sections, each edited on its own screen
    (SectionAdmin). One history screen (page_history_view) for the page and its sections."""

    conflict_noun = "this page"
    form = ProcedurePageForm
    save_on_top = True
    list_display = [
        "title", "language", "status", "signoff", "translation_state", "reviewed_by", "last_reviewed", "review_due",
        "updated_at",
    ]  # fmt: skip
    list_filter = ["status", "language", ReviewDueFilter]
    actions = ["translation_mark_up_to_date"]
    search_fields = ["title", "summary", "sections__body"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "status", "procedure_type", "summary", "also_called"]}),
        ("Key facts", {"fields": ["duration", "anaesthetic", "going_home", "recovery_time"]}),
        ("Sources", {"fields": ["sources"]}),
        ("Clinical review", {"fields": ["reviewed_by", "last_reviewed", "next_review_due", "for_clinical_review"]}),
    ]
    view_on_site = True

    @admin.display(description="Next review due", ordering="next_review_due")
    def review_due(self, procedure):
        today = datetime.date.today()
        due = date_format(procedure.next_review_due, "DATE_FORMAT")
        if procedure.next_review_due < today:
            return format_html('<strong class="review-overdue">Overdue since {}</strong>', due)
        if procedure.next_review_due <= today + datetime.timedelta(days=REVIEW_SOON_DAYS):
            return format_html('<strong class="review-soon">Due {}</strong>', due)
        return due

    def get_queryset(self, request):
        waiting = PendingVersion.objects.filter(procedure=OuterRef("pk"), status=PendingVersion.Status.PENDING)
        return super().get_queryset(request).annotate(change_waiting=Exists(waiting)).select_related("translation_of")

    @admin.display(description="Translation")
    def translation_state(self, procedure):
        if procedure.translation_out_of_date:
            return format_html('<strong class="translation-out-of-date">{}</strong>', "Translation out of date")
        return "Up to date" if procedure.is_translation else ""

    @admin.action(description="Mark translation up to date (it now follows the English page as it is)")
    def translation_mark_up_to_date(self, request, queryset):
        marked = 0
        for page in queryset.filter(language="es").exclude(translation_of=None).select_related("translation_of"):
            translation_mark_current(page)
            marked += 1
        ContentVersion.bump()
        self.message_user(request, f"{marked} translation{'s' if marked != 1 else ''} marked up to date.")

    def translation_mark_view(self, request, pk, model=Procedure):
        """The sign-off queue's button: this translation now follows its English page as it is now."""
        if request.method != "POST" or not request.user.has_perm(f"procedures.change_{model._meta.model_name}"):
            raise PermissionDenied
        page = get_object_or_404(model.objects.exclude(translation_of=None), pk=pk)
        translation_mark_current(page)
        ContentVersion.bump()
        messages.success(request, f"“{page}” is marked up to date with its English page.")
        return redirect("admin:procedures_procedure_signoff_queue")

    @admin.display(description="Sign-off")
    def signoff(self, procedure):
        if getattr(procedure, "change_waiting", False):
            return format_html('<strong class="signoff-waiting">{}</strong>', "Change waiting for sign-off")
        return ""

    # --- Clinical sign-off: a change to a published page waits; the live rows are not written ---------

    def save_model(self, request, obj, form, change):
        form.signoff_pending = None
        if change and not getattr(form, "nothing_to_save", False) and signoff_required(obj.pk, request.user):
            form.signoff_pending = True  # stored in save_related, once the sections' cleaned values are known
            return
        if change and request.user.has_perm(APPROVE_PERMISSION) and obj.is_published:
            # An urgent fix: a clinical reviewer's own save goes live at once, and the history says so.
            obj._change_reason = f"Edited and approved by {reviewer_name(request.user)}"
            if PendingVersion.objects.filter(procedure_id=obj.pk, status=PendingVersion.Status.PENDING).exists():
                messages.warning(
                    request,
                    "A change by someone else is still waiting for sign-off on this page. It was made before "
                    "your edit: check in the sign-off queue that approving it would not undo your fix.",
                )
        super().save_model(request, obj, form, change)
        if obj.translation_of_id:  # a translator saving the Spanish page has brought it up to date
            translation_mark_current(obj)

    def construct_change_message(self, request, form, formsets, add=False):
        # Nothing live was written (the formsets were not saved): the admin log says what happened instead.
        if getattr(request, "signoff_unchanged", False):
            return []
        if getattr(request, "signoff_pending", None):
            return "Proposed a change, waiting for clinical sign-off."
        return super().construct_change_message(request, form, formsets, add)

    def response_add(self, request, obj, post_url_continue=None):
        # A new page has no sections yet: go to its screen, where the list of sections offers to add them.
        if "_addanother" in request.POST:
            return super().response_add(request, obj, post_url_continue)
        messages.success(request, f"Added the page \u201c{obj}\u201d. Now add its sections from the list below.")
        return HttpResponseRedirect(reverse("admin:procedures_procedure_change", args=[obj.pk]))

    def response_change(self, request, obj):
        pending = getattr(request, "signoff_pending", None)
        if getattr(request, "signoff_unchanged", False):
            messages.info(request, "You had not changed anything, so nothing was saved.")
            return HttpResponseRedirect(reverse("admin:procedures_procedure_change", args=[obj.pk]))
        if pending is None:
            return super().response_change(request, obj)
        messages.success(
            request,
            format_html(
                "Your change is waiting for clinical sign-off. Patients still see the page as it was. "
                '<a href="{}">Preview your change</a>.',
                pending.get_absolute_url(),
            ),
        )
        return HttpResponseRedirect(reverse("admin:procedures_procedure_change", args=[obj.pk]))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The admin answers an id that is not a number itself ("doesn't exist"); only look it up when it is one.
        latest = (
            PendingVersion.objects.filter(procedure_id=object_id).select_related("reviewer").first()
            if str(object_id).isdigit()
            else None
        )
        extra_context = {
            **(extra_context or {}),
            "pending_version": latest if latest and latest.status == PendingVersion.Status.PENDING else None,
            "sent_back": latest if latest and latest.status == PendingVersion.Status.SENT_BACK else None,
            "can_approve": request.user.has_perm(APPROVE_PERMISSION),
        }
        if str(object_id).isdigit():
            procedure = Procedure.objects.filter(pk=object_id).first()
            if procedure is not None:
                extra_context.update(self._sections_context(procedure, extra_context["pending_version"]))
        return super().change_view(request, object_id, form_url, extra_context)

    @staticmethod
    def _sections_context(procedure, pending):
        """The page's sections as a list: heading (linked to its own screen), reading grade, last change."""
        rows = []
        waiting = pending.state["sections"] if pending else {}
        for section in procedure.sections.all():
            last = section.history.select_related("history_user").order_by("-history_date").first()
            grade = reading_grade(section.body)
            rows.append(
                {
                    "section": section,
                    "url": reverse("admin:procedures_section_change", args=[section.pk]),
                    "grade": grade,
                    "grade_ok": grade <= TARGET_GRADE,
                    "who": (last.history_user.get_full_name() or last.history_user.get_username())
                    if last and last.history_user
                    else "Content files",
                    "when": last.history_date if last else None,
                    "waiting": bool(pending) and waiting.get(section.kind) != section.body,
                }
            )
        have = {row["section"].kind for row in rows}
        missing = [
            {
                "kind": kind,
                "heading": heading,
                "url": reverse("admin:procedures_section_add") + f"?procedure={procedure.pk}&kind={kind}",
            }
            for kind, heading in SECTION_CHOICES
            if kind not in have
        ]
        return {"section_rows": rows, "missing_sections": missing}

    def save_related(self, request, form, formsets, change):
        if getattr(form, "signoff_pending", None):
            live = Procedure.objects.get(pk=form.instance.pk)
            waiting = pending_version_open(live)
            # The form shows the live page: what the editor changed in it is laid over the waiting change
            # (or over the live page), and the sections, edited on their own screens, are kept as they are.
            base = waiting.state if waiting else live_state(live)
            state = state_merge(base, form, formsets)
            if state == base:
                request.signoff_unchanged = True
                return
            request.signoff_pending = pending_version_save(procedure=live, state=state, author=request.user)
            return
        super().save_related(request, form, formsets, change)
        if not form.instance.is_published:
            messages.info(
                request,
                format_html(
                    'This page is a draft: patients cannot see it. <a href="{}">Preview the draft</a>.',
                    form.instance.get_absolute_url(),
                ),
            )

    def get_urls(self):
        return [
            path(
                "<int:pk>/page-history/",
                self.admin_site.admin_view(self.page_history_view),
                name="procedures_procedure_page_history",
            ),
            path(
                "<int:pk>/page-history/restore/<str:model>/<int:history_id>/",
                self.admin_site.admin_view(self.page_restore_view),
                name="procedures_procedure_page_restore",
            ),
            path(
                "<int:pk>/page-history/restore-page/<str:model>/<int:history_id>/",
                self.admin_site.admin_view(self.page_restore_view),
                {"whole_page": True},
                name="procedures_procedure_page_restore_whole",
            ),
            path(
                "<int:pk>/section/<str:kind>/",
                self.admin_site.admin_view(self.section_view),
                name="procedures_procedure_section",
            ),
            path(
                "signoff/",
                self.admin_site.admin_view(self.signoff_queue_view),
                name="procedures_procedure_signoff_queue",
            ),
            path(
                "translation/<int:pk>/mark-up-to-date/",
                self.admin_site.admin_view(self.translation_mark_view),
                name="procedures_procedure_translation_mark",
            ),
            path(
                "translation/guide/<int:pk>/mark-up-to-date/",
                self.admin_site.admin_view(self.translation_mark_view),
                {"model": Guide},
                name="procedures_guide_translation_mark",
            ),
            path(
                "signoff/<int:pk>/<str:decision>/",
                self.admin_site.admin_view(self.signoff_decide_view),
                name="procedures_procedure_signoff_decide",
            ),
            *super().get_urls(),
        ]

    def signoff_queue_view(self, request):
        if not request.user.has_perm(APPROVE_PERMISSION):
            raise PermissionDenied
        waiting = PendingVersion.objects.filter(status=PendingVersion.Status.PENDING).select_related(
            "procedure", "author"
        )
        context = {
            **self.admin_site.each_context(request),
            "title": "Changes waiting for clinical sign-off",
            "opts": self.model._meta,
            "waiting": [(pending, pending_changes(pending)) for pending in waiting.order_by("created_at")],
            # Spanish pages whose English page changed since they were translated, with those English changes.
            "translations_behind": [
                (page, english_changes(page), *translation_admin_urls(page))
                for model in (Procedure, Guide)
                for page in translations_out_of_date(model.objects.select_related("translation_of"))
            ],
        }
        context["behind_ids"] = {
            item[0].pk for item in context["translations_behind"] if isinstance(item[0], Procedure)
        }
        return TemplateResponse(request, "admin/procedures/procedure/signoff_queue.html", context)

    def signoff_decide_view(self, request, pk, decision):
        if request.method != "POST" or not request.user.has_perm(APPROVE_PERMISSION):
            raise PermissionDenied
        pending = get_object_or_404(PendingVersion.objects.select_related("procedure"), pk=pk)
        try:
            if decision == "approve":
                procedure = pending_version_approve(pending=pending, reviewer=request.user)
                messages.success(request, f"Approved: “{procedure}” is live with the change.")
            elif decision == "send-back":
                comment = request.POST.get("comment", "").strip()
                if not comment:
                    messages.error(request, "Say what needs changing before sending the change back.")
                    return redirect("admin:procedures_procedure_signoff_queue")
                pending_version_send_back(pending=pending, reviewer=request.user, comment=comment)
                messages.success(request, f"Sent back the change to “{pending.procedure}” with your comment.")
            else:
                raise PermissionDenied
        except ValueError as error:
            messages.error(request, str(error))
        except IntegrityError:
            messages.error(
                request,
                "Not approved: another page already uses the web address this change gives the page. "
                "Send it back with a comment.",
            )
        return redirect("admin:procedures_procedure_signoff_queue")

    def page_history_view(self, request, pk):
        procedure = get_object_or_404(Procedure, pk=pk)
        if not self.has_view_or_change_permission(request, procedure):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": f"History of \u201c{procedure}\u201d",
            "opts": self.model._meta,
            "original": procedure,
            "timeline": page_timeline(procedure),
            "can_restore": self.has_change_permission(request, procedure),
            "signoff_steps": procedure.pending_versions.select_related("author", "reviewer"),
            "time_zone_name": time_zone_name(),
        }
        return TemplateResponse(request, "admin/procedures/procedure/page_history.html", context)

    def history_view(self, request, object_id, extra_context=None):
        """One history entry point per page: the stock history screen leads to the page's own."""
        if not str(object_id).isdigit():
            return redirect("admin:procedures_procedure_changelist")
        return redirect("admin:procedures_procedure_page_history", pk=object_id)

    def section_view(self, request, pk, kind):
        """/procedure/<pk>/section/<kind>/: that section's own screen, or adding it when the page lacks it."""
        procedure = get_object_or_404(Procedure, pk=pk)
        if kind not in SECTION_HEADING:
            raise Http404("No such section.")
        section = procedure.sections.filter(kind=kind).first()
        if section:
            return redirect("admin:procedures_section_change", section.pk)
        return HttpResponseRedirect(reverse("admin:procedures_section_add") + f"?procedure={pk}&kind={kind}")

    def page_restore_view(self, request, pk, model, history_id, whole_page=False):
        """Restore one version of the page details or of a section, or (whole_page) the page and all its
        sections as they were at the moment of that version. A GET shows what would change; a POST does it.
        A published page restored by someone who may not approve waits for sign-off like any other change."""
        procedure = get_object_or_404(Procedure, pk=pk)
        if not self.has_change_permission(request, procedure):
            raise PermissionDenied
        if model == "procedure":
            record = get_object_or_404(Procedure.history, history_id=history_id, id=procedure.pk)
        elif model == "section":
            record = get_object_or_404(Section.history, history_id=history_id, procedure_id=procedure.pk)
        else:
            raise Http404("Nothing to restore.")
        moment = local_time_text(record.history_date)
        live = live_state(procedure)
        if whole_page:
            target = state_at(procedure, record.history_date)
            what = f"the whole page as it was on {moment}"
        elif model == "procedure":
            target = {"fields": state_at(procedure, record.history_date)["fields"], "sections": live["sections"]}
            what = f"the page details as they were on {moment}"
        else:
            target = state_with_section(live, record.kind, None if record.history_type == "-" else record.body)
            what = f"the \u201c{SECTION_HEADING.get(record.kind, record.kind)}\u201d section as it was on {moment}"
        if target is None:
            raise Http404("The page did not exist then.")
        waits = signoff_required(procedure.pk, request.user)
        history_url = reverse("admin:procedures_procedure_page_history", args=[procedure.pk])
        missing = validation.missing_sections(target["fields"].get("status"), set(target["sections"]))
        if missing:
            names = " and ".join(f"\u201c{name}\u201d" for name in missing)
            messages.error(
                request,
                f"Cannot restore {what}: the page is published, and it would have no {names} section. Choose a "
                "later moment, or restore single sections.",
            )
            return HttpResponseRedirect(history_url)
        if request.method == "POST":
            return self._restore(request, procedure, target, what, waits, history_url)
        removed = sorted(set(live["sections"]) - set(target["sections"]))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Restore {what}?",
            "opts": self.model._meta,
            "original": procedure,
            "what": what,
            "whole_page": whole_page,
            "changes": state_changes(live, target),
            "removed": [SECTION_HEADING.get(kind, kind) for kind in removed],
            "waits": waits,
            "pending_version": pending_version_open(procedure) if waits else None,
            "history_url": history_url,
        }
        return TemplateResponse(request, "admin/procedures/procedure/restore_confirm.html", context)

    def _restore(self, request, procedure, target, what, waits, history_url):
        if waits:
            pending = pending_version_open(procedure)
            base = pending.state if pending else live_state(procedure)
            if target == base:
                messages.info(request, "Nothing to restore: the page is already like that.")
                return HttpResponseRedirect(history_url)
            pending = pending_version_save(procedure=procedure, state=target, author=request.user)
            messages.success(
                request,
                format_html(
                    "Restoring {} is waiting for clinical sign-off. Patients still see the page as it was. "
                    '<a href="{}">Preview the restored page</a>.',
                    what,
                    pending.get_absolute_url(),
                ),
            )
            return HttpResponseRedirect(history_url)
        if target == live_state(procedure):
            messages.info(request, "Nothing to restore: the page is already like that.")
            return HttpResponseRedirect(history_url)
        try:
            with transaction.atomic():
                locked = Procedure.objects.select_for_update().get(pk=procedure.pk)
                state_write(locked, target, user=request.user, reason=f"Restored {what}")
        except IntegrityError:
            messages.error(
                request,
                "Not restored: another page now uses the web address this page had then. "
                "Change that page's web address first, or restore just the sections.",
            )
            return HttpResponseRedirect(history_url)
        messages.success(
            request,
            f"Restored {what}. Done on {local_time_text(timezone.now())}. "
            "The version it replaced is still in the history.",
        )
        return HttpResponseRedirect(history_url)


@admin.register(Section)
class SectionAdmin(NothingLostAdminMixin, ErrorSummaryMixin, SimpleHistoryAdmin):
    """One section of a page on a screen of its own, reached from the page's list of sections (not listed on
    the admin's home page). Saving follows the page's rules: a change to a published page by someone who may
    not approve it waits for clinical sign-off and the live section is untouched; a stale save is refused and
    the editor's text kept (concurrency.py); Markdown problems are refused naming the line; readability is
    checked on save; every change is in the page's history."""

    conflict_noun = "this section"
    save_on_top = True

    def get_model_perms(self, request):
        return {}  # reached from its page, not from the admin's home page

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = SectionEditForm if obj is not None else SectionAddForm
        form = super().get_form(request, obj, change=change, **kwargs)
        waiting = self._waiting_body(request, obj)
        if waiting is None:
            return form

        def __init__(self, *args, **kwargs):
            form.__init__(self, *args, **kwargs)
            self.initial["body"] = waiting

        # An editor whose change waits for sign-off goes on from the waiting text, not the live one; the
        # nothing-lost snapshot is of the same text, so a change to the waiting version meanwhile is caught too.
        return type(form.__name__, (form,), {"__init__": __init__})

    @staticmethod
    def _waiting_body(request, section):
        if section is None or not signoff_required(section.procedure_id, request.user):
            return None
        pending = pending_version_open(section.procedure)
        return pending.state["sections"].get(section.kind) if pending else None

    def get_fields(self, request, obj=None):
        return ["body"] if obj is not None else ["procedure", "kind", "body"]

    def get_changeform_initial_data(self, request):
        return {key: request.GET.get(key) for key in ("procedure", "kind", "body") if request.GET.get(key)}

    def error_summary_part_name(self, form):
        kind = form.instance.kind or form.data.get("kind")
        return f"Section \u201c{SECTION_HEADING.get(kind, kind)}\u201d" if kind else "Section"

    def has_delete_permission(self, request, obj=None):
        # Removing a section is a change to the page: a draft's sections may go; a published page's go through
        # a clinical reviewer (whose own edits go live), and never its required sections.
        if obj is None or not super().has_delete_permission(request, obj):
            return False
        if not obj.procedure.is_published:
            return True
        return request.user.has_perm(APPROVE_PERMISSION) and not validation.missing_sections(
            Procedure.Status.PUBLISHED,
            set(obj.procedure.sections.exclude(pk=obj.pk).values_list("kind", flat=True)),
        )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if object_id is None:
            procedure_id = request.POST.get("procedure") or request.GET.get("procedure")
            procedure = Procedure.objects.filter(pk=procedure_id).first() if str(procedure_id or "").isdigit() else None
            if procedure is None:
                messages.error(request, "Add a section from its page: open the page and choose the section to add.")
                return redirect("admin:procedures_procedure_changelist")
            section = None
        else:
            section = (
                Section.objects.select_related("procedure").filter(pk=object_id).first()
                if str(object_id).isdigit()
                else None
            )
            if section is None:
                return self._section_gone(request, object_id)
            procedure = section.procedure
        pending = pending_version_open(procedure)
        waiting_body = None
        if pending and section is not None:
            waiting_body = pending.state["sections"].get(section.kind)
        shows_waiting = waiting_body is not None and signoff_required(procedure.pk, request.user)
        extra_context = {
            **(extra_context or {}),
            "procedure": procedure,
            "page_url": reverse("admin:procedures_procedure_change", args=[procedure.pk]),
            "history_url": reverse("admin:procedures_procedure_page_history", args=[procedure.pk]),
            "pending_version": pending,
            "section_waiting": pending is not None and section is not None and waiting_body != section.body,
            "shows_waiting": shows_waiting,
            "title": (
                f"{section.heading}: {procedure}"
                if section is not None
                else f"Add a section to \u201c{procedure}\u201d"
            ),
            "subtitle": None,
            "show_save_and_add_another": False,
        }
        return super().changeform_view(request, object_id, form_url, extra_context)

    def _section_gone(self, request, object_id):
        """The section was removed (by someone else, or a restore) after the editor opened it. Nothing typed is
        lost: the screen to add it back opens with their text in it, for a deliberate save."""
        record = Section.history.filter(id=object_id).order_by("-history_date").first() if object_id.isdigit() else None
        if record is None or not Procedure.objects.filter(pk=record.procedure_id).exists():
            messages.error(request, "That section no longer exists. It may have been removed.")
            return redirect("admin:procedures_procedure_changelist")
        if request.method != "POST":
            messages.warning(request, "That section was removed from the page. You can add it again here.")
            return redirect(reverse("admin:procedures_procedure_section", args=[record.procedure_id, record.kind]))
        messages.warning(
            request,
            "Not saved yet. Someone removed this section after you opened it. Your text is below: "
            "press Save to add the section back with it.",
        )
        query = QueryDict(mutable=True)
        query.update({"procedure": str(record.procedure_id), "kind": record.kind, "body": request.POST.get("body", "")})
        request.method, request.GET, request.POST = "GET", query, QueryDict()
        return self.changeform_view(request, None)

    def history_view(self, request, object_id, extra_context=None):
        section = Section.objects.filter(pk=object_id).first() if str(object_id).isdigit() else None
        if section is None:
            return redirect("admin:procedures_procedure_changelist")
        return redirect("admin:procedures_procedure_page_history", pk=section.procedure_id)

    def save_model(self, request, obj, form, change):
        request.signoff_pending = None
        if getattr(form, "nothing_to_save", False):
            request._nothing_saved_told = True  # the mixin says so
            super().save_model(request, obj, form, change)
            return
        if signoff_required(obj.procedure_id, request.user):
            if change and "body" not in form.changed_data:
                request.signoff_unchanged = True
                return
            live = Procedure.objects.get(pk=obj.procedure_id)
            waiting = pending_version_open(live)
            base = waiting.state if waiting else live_state(live)
            state = state_with_section(base, obj.kind, form.cleaned_data["body"])
            if state == base:
                request.signoff_unchanged = True
                return
            request.signoff_pending = pending_version_save(procedure=live, state=state, author=request.user)
            return
        if change and request.user.has_perm(APPROVE_PERMISSION) and obj.procedure.is_published:
            obj._change_reason = f"Edited and approved by {reviewer_name(request.user)}"
            if pending_version_open(obj.procedure):
                messages.warning(
                    request,
                    "A change by someone else is still waiting for sign-off on this page. It was made before "
                    "your edit: check in the sign-off queue that approving it would not undo your fix.",
                )
        super().save_model(request, obj, form, change)
        if obj.procedure.translation_of_id:  # a translator saving the Spanish page has brought it up to date
            translation_mark_current(obj.procedure)

    def save_related(self, request, form, formsets, change):
        if getattr(request, "signoff_pending", None) or getattr(request, "signoff_unchanged", False):
            return
        super().save_related(request, form, formsets, change)
        if not getattr(form, "nothing_to_save", False):
            readability_warn(request, form.instance.heading, form.instance.body)

    def construct_change_message(self, request, form, formsets, add=False):
        if getattr(request, "signoff_unchanged", False):
            return []
        if getattr(request, "signoff_pending", None):
            return "Proposed a change, waiting for clinical sign-off."
        return super().construct_change_message(request, form, formsets, add)

    def log_addition(self, request, obj, message):
        if obj.pk is None:  # waiting for sign-off: nothing was added to the live page
            return None
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        if obj.pk is None or getattr(request, "signoff_unchanged", False):
            return None
        return super().log_change(request, obj, message)

    def _after_save(self, request, obj):
        page_url = reverse("admin:procedures_procedure_change", args=[obj.procedure_id])
        pending = getattr(request, "signoff_pending", None)
        if getattr(request, "signoff_unchanged", False):
            messages.info(request, "You had not changed anything, so nothing was saved.")
        elif pending is not None:
            messages.success(
                request,
                format_html(
                    "Your change is waiting for clinical sign-off (section \u201c{}\u201d). Patients still see the "
                    'page as it was. <a href="{}">Preview your change</a>.',
                    obj.heading,
                    pending.get_absolute_url(),
                ),
            )
        elif not getattr(request, "_nothing_saved_told", False):
            messages.success(request, f"The section \u201c{obj.heading}\u201d was changed successfully.")
        if "_continue" in request.POST and obj.pk:
            return HttpResponseRedirect(reverse("admin:procedures_section_change", args=[obj.pk]))
        return HttpResponseRedirect(page_url)

    def response_change(self, request, obj):
        return self._after_save(request, obj)

    def response_add(self, request, obj, post_url_continue=None):
        return self._after_save(request, obj)

    def response_delete(self, request, obj_display, obj_id):
        messages.success(request, f"Removed the section {obj_display}.")
        procedure_id = getattr(request, "deleted_section_page", None)
        if procedure_id:
            return HttpResponseRedirect(reverse("admin:procedures_procedure_change", args=[procedure_id]))
        return redirect("admin:procedures_procedure_changelist")

    def delete_model(self, request, obj):
        request.deleted_section_page = obj.procedure_id
        obj._history_user = request.user
        super().delete_model(request, obj)


@admin.register(Clinic)
class ClinicAdmin(NothingLostAdminMixin, ErrorSummaryMixin, SimpleHistoryAdmin):
    form = ClinicForm
    conflict_noun = "this clinic"
    list_display = ["name", "city", "state", "phone", "is_listed", "accepting_new_patients", "telemedicine"]
    list_filter = ["is_listed", "state", "telemedicine", "accepting_new_patients", "procedures"]
    search_fields = ["name", "city", "zip_code"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "is_listed", "procedures", "run_by", "partner_name"]}),
        ("Address", {"fields": ["address", "city", "state", "zip_code", "timezone"]}),
        (
            "Map position",
            {
                "fields": ["latitude", "longitude"],
                "classes": ["collapse"],
                "description": "Where the clinic is on the map, for \u201cnearest clinic\u201d. Leave these as they "
                "are unless the clinic moves: they come from its ZIP code.",
            },
        ),
        ("Contact", {"fields": ["phone", "email"]}),
        (
            "Access and appointments",
            {
                "fields": ["telemedicine", "step_free_access", "access_notes", "accepting_new_patients"],
            },
        ),
    ]
    view_on_site = True

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        """The week as a table of seven rows (templates/admin/procedures/clinic/change_form.html)."""
        form = context["adminform"].form
        periods = clinic_hours_periods(obj)
        context["hours_periods"] = range(1, periods + 1)
        context["hours_week"] = [
            {
                "day": day.label,
                "closed": form[f"day{day}_closed"],
                "periods": [(form[f"day{day}_opens_{n}"], form[f"day{day}_closes_{n}"]) for n in range(1, periods + 1)],
            }
            for day in Weekday
        ]
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if not getattr(form, "nothing_to_save", False):
            form.save_hours(form.instance)


@admin.register(SiteDetails)
class SiteDetailsAdmin(NothingLostAdminMixin, ErrorSummaryMixin, SimpleHistoryAdmin):
    conflict_noun = "the site details"
    form = SiteDetailsForm
    list_display = ["name", "phone", "opening_hours", "updated_at"]

    def has_add_permission(self, request):
        return not SiteDetails.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        """Site details are one record: the admin's link goes straight to its form, never a list of one row."""
        details = SiteDetails.objects.first()
        if details is None:
            return redirect("admin:procedures_sitedetails_add")
        return redirect("admin:procedures_sitedetails_change", details.pk)

    def response_change(self, request, obj):
        # "Save" stays on the one form (there is no list to go back to).
        if "_continue" not in request.POST and "_saveasnew" not in request.POST:
            messages.success(request, "The site details were saved.")
            return HttpResponseRedirect(reverse("admin:procedures_sitedetails_change", args=[obj.pk]))
        return super().response_change(request, obj)


@admin.register(ProcedureRedirect)
class ProcedureRedirectAdmin(admin.ModelAdmin):
    """Old web addresses of published pages: each still leads to its page (made when a web address changes)."""

    list_display = ["old_slug", "procedure", "created_at"]
    readonly_fields = ["old_slug", "procedure", "created_at"]

    def has_add_permission(self, request):
        return False


# Guides (the options page) and the glossary have their own module; importing it registers them.
from . import admin_health  # noqa: E402, F401
