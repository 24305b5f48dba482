"""Nothing lost when two people edit the same record: a save made from a form opened before someone else's
save is refused, shows what they changed, and keeps the editor's own text for a deliberate second save.

How: the change form carries a signed snapshot of everything it shows (the record's fields and every inline
row, sections and opening hours included), taken when it was rendered. On save, with the record locked,
the snapshot is compared with the record as it is now and with what was submitted. Comparing the form's own
values (rather than content.py's state) lets Django's `Field.has_changed` decide what the editor changed,
and lets the refreshed form be written back in the form's own terms.
"""

import datetime
import decimal
from dataclasses import dataclass, field

from django import forms
from django.contrib import messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.core import signing
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction
from django.forms.widgets import ChoiceWidget
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe

from .content import CHANGE_REASON as LOADER_REASON
from .history import local_time_text, text_diff_html

TOKEN_FIELD = "opened_state"
CONFLICT_CODE = "edit_conflict"
SALT = "procedures.concurrency.opened-state"
# Formset bookkeeping that is not the editor's content.
ROW_BOOKKEEPING = {"DELETE", "ORDER"}


class OpenedStateField(forms.CharField):
    """The hidden snapshot. It is never 'a change' in the change log."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(required=False, strip=False, **kwargs)

    def has_changed(self, initial, data):
        return False


# --- Snapshots ------------------------------------------------------------------------------------------


def _plain(value):
    """A form value in a JSON-stable shape, so a snapshot signed an hour ago compares equal to one taken now."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple | set | models.QuerySet):
        items = [_plain(item) for item in value]
        # Related records (a clinic's procedures) are a set: their order is not a change.
        return sorted(items, key=str) if isinstance(value, set | models.QuerySet) or _all_pks(value) else items
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, str):
        return value.replace("\r\n", "\n")
    return value


def _all_pks(values):
    return bool(values) and all(isinstance(item, models.Model) for item in values)


def _form_values(form, *, skip=()):
    return {
        name: _plain(form.get_initial_for_field(field_, name))
        for name, field_ in form.fields.items()
        if name != TOKEN_FIELD and name not in skip
    }


def _row_skip(formset):
    return {formset.model._meta.pk.name, formset.fk.name, *ROW_BOOKKEEPING}


def _current_rows(formset):
    """{pk: (row, form for the row as saved now)} in the order the admin lists them."""
    return {str(row.pk): (row, formset.form(instance=row)) for row in formset.get_queryset()}


def record_snapshot(form, formsets):
    """Everything the change form shows, as saved now."""
    return {
        "fields": _form_values(form),
        "rows": {
            formset.prefix: {
                pk: _form_values(row_form, skip=_row_skip(formset))
                for pk, (_, row_form) in _current_rows(formset).items()
            }
            for formset in formsets
        },
    }


def snapshot_sign(snapshot, *, opened_at):
    return signing.dumps({"at": opened_at.isoformat(), "state": snapshot}, salt=SALT, compress=True)


def snapshot_unsign(token):
    """(opened_at, snapshot), or (None, None) for a missing or tampered token."""
    try:
        payload = signing.loads(token or "", salt=SALT)
        return datetime.datetime.fromisoformat(payload["at"]), payload["state"]
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None, None


# --- Comparing ------------------------------------------------------------------------------------------


def _differs(field_, opened, data):
    """Does the submitted raw value differ from the value the form was opened with? Django's own test."""
    if isinstance(data, str):
        data = data.replace("\r\n", "\n")
    try:
        initial = field_.to_python(opened)
    except ValidationError:
        initial = opened
    return field_.has_changed(initial, data)


def _row_pk(formset, row_form):
    pk_name = formset.model._meta.pk.name
    return str(row_form.data.get(row_form.add_prefix(pk_name)) or "")


def _row_deleted(formset, row_form):
    return formset.can_delete and bool(row_form["DELETE"].data)


