"""Clinical sign-off: a change to a published page waits as a pending version until a clinical reviewer
approves it (then it goes live) or sends it back with a comment. The live page never changes meanwhile."""

import datetime

from django.db import transaction
from django.utils import timezone

from .glossary import glossary_current
from .history import text_diff_html
from .markdown import content_to_html
from .models import PendingVersion, Procedure, Section
from .sections import SECTION_HEADING, SECTION_POSITION
from .sources import sources_as_text

REVIEWER_GROUP = "Clinical reviewer"
APPROVE_PERMISSION = "procedures.approve_pendingversion"


def _plain(value):
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def signoff_required(procedure_id, user):
    """Does this user's save of this page wait for sign-off? Every change to a page that is live now, by
    anyone who may not approve it: a medical change never goes live unreviewed. (With no one in the
    Clinical reviewer group yet, an administrator, who may approve, does.)"""
    if user.has_perm(APPROVE_PERMISSION):
        return False
    return Procedure.objects.filter(pk=procedure_id, status=Procedure.Status.PUBLISHED).exists()


def state_merge(waiting, form, formsets):
    """A second save while a change waits: the form shows the live page, so only what the editor changed in
    this form is laid over the waiting change, and nothing of their first save is lost."""
    merged = {"fields": dict(waiting["fields"]), "sections": dict(waiting["sections"])}
    for name in form.changed_data:
        if name in form._meta.fields:
            merged["fields"][name] = _plain(form.cleaned_data.get(name))
    for formset in formsets:
        if formset.model is not Section:
            continue
        for section_form in formset.forms:
            old_kind = section_form.initial.get("kind") if section_form.instance.pk else None
            data = getattr(section_form, "cleaned_data", None) or {}
            if section_form in formset.deleted_forms:
                merged["sections"].pop(old_kind, None)
            elif section_form.has_changed() and data.get("kind"):
                if old_kind and old_kind != data["kind"]:
                    merged["sections"].pop(old_kind, None)
                merged["sections"][data["kind"]] = data.get("body", "")
    return merged


def live_state(procedure):
    from .admin_forms import ProcedureForm

    fields = {name: _plain(getattr(procedure, name)) for name in ProcedureForm._meta.fields}
    sections = {section.kind: section.body for section in procedure.sections.all()}
    return {"fields": fields, "sections": sections}


def pending_version_open(procedure):
    return PendingVersion.objects.filter(procedure=procedure, status=PendingVersion.Status.PENDING).first()


@transaction.atomic
def pending_version_save(*, procedure, state, author):
    """Store the proposed change; a page has one open pending version, which a later save updates."""
    Procedure.objects.select_for_update().filter(pk=procedure.pk).first()
    pending = pending_version_open(procedure)
    if pending is None:
        return PendingVersion.objects.create(procedure=procedure, state=state, author=author)
    pending.state, pending.author = state, author
    pending.save()
    return pending


def reviewer_name(user):
    return user.get_full_name() or user.get_username()


def state_with_section(state, kind, body):
    """The state with one section's Markdown set (body) or the section removed (body None)."""
    sections = dict(state["sections"])
    if body is None:
        sections.pop(kind, None)
    else:
        sections[kind] = body
    return {"fields": dict(state["fields"]), "sections": sections}


def state_write(procedure, state, *, user, reason, also=None):
    """Make the live page what `state` says, recording `reason` in the history of every record it changes:
    page fields (and `also`, extra field values), sections changed or added, sections it does not have removed.
    The caller holds a transaction."""
    fields = {**state["fields"], **(also or {})}
    current = live_state(procedure)["fields"]
    if any(current.get(name) != _plain(value) for name, value in fields.items()):
        for field_name, value in fields.items():
            setattr(procedure, field_name, Procedure._meta.get_field(field_name).to_python(value))
        procedure._change_reason, procedure._history_user = reason, user
        procedure.save()
    wanted = state["sections"]
    for section in procedure.sections.all():
        if section.kind not in wanted:
            section._change_reason, section._history_user = reason, user
            section.delete()
    for kind, body in wanted.items():
        section = Section.objects.filter(procedure=procedure, kind=kind).first() or Section(
            procedure=procedure, kind=kind
        )
        if section.pk and section.body == body:
            continue
        section.body = body
        section._change_reason, section._history_user = reason, user
        section.save()
    return procedure


