"""The staff admin: pages with their sections (live Markdown preview), clinics and site details, all with
history. Saving refuses Markdown that would make a page inaccessible and warns when it is hard to read, and
refuses a save from a form opened before someone else's save, losing neither (concurrency.py)."""

import datetime

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.db.models import Exists, OuterRef
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from .admin_forms import (
    ClinicForm,
    OpeningHoursForm,
    ProcedureForm,
    SectionForm,
    SectionInlineFormSet,
    SiteDetailsForm,
)
from .concurrency import NothingLostAdminMixin
from .history import page_timeline, version_restore
from .models import Clinic, OpeningHours, PendingVersion, Procedure, ProcedureRedirect, Section, SiteDetails
from .readability import TARGET_GRADE, hardest_sentences, reading_grade, sentences_too_hard
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
    state_from_forms,
    state_merge,
)

REVIEW_SOON_DAYS = 30

admin.site.site_header = "Patient information: staff area"
admin.site.site_title = "Staff area"
admin.site.index_title = "Pages, clinics and site details"


class SectionInline(admin.StackedInline):
    model = Section
    form = SectionForm
    formset = SectionInlineFormSet
    extra = 0
    fields = ["kind", "body", "reading_level"]
    readonly_fields = ["reading_level"]
    ordering = ["position"]

    @admin.display(description="Reading grade")
    def reading_level(self, section):
        if not section.pk:
            return "Shown after saving."
        grade = reading_grade(section.body)
        verdict = "OK" if grade <= TARGET_GRADE else "Too hard: aim for 8 or lower"
        css = "reading-ok" if grade <= TARGET_GRADE else "reading-hard"
        return format_html('<span class="{}">Grade {} ({})</span>', css, grade, verdict)


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


@admin.register(Procedure)
class ProcedureAdmin(NothingLostAdminMixin, SimpleHistoryAdmin):
    conflict_noun = "this page"
    form = ProcedureForm
    inlines = [SectionInline]
    list_display = ["title", "status", "signoff", "reviewed_by", "last_reviewed", "review_due", "updated_at"]
    list_filter = ["status", ReviewDueFilter]
    search_fields = ["title", "summary", "sections__body"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "status", "procedure_type", "summary", "also_called"]}),
        ("Key facts", {"fields": ["duration", "anaesthetic", "going_home", "recovery_time"]}),
        ("Clinical review", {"fields": ["reviewed_by", "last_reviewed", "next_review_due"]}),
    ]
    view_on_site = True

    @admin.display(description="Next review due", ordering="next_review_due")
    def review_due(self, procedure):
        today = datetime.date.today()
        if procedure.next_review_due < today:
            return format_html('<strong class="review-overdue">Overdue since {}</strong>', procedure.next_review_due)
        if procedure.next_review_due <= today + datetime.timedelta(days=REVIEW_SOON_DAYS):
            return format_html('<strong class="review-soon">Due {}</strong>', procedure.next_review_due)
        return procedure.next_review_due

    def get_queryset(self, request):
        waiting = PendingVersion.objects.filter(procedure=OuterRef("pk"), status=PendingVersion.Status.PENDING)
        return super().get_queryset(request).annotate(change_waiting=Exists(waiting))

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

    def construct_change_message(self, request, form, formsets, add=False):
        # Nothing live was written (the formsets were not saved): the admin log says what happened instead.
        if getattr(request, "signoff_unchanged", False):
            return []
        if getattr(request, "signoff_pending", None):
            return "Proposed a change, waiting for clinical sign-off."
        return super().construct_change_message(request, form, formsets, add)

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
        return super().change_view(request, object_id, form_url, extra_context)

    def save_related(self, request, form, formsets, change):
        if getattr(form, "signoff_pending", None):
            live = Procedure.objects.get(pk=form.instance.pk)
            waiting = pending_version_open(live)
            state = state_merge(waiting.state, form, formsets) if waiting else state_from_forms(form, formsets)
            if state == (waiting.state if waiting else live_state(live)):
                request.signoff_unchanged = True
                return
            request.signoff_pending = pending_version_save(procedure=live, state=state, author=request.user)
            return
        super().save_related(request, form, formsets, change)
        for section in form.instance.sections.all():
            grade = reading_grade(section.body)
            if grade > TARGET_GRADE:
                hardest = "; ".join(
                    f"\u201c{sentence}\u201d (grade {g})" for g, sentence in hardest_sentences(section.body)
                )
                messages.warning(
                    request,
                    f"\u201c{section.heading}\u201d reads at grade {grade}; aim for {TARGET_GRADE:g} or lower. "
                    f"Hardest to read: {hardest or 'long sentences and long words throughout'}.",
                )
            else:
                # The average is fine, but one very hard sentence still loses readers.
                for g, sentence in sentences_too_hard(section.body):
                    messages.warning(
                        request,
                        f"\u201c{section.heading}\u201d has a sentence at grade {g}: \u201c{sentence}\u201d. "
                        f"Try splitting it into shorter sentences with everyday words.",
                    )
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
                "signoff/",
                self.admin_site.admin_view(self.signoff_queue_view),
                name="procedures_procedure_signoff_queue",
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
        }
        return TemplateResponse(request, "admin/procedures/procedure/page_history.html", context)

    def page_restore_view(self, request, pk, model, history_id):
        procedure = get_object_or_404(Procedure, pk=pk)
        if request.method != "POST" or not self.has_change_permission(request, procedure):
            raise PermissionDenied
        if model == "procedure":
            record = get_object_or_404(Procedure.history, history_id=history_id, id=procedure.pk)
        elif model == "section":
            record = get_object_or_404(Section.history, history_id=history_id, procedure_id=procedure.pk)
        else:
            raise PermissionDenied
        version_restore(record, user=request.user)
        messages.success(
            request,
            f"Restored the version of {record.history_date:%d %b %Y %H:%M}. "
            "The version it replaced is still in the history.",
        )
        return redirect("admin:procedures_procedure_page_history", pk=procedure.pk)


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    form = OpeningHoursForm
    extra = 0
    fields = ["weekday", "opens", "closes"]


@admin.register(Clinic)
class ClinicAdmin(NothingLostAdminMixin, SimpleHistoryAdmin):
    form = ClinicForm
    conflict_noun = "this clinic"
    inlines = [OpeningHoursInline]
    list_display = ["name", "city", "state", "phone", "is_listed", "accepting_new_patients", "telemedicine"]
    list_filter = ["is_listed", "state", "telemedicine", "accepting_new_patients", "procedures"]
    search_fields = ["name", "city", "zip_code"]
    filter_horizontal = ["procedures"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "is_listed", "procedures", "run_by", "partner_name"]}),
        ("Address", {"fields": ["address", "city", "state", "zip_code", "latitude", "longitude", "timezone"]}),
        ("Contact", {"fields": ["phone", "email"]}),
        (
            "Access and appointments",
            {
                "fields": ["telemedicine", "step_free_access", "access_notes", "accepting_new_patients"],
            },
        ),
    ]
    view_on_site = True


@admin.register(SiteDetails)
class SiteDetailsAdmin(NothingLostAdminMixin, SimpleHistoryAdmin):
    conflict_noun = "the site details"
    form = SiteDetailsForm
    list_display = ["name", "phone", "opening_hours", "updated_at"]

    def has_add_permission(self, request):
        return not SiteDetails.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ProcedureRedirect)
class ProcedureRedirectAdmin(admin.ModelAdmin):
    list_display = ["old_slug", "procedure", "created_at"]
    readonly_fields = ["old_slug", "procedure", "created_at"]

    def has_add_permission(self, request):
        return False