def editor_changes(form, formsets, opened):
    """What the editor changed relative to the form they opened: {("field", name) | ("row", prefix, pk) | ...}."""
    changed = {
        ("field", name)
        for name, field_ in form.fields.items()
        if name in opened["fields"] and _differs(field_, opened["fields"][name], form[name].data)
    }
    for formset in formsets:
        opened_rows = opened["rows"].get(formset.prefix, {})
        skip = _row_skip(formset)
        for index, row_form in enumerate(formset.forms):
            pk = _row_pk(formset, row_form)
            if pk and pk in opened_rows:
                values = opened_rows[pk]
                edited = any(
                    _differs(field_, values.get(name), row_form[name].data)
                    for name, field_ in row_form.fields.items()
                    if name not in skip
                )
                if edited or _row_deleted(formset, row_form):
                    changed.add(("row", formset.prefix, pk))
            elif not pk and row_form.has_changed() and not _row_deleted(formset, row_form):
                changed.add(("new", formset.prefix, str(index)))
    return changed


def other_changes(opened, current):
    """What was saved since the form was opened: the same kind of keys as editor_changes."""
    changed = {
        ("field", name) for name, value in current["fields"].items() if opened["fields"].get(name, value) != value
    }
    for prefix, rows in current["rows"].items():
        opened_rows = opened["rows"].get(prefix, {})
        changed |= {
            ("row", prefix, pk) for pk in rows.keys() | opened_rows.keys() if rows.get(pk) != opened_rows.get(pk)
        }
    return changed


# --- Writing the refreshed form back --------------------------------------------------------------------


def _put(data, key, field_, value):
    """Write a Python value into POST-shaped data the way the field's widget would have sent it."""
    widget = field_.widget.widget if isinstance(field_.widget, RelatedFieldWidgetWrapper) else field_.widget
    prepared = field_.prepare_value(value)
    if isinstance(widget, forms.CheckboxInput):
        if widget.check_test(prepared):
            data[key] = "on"
        else:
            data.pop(key, None)
    elif isinstance(widget, ChoiceWidget):
        values = widget.format_value(prepared)
        if widget.allow_multiple_selected:
            data.setlist(key, values)
        else:
            data[key] = values[0] if values else ""
    else:
        formatted = widget.format_value(prepared)
        data[key] = "" if formatted is None else str(formatted)


def _copy_row(data, source, prefix, old_index, new_index, *, drop=()):
    old = f"{prefix}-{old_index}-"
    for key in list(source.keys()):
        if key.startswith(old) and key[len(old) :] not in drop:
            data.setlist(f"{prefix}-{new_index}-{key[len(old) :]}", source.getlist(key))


def _rows_refresh(data, source, formset, mine):
    """Rewrite one inline formset: rows as saved now, except those the editor changed, which keep their text."""
    prefix, pk_name, fk_name = formset.prefix, formset.model._meta.pk.name, formset.fk.name
    submitted = {}
    new_rows = []
    for index, row_form in enumerate(formset.forms):
        pk = _row_pk(formset, row_form)
        if pk:
            submitted[pk] = index
        elif ("new", prefix, str(index)) in mine:
            new_rows.append(index)
    for key in [key for key in data if key.startswith(f"{prefix}-")]:
        del data[key]
    current = _current_rows(formset)
    position = 0
    for pk, (_, row_form) in current.items():
        if ("row", prefix, pk) in mine and pk in submitted:
            _copy_row(data, source, prefix, submitted[pk], position)
        else:
            for name, field_ in row_form.fields.items():
                if name not in ROW_BOOKKEEPING:
                    _put(data, f"{prefix}-{position}-{name}", field_, row_form.get_initial_for_field(field_, name))
        data[f"{prefix}-{position}-{pk_name}"] = pk
        data[f"{prefix}-{position}-{fk_name}"] = str(formset.instance.pk)
        position += 1
    initial_count = position
    # Rows the editor changed that someone else has since deleted come back as new rows, so no text is lost.
    for pk, index in submitted.items():
        if pk not in current and ("row", prefix, pk) in mine and not _row_deleted(formset, formset.forms[index]):
            _copy_row(data, source, prefix, index, position, drop={pk_name, "DELETE"})
            data[f"{prefix}-{position}-{pk_name}"] = ""
            position += 1
    for index in new_rows:
        _copy_row(data, source, prefix, index, position)
        position += 1
    data[f"{prefix}-TOTAL_FORMS"] = str(position)
    data[f"{prefix}-INITIAL_FORMS"] = str(initial_count)
    for name in ("MIN_NUM_FORMS", "MAX_NUM_FORMS"):
        data[f"{prefix}-{name}"] = source.get(f"{prefix}-{name}", "")


