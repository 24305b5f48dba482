"""Parsed Documents -> the database: all or nothing, in one transaction, one generic upsert for every record type.

Each record remembers a hash of the content it was last loaded with (`loaded_state_hash`). Comparing
that hash with the file and with the record as it is now tells the loader what happened since:

    record == file                      -> unchanged
    file == last loaded                 -> the file has not changed; any staff edit is kept (unless forced)
    record == last loaded, file changed -> updated from the file
    both changed                        -> conflict: left alone unless forced; history keeps both
"""

from dataclasses import dataclass, field

from django.db import connection, transaction

from ..glossary import rerender_deferred
from ..models import Clinic, GlossaryTerm, Guide, Procedure, SiteDetails
from ..translations import translation_mark_current
from .fields import CLINIC, GLOSSARY, GLOSSARY_ES, GUIDE, GUIDE_ES, PROCEDURE, PROCEDURE_ES, SITE, SITE_ES
from .parse import content_parse, state_hash

CHANGE_REASON = "Loaded from content files"


@dataclass
class LoadReport:
    created: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    kept_edits: list = field(default_factory=list)  # file unchanged, record edited in the admin: kept
    conflicts: list = field(default_factory=list)
    unpublished: list = field(default_factory=list)

    def summary(self):
        lines = [
            f"{len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.unchanged) + len(self.kept_edits)} unchanged, {len(self.unpublished)} unpublished, "
            f"{len(self.conflicts)} conflicts."
        ]
        lines += [
            f"  kept admin edit: {name} (its file has not changed since the last load)" for name in self.kept_edits
        ]
        lines += [f"  unpublished: {name} (its file was removed)" for name in self.unpublished]
        lines += [
            f"  CONFLICT: {name} was edited in the admin and its file changed too; left as it is. "
            "Export it, merge the two, or run with --force to take the file (the admin version stays in history)."
            for name in self.conflicts
        ]
        return "\n".join(lines)


def procedure_state(procedure):
    return PROCEDURE.state(procedure)


def clinic_state(clinic):
    return CLINIC.state(clinic)


def site_state(details):
    return SITE.state(details)


def guide_state(guide):
    return GUIDE.state(guide)


def glossary_state(term):
    return GLOSSARY.state(term)


def content_load(content_dir, *, force=False):
    """Load the content set into the database, all or nothing. Returns a LoadReport."""
    parsed = content_parse(content_dir)
    report = LoadReport()
    with transaction.atomic(), rerender_deferred():
        site = SiteDetails.objects.filter(pk=1).first()
        _record_sync(SITE, site, parsed["site"], name="site details", report=report, force=force)
        if parsed.get("site_es"):
            site = SiteDetails.objects.filter(pk=1).first()
            first_time = not site.loaded_state_hash_es and not (site.disclaimer_es or site.urgent_care_es)
            _record_sync(SITE_ES, site, parsed["site_es"], name="Spanish site texts", report=report, force=force)
            if first_time and report.updated[-1:] == ["Spanish site texts"]:
                report.created.append(report.updated.pop())  # the Spanish texts are new, on an existing row
        # The glossary first: the pages below link their terms to it as they are saved.
        kept_terms = [
            _record_sync(
                record_type,
                GlossaryTerm.objects.filter(anchor=document.key, language=language).first(),
                document,
                name=f"glossary {document.key}" + (" (es)" if language == "es" else ""),
                report=report,
                force=force,
            )
            for record_type, language, documents in (
                (GLOSSARY, "en", parsed["glossary"]),
                (GLOSSARY_ES, "es", parsed.get("glossary_es", [])),
            )
            for document in documents
        ]
        for term in GlossaryTerm.objects.exclude(pk__in=kept_terms).exclude(loaded_state_hash=""):
            term._change_reason = "Removed from glossary.yaml"
            term.delete()
            report.unpublished.append(f"glossary {term.anchor}")
        in_files = [
            _record_sync(
                PROCEDURE, _procedure_find(document.key), document, name=document.key, report=report, force=force
            )
            for document in parsed["procedures"]
        ]
        in_files += [
            _translation_sync(PROCEDURE_ES, _procedure_find(document.key), document, report=report, force=force)
            for document in parsed.get("procedures_es", [])
        ]
        _procedures_unpublish_missing(in_files, report=report)
        guides_in_files = [
            _record_sync(
                GUIDE,
                Guide.objects.filter(slug=document.key).first(),
                document,
                name=f"guide {document.key}",
                report=report,
                force=force,
            )
            for document in parsed["guides"]
        ]
        guides_in_files += [
            _translation_sync(
                GUIDE_ES, Guide.objects.filter(slug=document.key).first(), document, report=report, force=force
            )
            for document in parsed.get("guides_es", [])
        ]
        for guide in Guide.objects.published().exclude(pk__in=guides_in_files).exclude(loaded_state_hash=""):
            guide.status = Guide.Status.DRAFT
            guide._change_reason = "Unpublished: its content file was removed"
            guide.save()
            guide.loaded_state_hash = state_hash(guide_state(guide))
            Guide.objects.filter(pk=guide.pk).update(loaded_state_hash=guide.loaded_state_hash)
            report.unpublished.append(f"guide {guide.slug}")
        for document in parsed["clinics"]:
            clinic = Clinic.objects.filter(slug=document.key).prefetch_related("opening_hours", "procedures").first()
            _record_sync(CLINIC, clinic, document, name=f"clinic {document.key}", report=report, force=force)
        _clinics_unlist_missing({document.key for document in parsed["clinics"]}, report=report)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh planner statistics: the finder's query plan depends on them
    return report


