"""The database -> content files in the format the loader reads, so that they load back to the same records."""

from pathlib import Path

import yaml
from django.db import transaction

from ..models import Clinic, GlossaryTerm, Guide, Procedure, ProcedureRedirect, SiteDetails
from ..sections import SECTION_KINDS
from .fields import CLINIC, GLOSSARY, GUIDE, PROCEDURE, SITE
from .parse import state_hash
from .sync import clinic_state, glossary_state, guide_state, procedure_state, site_state

CLINICS_HEADER = (
    "# Demo data: the clinics, street addresses, phone numbers and e-mail addresses below are fictional.\n"
    "# ZIP codes and towns are real, so the ZIP code finder can be tried.\n\n"
)

GLOSSARY_HEADER = (
    "# Medical words the pages use, in plain words. The first use of each term on a page links here.\n"
    "# term: as it appears in running text; also_called: other names; forms: other spellings that link too.\n\n"
)


class _Dumper(yaml.SafeDumper):
    pass


def _str_representer(dumper, value):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)


def _yaml_dump(data):
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def procedure_render_file(state):
    """A procedure's state as the text of its Markdown file."""
    parts = ["---\n", _yaml_dump(PROCEDURE.render(state)), "---\n"]
    for kind in SECTION_KINDS:
        if kind.key in state["sections"]:
            parts.append(f"\n## {kind.heading}\n\n{state['sections'][kind.key]}\n")
    return "".join(parts)


def guide_render_file(state):
    """A guide's state as the text of its Markdown file."""
    return "".join(["---\n", _yaml_dump(GUIDE.render(state)), "---\n\n", state["body"], "\n"])


def clinic_render_entry(state):
    """A clinic's state as its entry in clinics.yaml."""
    return CLINIC.render(state)


def content_export(content_dir):
    """Write the database to content files that load back to the same records. Returns the paths written."""
    content_dir = Path(content_dir)
    (content_dir / "procedures").mkdir(parents=True, exist_ok=True)
    written = []
    with transaction.atomic():
        details = SiteDetails.objects.filter(pk=1).first()
        if details:
            state = site_state(details)
            path = content_dir / "site.yaml"
            path.write_text(_yaml_dump(SITE.render(state)), encoding="utf-8")
            SiteDetails.objects.filter(pk=1).update(loaded_state_hash=state_hash(state))
            written.append(path)
        for redirect in ProcedureRedirect.objects.all():
            # The page was renamed: its file moves to the new slug's name.
            old_path = content_dir / "procedures" / f"{redirect.old_slug}.md"
            if old_path.exists():
                old_path.unlink()
        for procedure in Procedure.objects.prefetch_related("sections"):
            state = procedure_state(procedure)
            path = content_dir / "procedures" / f"{procedure.slug}.md"
            path.write_text(procedure_render_file(state), encoding="utf-8")
            Procedure.objects.filter(pk=procedure.pk).update(loaded_state_hash=state_hash(state))
            written.append(path)
        guides = list(Guide.objects.all())
        if guides:
            (content_dir / "guides").mkdir(exist_ok=True)
        for guide in guides:
            state = guide_state(guide)
            path = content_dir / "guides" / f"{guide.slug}.md"
            path.write_text(guide_render_file(state), encoding="utf-8")
            Guide.objects.filter(pk=guide.pk).update(loaded_state_hash=state_hash(state))
            written.append(path)
        terms = []
        for term in GlossaryTerm.objects.order_by("term"):
            state = glossary_state(term)
            terms.append(GLOSSARY.render(state))
            GlossaryTerm.objects.filter(pk=term.pk).update(loaded_state_hash=state_hash(state))
        if terms:
            path = content_dir / "glossary.yaml"
            path.write_text(GLOSSARY_HEADER + _yaml_dump(terms).replace("\n- ", "\n\n- "), encoding="utf-8")
            written.append(path)
        clinics = []
        for clinic in Clinic.objects.listed().prefetch_related("opening_hours", "procedures").order_by("pk"):
            state = clinic_state(clinic)
            clinics.append(clinic_render_entry(state))
            Clinic.objects.filter(pk=clinic.pk).update(loaded_state_hash=state_hash(state))
        if clinics:
            path = content_dir / "clinics.yaml"
            path.write_text(CLINICS_HEADER + _yaml_dump(clinics).replace("\n- ", "\n\n- "), encoding="utf-8")
            written.append(path)
    return written