def _formset_rebind(formset, data):
    formset.data = data
    for cached in ("forms", "management_form"):
        formset.__dict__.pop(cached, None)
    formset._errors = None
    formset._non_form_errors = None


# --- Telling the editor ---------------------------------------------------------------------------------


@dataclass
class Change:
    what: str
    diff: str
    both: bool = False  # the editor changed this part too: the form shows their version
    anchor: str = ""  # where it is in the form, for a "go to" link


@dataclass
class Conflict:
    noun: str  # "this page", "this clinic", "the site details"
    who: str
    when: datetime.datetime | None
    changes: list = field(default_factory=list)

    @property
    def both(self):
        return [change.what for change in self.changes if change.both]

    @property
    def when_text(self):
        if not self.when:
            return ""
        return local_time_text(self.when)

    @property
    def headline(self):
        when = f" at {self.when_text}" if self.when else ""
        return f"Not saved yet. {self.who} saved changes to {self.noun}{when}, after you opened it."

    @property
    def reassurance(self):
        return (
            "Saving your copy would have undone their changes, so nothing was saved. "
            "Nothing is lost: your own changes are still in the form. Check what they changed, then save again."
        )

    def message(self):
        return f"{self.headline} {self.reassurance}"


def _display(field_, value):
    """A value as a nurse would read it."""
    if value in (None, "", []):
        return "(empty)"
    if isinstance(field_, forms.BooleanField):
        return "Yes" if value else "No"
    if isinstance(field_, forms.ModelMultipleChoiceField):
        return "\n".join(sorted(str(obj) for obj in field_.queryset.filter(pk__in=value)))
    if isinstance(field_, forms.ChoiceField):
        labels = {str(key): label for key, label in field_.choices}
        return str(labels.get(str(value), value))
    if isinstance(field_, forms.TimeField) and isinstance(value, str):
        return value[:5]
    return str(value)


def _label(field_, name):
    return str(field_.label or name.replace("_", " ")).capitalize()


def _row_title(formset, row_form, values):
    """'Section “Recovery”' or 'Opening hours “Monday”': the row's first field names it."""
    noun = str(formset.model._meta.verbose_name).capitalize()
    name, field_ = next((n, f) for n, f in row_form.fields.items() if n not in _row_skip(formset))
    return f"{noun} \u201c{_display(field_, values.get(name))}\u201d"


def _row_diff(formset, row_form, old, new):
    """The row's changed fields as marked-up differences (safe HTML: every value is escaped)."""
    fields = [(name, field_) for name, field_ in row_form.fields.items() if name not in _row_skip(formset)]
    if old is None or new is None:
        values = new if old is None else old
        listed = "; ".join(escape(f"{_label(f, n)}: {_display(f, values.get(n))}") for n, f in fields)
        return mark_safe(f"{'<ins>Added</ins>' if old is None else '<del>Deleted</del>'}: {listed}")
    parts = [
        (_label(field_, name), text_diff_html(_display(field_, old.get(name)), _display(field_, new.get(name))))
        for name, field_ in fields
        if old.get(name) != new.get(name)
    ]
    if len(parts) == 1:
        return parts[0][1]
    return mark_safe("<br>".join(f"{escape(label)}: {diff}" for label, diff in parts))


def _row_anchor(data, formset, pk):
    """The id of the row's box in the admin's inline (`sections-2`) as the refreshed form lists it."""
    pk_name = formset.model._meta.pk.name
    total = int(data.get(f"{formset.prefix}-TOTAL_FORMS") or 0)
    return next(
        (f"{formset.prefix}-{i}" for i in range(total) if data.get(f"{formset.prefix}-{i}-{pk_name}") == pk), ""
    )