def _translation_sync(record_type, record, document, *, report, force):
    """A Spanish page. A file without `english_version` was made from the English as it is now (or, for a
    page already loaded, from the English the record says); the English words are kept for a diff later."""
    english = record_type.model.objects.filter(slug=document.state["translation_of"], language="en").first()
    if english is not None:
        if record_type.model is Procedure:
            english = Procedure.objects.prefetch_related("sections").get(pk=english.pk)
        english.content_hash_refresh()
    if not document.state["english_version"]:
        if record is not None and record.english_version and record.translation_of_id == getattr(english, "pk", None):
            document.state["english_version"] = record.english_version
        elif english is not None:
            document.state["english_version"] = english.content_hash
    pk = _record_sync(record_type, record, document, name=f"{document.key} (es)", report=report, force=force)
    record = record_type.model.objects.get(pk=pk)
    current = english is not None and record.english_version == english.content_hash
    if current and record.english_snapshot != english.content_snapshot():
        translation_mark_current(record, english=english)
    return pk


def _procedure_find(slug):
    procedures = Procedure.objects.prefetch_related("sections")
    # Renamed in the admin since the file was written: the file still uses the old slug.
    return procedures.filter(slug=slug).first() or procedures.filter(redirects__old_slug=slug).first()


def _decide(record_hash, loaded_hash, document, *, force):
    """What to do with a record, given hashes of the record now, as last loaded, and of the file."""
    if record_hash == document.state_hash:
        return "unchanged"
    if force:
        return "updated"
    if loaded_hash == document.state_hash:
        return "kept_edits"
    if loaded_hash and record_hash != loaded_hash:
        return "conflicts"
    return "updated"


def _record_sync(record_type, record, document, *, name, report, force):
    """Create or update one record from its Document, as _decide says. Returns the record's primary key."""
    if record is None:
        record, action = record_type.model(), "created"
    else:
        loaded_hash = getattr(record, record_type.hash_attr)
        action = _decide(state_hash(record_type.state(record)), loaded_hash, document, force=force)
    getattr(report, action).append(name)
    if action == "unchanged" and getattr(record, record_type.hash_attr) != document.state_hash:
        record_type.model.objects.filter(pk=record.pk).update(**{record_type.hash_attr: document.state_hash})
    if action in ("created", "updated"):
        setattr(record, record_type.hash_attr, document.state_hash)
        record_type.write(record, document.state, change_reason=CHANGE_REASON)
    return record.pk


def _procedures_unpublish_missing(in_files, *, report):
    """A page whose file was removed is unpublished, never deleted: its history and any staff edits stay."""
    gone = Procedure.objects.published().exclude(pk__in=in_files).exclude(loaded_state_hash="")
    for procedure in gone.prefetch_related("sections"):
        procedure.status = Procedure.Status.DRAFT
        procedure._change_reason = "Unpublished: its content file was removed"
        # Remember the draft as the loaded state, so that restoring the file publishes it again.
        procedure.loaded_state_hash = state_hash(procedure_state(procedure))
        procedure.save()
        report.unpublished.append(procedure.slug)


def _clinics_unlist_missing(slugs, *, report):
    """A clinic whose entry was removed leaves the finder but stays in the database with its history."""
    for clinic in Clinic.objects.listed().exclude(slug__in=slugs).exclude(loaded_state_hash=""):
        clinic.is_listed = False
        clinic._change_reason = "Unlisted: its entry was removed from clinics.yaml"
        clinic.save()
        clinic.loaded_state_hash = state_hash(clinic_state(clinic))
        Clinic.objects.filter(pk=clinic.pk).update(loaded_state_hash=clinic.loaded_state_hash)
        report.unpublished.append(f"clinic {clinic.slug}")
