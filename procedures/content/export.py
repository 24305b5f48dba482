"""The database -> content files in the format the loader reads, so that they load back to the same records."""

from pathlib import Path

import yaml
from django.db import transaction

from ..models import Clinic, GlossaryTerm, Guide, Procedure, ProcedureRedirect, SiteDetails
from ..sections import SECTION_KINDS, section_headings
from .fields import CLINIC, GLOSSARY, GLOSSARY_ES, GUIDE, GUIDE_ES, PROCEDURE, PROCEDURE_ES, SITE, SITE_ES
from .parse import state_hash
from .sync import clinic_state, site_state

CLINICS_HEADER = (
    "# Demo data: the clinics, street addresses, phone numbers and e-mail addresses below are fictional.\n"
    "# ZIP codes and towns are real, so the ZIP code finder can be tried.\n\n"
)

GLOSSARY_HEADER = (
    "# Medical words the pages use, in plain words. The first use of each term on a page links here.\n"
    "# term: as it appears in running text; also_called: other names; forms: other spellings that link too.\n\n"
)


GLOSSARY_ES_HEADER = (
    "# Glosario: las palabras médicas de nuestras páginas en español. El primer uso de cada término en una\n"
    "# página enlaza a su definición en /es/glossary/. `english`: el término de glossary.yaml que traduce.\n\n"
)

SITE_ES_HEADER = (
    "# Spanish versions of the patient-facing texts in site.yaml (the other details come from that file).\n"
)


class _Dumper(yaml.SafeDumper):
    pass


def _str_representer(dumper, value):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)


def _yaml_dump(data):
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def procedure_render_file(state, *, language="en"):
    """A procedure's state as the text of its Markdown file (a Spanish page with Spanish headings)."""
    record_type = PROCEDURE_ES if language == "es" else PROCEDURE
    headings = section_headings(language)
    parts = ["---\n", _yaml_dump(record_type.render(state)), "---\n"]
    for kind in SECTION_KINDS:
        if kind.key in state["sections"]:
            parts.append(f"\n## {headings[kind.key]}\n\n{state['sections'][kind.key]}\n")
    return "".join(parts)


def guide_render_file(state, *, language="en"):
    """A guide's state as the text of its Markdown file."""
    record_type = GUIDE_ES if language == "es" else GUIDE
    return "".join(["---\n", _yaml_dump(record_type.render(state)), "---\n\n", state["body"], "\n"])


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
            if details.disclaimer_es or details.urgent_care_es:
                state = SITE_ES.state(details)
                path = content_dir / "site.es.yaml"
                path.write_text(SITE_ES_HEADER + _yaml_dump(SITE_ES.render(state)), encoding="utf-8")
                SiteDetails.objects.filter(pk=1).update(loaded_state_hash_es=state_hash(state))
                written.append(path)
        for redirect in ProcedureRedirect.objects.all():
            # The page was renamed: its file moves to the new slug's name.
            old_path = content_dir / "procedures" / f"{redirect.old_slug}.md"
            if old_path.exists():
                old_path.unlink()
        for procedure in Procedure.objects.select_related("translation_of").prefetch_related("sections"):
            spanish = procedure.language == "es"
            state = (PROCEDURE_ES if spanish else PROCEDURE).state(procedure)
            folder = content_dir / "procedures" / ("es" if spanish else "")
            folder.mkdir(exist_ok=True)
            path = folder / f"{procedure.slug}.md"
            path.write_text(procedure_render_file(state, language=procedure.language), encoding="utf-8")
            Procedure.objects.filter(pk=procedure.pk).update(loaded_state_hash=state_hash(state))
            written.append(path)
        guides = list(Guide.objects.all())
        if guides:
            (content_dir / "guides").mkdir(exist_ok=True)
        for guide in guides:
            spanish = guide.language == "es"
            state = (GUIDE_ES if spanish else GUIDE).state(guide)
            folder = content_dir / "guides" / ("es" if spanish else "")
            folder.mkdir(exist_ok=True)
            path = folder / f"{guide.slug}.md"
            path.write_text(guide_render_file(state, language=guide.language), encoding="utf-8")
            Guide.objects.filter(pk=guide.pk).update(loaded_state_hash=state_hash(state))
            written.append(path)
        for language, record_type, name, header in (
            ("en", GLOSSARY, "glossary.yaml", GLOSSARY_HEADER),
            ("es", GLOSSARY_ES, "glossary.es.yaml", GLOSSARY_ES_HEADER),
        ):
            terms = []
            for term in GlossaryTerm.objects.filter(language=language).order_by("term"):
                state = record_type.state(term)
                terms.append(record_type.render(state))
                GlossaryTerm.objects.filter(pk=term.pk).update(loaded_state_hash=state_hash(state))
            if terms:
                path = content_dir / name
                path.write_text(header + _yaml_dump(terms).replace("\n- ", "\n\n- "), encoding="utf-8")
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