def _changes_listed(form, formsets, opened, current, theirs, mine):
    """What the other person changed, in the order of the form, each with its differences marked."""
    changes = []
    for name, field_ in form.fields.items():
        if ("field", name) in theirs:
            old, new = opened["fields"].get(name), current["fields"].get(name)
            diff = text_diff_html(_display(field_, old), _display(field_, new))
            # A two-list picker replaces its <select>, so there is no one place to go to.
            anchor = "" if isinstance(field_, forms.ModelMultipleChoiceField) else f"id_{form.add_prefix(name)}"
            changes.append(Change(_label(field_, name), diff, ("field", name) in mine, anchor))
    for formset in formsets:
        template = formset.form()
        for pk in sorted(
            {key[2] for key in theirs if key[:2] == ("row", formset.prefix)},
            key=lambda pk: (
                list(current["rows"][formset.prefix]).index(pk) if pk in current["rows"][formset.prefix] else 10_000
            ),
        ):
            old = opened["rows"].get(formset.prefix, {}).get(pk)
            new = current["rows"][formset.prefix].get(pk)
            changes.append(
                Change(
                    _row_title(formset, template, new or old),
                    _row_diff(formset, template, old, new),
                    ("row", formset.prefix, pk) in mine,
                    _row_anchor(form.data, formset, pk),
                )
            )
    return changes


def _saved_since(instance, formsets, since):
    """(who, when) from the history: everyone who saved the record or its rows since the form was opened."""
    records = []
    if since and hasattr(type(instance), "history"):
        records += list(instance.history.filter(history_date__gt=since).select_related("history_user"))
        for formset in formsets:
            if hasattr(formset.model, "history"):
                records += list(
                    formset.model.history.filter(
                        **{formset.fk.attname: instance.pk, "history_date__gt": since}
                    ).select_related("history_user")
                )
    if not records:
        return "Someone else", None
    records.sort(key=lambda record: record.history_date)
    names = []
    for record in records:
        user = record.history_user
        if user:
            name = user.get_full_name() or user.get_username()
        else:  # the loader records its reason; anything else without a user is a script or the shell
            name = "A content-file load" if record.history_change_reason == LOADER_REASON else "Someone else"
        if name not in names:
            names.append(name)
    who = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return who, records[-1].history_date


# --- The form and the admin -----------------------------------------------------------------------------


class EditSession:
    """One change-view request: its inline formsets, for the main form's check."""

    def __init__(self, noun):
        self.noun = noun
        self.formsets = []
        # Taken before the record is read, so every save the snapshot missed is later than this in the history.
        self.started = timezone.now()


class NothingLostFormMixin:
    """For a ModelForm in the change view: carries the opened snapshot and refuses a stale save."""

    edit_session = None
    edit_conflict = None
    nothing_to_save = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[TOKEN_FIELD] = OpenedStateField()

    def clean(self):
        cleaned = super().clean()
        if self.edit_session is not None and self.instance.pk is not None:
            self._stale_save_refuse()
        return cleaned

    def _stale_save_refuse(self):
        formsets = self.edit_session.formsets
        opened_at, opened = snapshot_unsign(self.data.get(self.add_prefix(TOKEN_FIELD)))
        current = record_snapshot(self, formsets)
        if opened is None:
            # No snapshot to compare with (an old tab, a tampered form): check nothing can be overwritten.
            self.data = self.data.copy()
            self.data[self.add_prefix(TOKEN_FIELD)] = snapshot_sign(current, opened_at=self.edit_session.started)
            raise ValidationError(
                "Not saved yet. We could not tell when you opened this form, so we could not check whether "
                "someone else has saved changes since. Your changes are still in the form: check them, "
                "then save again."
            )
        if opened == current:
            return
        mine = editor_changes(self, formsets, opened)
        if not mine:
            # Nothing of the editor's to save, and writing their stale copy would undo the other change.
            self.nothing_to_save = True
            return
        theirs = other_changes(opened, current)
        who, when = _saved_since(self.instance, formsets, opened_at)
        self._refresh(current, mine)
        self.edit_conflict = Conflict(
            noun=self.edit_session.noun,
            who=who,
            when=when,
            changes=_changes_listed(self, formsets, opened, current, theirs, mine),
        )
        raise ValidationError(self.edit_conflict.message(), code=CONFLICT_CODE)

    def _refresh(self, current, mine):
        """Parts the editor did not change show what is saved now; the snapshot moves to now."""
        source, data = self.data, self.data.copy()
        for name, field_ in self.fields.items():
            if name != TOKEN_FIELD and ("field", name) not in mine:
                data.pop(self.add_prefix(name), None)
                _put(data, self.add_prefix(name), field_, self.get_initial_for_field(field_, name))
        data[self.add_prefix(TOKEN_FIELD)] = snapshot_sign(current, opened_at=self.edit_session.started)
        for formset in self.edit_session.formsets:
            _rows_refresh(data, source, formset, mine)
        self.data = data
        for formset in self.edit_session.formsets:
            _formset_rebind(formset, data)


