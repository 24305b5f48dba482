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
from .fields import CLINIC, GLOSSARY, GUIDE, PROCEDURE, SITE
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
        # The glossary first: the pages below link their terms to it as they are saved.
        kept_terms = [
            _record_sync(
                GLOSSARY,
                GlossaryTerm.objects.filter(anchor=document.key).first(),
                document,
                name=f"glossary {document.key}",
                report=report,
                force=force,
            )
            for document in parsed["glossary"]
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
        action = _decide(state_hash(record_type.state(record)), record.loaded_state_hash, document, force=force)
    getattr(report, action).append(name)
    if action == "unchanged" and record.loaded_state_hash != document.state_hash:
        record_type.model.objects.filter(pk=record.pk).update(loaded_state_hash=document.state_hash)
    if action in ("created", "updated"):
        record.loaded_state_hash = document.state_hash
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