@transaction.atomic
def pending_version_approve(*, pending, reviewer):
    """Put the proposed page live, in one transaction, as reviewed today by the reviewer."""
    pending = PendingVersion.objects.select_for_update().get(pk=pending.pk)
    if pending.status != PendingVersion.Status.PENDING:
        raise ValueError("This change has already been dealt with.")
    procedure = Procedure.objects.select_for_update().get(pk=pending.procedure_id)
    name = reviewer_name(reviewer)
    state_write(
        procedure,
        pending.state,
        user=reviewer,
        reason=f"Approved by {name}",
        also={"last_reviewed": timezone.localdate(), "reviewed_by": name},
    )
    pending.status, pending.reviewer, pending.reviewed_at = PendingVersion.Status.APPROVED, reviewer, timezone.now()
    pending.save()
    return procedure


@transaction.atomic
def pending_version_send_back(*, pending, reviewer, comment):
    pending = PendingVersion.objects.select_for_update().get(pk=pending.pk)
    if pending.status != PendingVersion.Status.PENDING:
        raise ValueError("This change has already been dealt with.")
    pending.status, pending.reviewer, pending.reviewed_at = PendingVersion.Status.SENT_BACK, reviewer, timezone.now()
    pending.comment = comment
    pending.save()
    return pending


def pending_changes(pending):
    """[(what, diff html)] for every field and section the pending version changes, in page order."""
    return state_changes(live_state(pending.procedure), pending.state)


def state_changes(live, proposed):
    """[(what, diff html)] for every field and section that differs from `live` in `proposed`, in page order."""
    from .admin_forms import ProcedureForm

    changes = []
    for name in ProcedureForm._meta.fields:
        old, new = live["fields"].get(name), proposed["fields"].get(name, live["fields"].get(name))
        if old != new:
            label = str(Procedure._meta.get_field(name).verbose_name).capitalize()
            changes.append((label, text_diff_html(_text(old), _text(new))))
    kinds = sorted(live["sections"].keys() | proposed["sections"].keys(), key=lambda k: SECTION_POSITION.get(k, 99))
    for kind in kinds:
        old, new = live["sections"].get(kind), proposed["sections"].get(kind)
        if old != new:
            heading = f"Section \u201c{SECTION_HEADING.get(kind, kind)}\u201d"
            if old is None:
                heading += " (added)"
            elif new is None:
                heading += " (removed)"
            changes.append((heading, text_diff_html(old or "", new or "")))
    return changes


def _text(value):
    if isinstance(value, list) and all(isinstance(item, dict) for item in value):
        return sources_as_text(value)  # sources: one readable line each, as in the editor
    if isinstance(value, list):
        return "\n".join(str(item) for item in value)
    return "" if value is None else str(value)


def state_at(procedure, moment):
    """The page as it was at `moment`, from the history: {"fields": ..., "sections": {kind: Markdown}}; None if
    the page did not exist yet. Sections that did not exist then are not in it."""
    from .admin_forms import ProcedureForm

    record = (
        Procedure.history.filter(id=procedure.pk, history_date__lte=moment)
        .order_by("-history_date", "-history_id")
        .first()
    )
    if record is None or record.history_type == "-":
        return None
    fields = {name: _plain(getattr(record, name)) for name in ProcedureForm._meta.fields}
    latest = {}
    for section in Section.history.filter(procedure_id=procedure.pk, history_date__lte=moment).order_by(
        "history_date", "history_id"
    ):
        latest[section.id] = section
    sections = {
        section.kind: section.body
        for section in sorted(latest.values(), key=lambda s: s.history_date)
        if section.history_type != "-"
    }
    return {"fields": fields, "sections": sections}


def preview_objects(pending):
    """An unsaved page and sections built from the pending version, for the preview template."""
    live = pending.procedure
    procedure = Procedure(pk=live.pk, created_at=live.created_at, updated_at=pending.updated_at)
    for name, value in pending.state["fields"].items():
        setattr(procedure, name, Procedure._meta.get_field(name).to_python(value))
    # Rendered as a save renders them (help panels, timeline, citations, glossary links on first use), in
    # reading order, so the reviewer previews what patients would see.
    glossary, seen = glossary_current(), set()
    sections = []
    for kind, body in sorted(pending.state["sections"].items(), key=lambda item: SECTION_POSITION.get(item[0], 99)):
        html = content_to_html(body, kind=kind, glossary=glossary, seen=seen)
        sections.append(Section(procedure=procedure, kind=kind, body=body, body_html=html))
    return procedure, sections