def _formset_registering(formset_class, session):
    """The inline formset class, made to tell the session about each formset built from it."""

    def __init__(formset, *args, **kwargs):
        formset_class.__init__(formset, *args, **kwargs)
        session.formsets.append(formset)

    return type(formset_class.__name__, (formset_class,), {"__init__": __init__})


class NothingLostAdminMixin:
    """For a ModelAdmin: lock the record while saving, snapshot it when the form is shown, check on save."""

    conflict_noun = None  # how the record is named to the editor: "this page"

    def get_conflict_noun(self):
        return self.conflict_noun or f"this {self.model._meta.verbose_name}"

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        request.edit_session = EditSession(self.get_conflict_noun()) if object_id else None
        return super().changeform_view(request, object_id, form_url, extra_context)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        locking = getattr(request, "edit_session", None) and request.method == "POST"
        if obj is not None and locking and transaction.get_connection().in_atomic_block:
            # Nobody else's save can land between the check and this save.
            obj = type(obj)._default_manager.select_for_update().get(pk=obj.pk)
        return obj

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        session = getattr(request, "edit_session", None)
        if session is None:
            return form
        return type(form.__name__, (NothingLostFormMixin, form), {"edit_session": session})

    def get_formsets_with_inlines(self, request, obj=None):
        session = getattr(request, "edit_session", None)
        for formset_class, inline in super().get_formsets_with_inlines(request, obj):
            yield (formset_class if session is None else _formset_registering(formset_class, session)), inline

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        form = context.get("adminform") and context["adminform"].form
        if change and form is not None and TOKEN_FIELD in form.fields and not form.is_bound:
            formsets = [inline.formset for inline in context.get("inline_admin_formsets", [])]
            form.initial[TOKEN_FIELD] = snapshot_sign(
                record_snapshot(form, formsets), opened_at=request.edit_session.started
            )
        if form is not None and getattr(form, "edit_conflict", None):
            self._conflict_error_untell(form, context)
        return super().render_change_form(request, context, add, change, form_url, obj)

    @staticmethod
    def _conflict_error_untell(form, context):
        """The conflict has its own box in plain words (templates/admin/procedures/change_form.html), so it is
        taken out of the form's error list: the admin's "Please correct the error below" would blame the editor
        for something they did not do. Any real error in their own text is still shown as usual."""
        errors = form._errors.get(NON_FIELD_ERRORS)
        remaining = [error for error in (errors.as_data() if errors else []) if error.code != CONFLICT_CODE]
        if remaining:
            form._errors[NON_FIELD_ERRORS] = form.error_class(remaining, error_class="nonfield", renderer=form.renderer)
        else:
            form._errors.pop(NON_FIELD_ERRORS, None)
        formsets = [inline.formset for inline in context.get("inline_admin_formsets", [])]
        context["errors"] = helpers.AdminErrorList(form, formsets)

    def save_model(self, request, obj, form, change):
        if getattr(form, "nothing_to_save", False):
            messages.info(
                request,
                "You had not changed anything, so nothing was saved. "
                "Changes someone else saved since you opened the form are kept.",
            )
            return
        super().save_model(request, obj, form, change)

    def construct_change_message(self, request, form, formsets, add=False):
        if getattr(form, "nothing_to_save", False):
            return []
        return super().construct_change_message(request, form, formsets, add)

    def save_related(self, request, form, formsets, change):
        if getattr(form, "nothing_to_save", False):
            return
        super().save_related(request, form, formsets, change)
