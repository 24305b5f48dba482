"""The real content/ folder, held to the content gates. The only test module that reads content/.

Every other test loads the suite's own small set in tests/content, so staff can rename the
organisation, change its phone number or edit the clinic list without breaking them. What clinic
staff author must still load, read at grade 8 or lower, have the sections a patient page needs,
and give patients a number they can tap to call: that is checked here, against the real files.
"""

import gzip
import re
import statistics
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.contrib.staticfiles import finders

from bench.page_weight import BUDGET_BYTES
from procedures.content import content_load, content_parse, procedure_parse
from procedures.content.parse import guide_parse
from procedures.models import Clinic, Procedure, tel_url
from procedures.readability import (
    SPANISH_TARGET_EASE,
    TARGET_GRADE,
    hardest_sentences,
    reading_grade,
    sentences_too_hard,
    spanish_reading_ease,
)
from procedures.sections import REQUIRED_SECTION_KINDS, SECTION_KINDS
from procedures.validation import CITATION

# Read when the module is collected, before the suite's autouse fixture points CONTENT_DIR at tests/content.
REAL_CONTENT_DIR = Path(settings.CONTENT_DIR)
PROCEDURE_FILES = sorted((REAL_CONTENT_DIR / "procedures").glob("*.md"))
SPANISH_FILES = sorted((REAL_CONTENT_DIR / "procedures" / "es").glob("*.md"))
# A US number a phone can dial: +1, then a 3-digit area code and a 7-digit number, neither starting 0 or 1.
US_TEL_URL = re.compile(r"tel:\+1[2-9]\d{2}[2-9]\d{6}")


@pytest.fixture(autouse=True)
def _real_content_dir(settings):
    settings.CONTENT_DIR = REAL_CONTENT_DIR


def test_there_is_real_content_to_check():
    assert PROCEDURE_FILES, f"no procedure files in {REAL_CONTENT_DIR / 'procedures'}"
    assert (REAL_CONTENT_DIR / "site.yaml").is_file()
    assert (REAL_CONTENT_DIR / "clinics.yaml").is_file()


@pytest.mark.django_db
def test_the_real_content_loads_without_errors():
    report = content_load(settings.CONTENT_DIR)  # raises ContentInvalid, naming file and line, if anything is wrong
    slugs = {procedure_parse(path).key for path in PROCEDURE_FILES}
    slugs |= {procedure_parse(path, language="es").key for path in SPANISH_FILES}
    clinics = yaml.safe_load((REAL_CONTENT_DIR / "clinics.yaml").read_text(encoding="utf-8")) or []
    assert "site details" in report.created
    assert len(report.created) >= 50, "pages, guides, glossary terms and clinics, in English and Spanish"
    assert set(Procedure.objects.values_list("slug", flat=True)) == slugs
    spanish = Procedure.objects.filter(language="es")
    assert spanish.count() == len(SPANISH_FILES)
    assert all(page.translation_of_id for page in spanish)
    assert not any(page.translation_out_of_date for page in spanish.select_related("translation_of"))
    assert Procedure.objects.published().exists(), "at least one page is published"
    assert Clinic.objects.listed().count() == len(clinics)
    assert report.conflicts == []
    assert report.unpublished == []


@pytest.mark.parametrize("path", PROCEDURE_FILES, ids=lambda path: path.stem)
def test_every_section_reads_at_grade_8_or_lower(path):
    sections = procedure_parse(path).state["sections"]
    assert sections
    too_hard = {
        kind: (reading_grade(body), hardest_sentences(body))
        for kind, body in sections.items()
        if reading_grade(body) > TARGET_GRADE
    }
    assert not too_hard, f"{path.name}: sections above grade {TARGET_GRADE:g} (grade, hardest sentences): {too_hard}"


GUIDE_FILES = sorted((REAL_CONTENT_DIR / "guides").glob("*.md"))
MEDIAN_GRADE = 6


def page_sections(path):
    """{heading or kind: Markdown} of a procedure page (its sections) or a guide (its `## ` parts)."""
    if path in GUIDE_FILES:
        body = guide_parse(path).state["body"]
        parts = re.split(r"^## +(.+)$", body, flags=re.MULTILINE)
        return dict(zip(parts[1::2], parts[2::2], strict=True)) | ({"intro": parts[0]} if parts[0].strip() else {})
    return procedure_parse(path).state["sections"]


@pytest.mark.parametrize("path", PROCEDURE_FILES + GUIDE_FILES, ids=lambda path: path.stem)
def test_each_page_reads_at_a_median_of_grade_6_with_no_sentence_above_12(path):
    sections = page_sections(path)
    assert len(sections) >= 5
    grades = {name: reading_grade(body) for name, body in sections.items()}
    assert max(grades.values()) <= TARGET_GRADE, f"{path.name}: a section above grade {TARGET_GRADE:g}: {grades}"
    assert statistics.median(grades.values()) <= MEDIAN_GRADE, f"{path.name}: median above {MEDIAN_GRADE}: {grades}"
    too_hard = {name: sentences_too_hard(body) for name, body in sections.items() if sentences_too_hard(body)}
    assert not too_hard, f"{path.name}: sentences above grade 12: {too_hard}"


SPANISH_PAGES = SPANISH_FILES + sorted((REAL_CONTENT_DIR / "guides" / "es").glob("*.md"))


@pytest.mark.parametrize("path", SPANISH_PAGES, ids=lambda path: path.stem)
def test_every_spanish_section_scores_at_least_65_on_fernandez_huerta(path):
    if path.parent.parent.name == "guides":
        body = guide_parse(path, language="es").state["body"]
        parts = re.split(r"^## +(.+)$", body, flags=re.MULTILINE)
        sections = dict(zip(parts[1::2], parts[2::2], strict=True))
    else:
        sections = procedure_parse(path, language="es").state["sections"]
    assert len(sections) >= 5
    scores = {name: spanish_reading_ease(body) for name, body in sections.items()}
    too_hard = {name: score for name, score in scores.items() if score < SPANISH_TARGET_EASE}
    assert not too_hard, f"{path.name}: sections below {SPANISH_TARGET_EASE:g} on Fernández-Huerta: {too_hard}"


@pytest.mark.parametrize("path", PROCEDURE_FILES, ids=lambda path: path.stem)
def test_every_procedure_page_has_the_sections_a_patient_needs(path):
    """The loader insists only on Overview; a patient page has every part, in the fixed order."""
    state = procedure_parse(path).state
    kinds = set(state["sections"])
    assert set(REQUIRED_SECTION_KINDS) <= kinds
    # The pain diary belongs to the diagnostic injection; surgery has no diary to keep.
    expected = [
        kind for kind in SECTION_KINDS if not (kind.key == "pain_diary" and state["procedure_type"] == "surgical")
    ]
    missing = [kind.heading for kind in expected if kind.key not in kinds]
    assert not missing, f"{path.name} has no section for: {', '.join(missing)}"


@pytest.mark.parametrize("path", PROCEDURE_FILES, ids=lambda path: path.stem)
def test_every_published_page_lists_its_sources_and_cites_them(path):
    state = procedure_parse(path).state
    if state["status"] != "published":
        return
    assert state["sources"], f"{path.name} lists no sources"
    cited = {
        int(n) for body in state["sections"].values() for group in CITATION.findall(body) for n in group.split(",")
    }
    uncited = sorted(set(range(1, len(state["sources"]) + 1)) - cited)
    assert not uncited, f"{path.name}: sources never cited in the text: {uncited}"


@pytest.mark.django_db
def test_the_options_page_and_glossary_load():
    parsed = content_parse(REAL_CONTENT_DIR)
    assert [guide.key for guide in parsed["guides"]] == ["treatment-options"]
    assert parsed["guides"][0].state["sources"]
    assert len(parsed["glossary"]) >= 5, "the medical words the pages use"


@pytest.mark.django_db
def test_every_clinic_has_a_tap_to_call_number():
    clinics = content_parse(settings.CONTENT_DIR)["clinics"]
    assert clinics, "clinics.yaml lists no clinics: the finder would find nothing"
    bad = {
        clinic.key: clinic.state["phone"]
        for clinic in clinics
        if not US_TEL_URL.fullmatch(tel_url(clinic.state["phone"]))
    }
    assert not bad, f"clinics whose phone number cannot be tapped to call: {bad}"


@pytest.mark.django_db
def test_the_site_details_have_a_name_and_a_phone_number():
    site = content_parse(settings.CONTENT_DIR)["site"].state
    assert site["name"].strip()
    assert US_TEL_URL.fullmatch(tel_url(site["phone"])), f"the site's phone {site['phone']!r} cannot be tapped to call"


@pytest.mark.django_db
def test_real_procedure_pages_fit_the_page_weight_budget(client):
    """The same budget as tests/test_page_weight.py, on the real pages, whose text is what makes them heavy."""
    content_load(settings.CONTENT_DIR)
    css = Path(finders.find("css/site.css")).read_bytes()
    procedures = list(Procedure.objects.published())
    assert procedures
    for procedure in procedures:
        response = client.get(procedure.get_absolute_url())
        assert response.status_code == 200
        total = len(gzip.compress(response.content, 6)) + len(gzip.compress(css, 6))
        assert total < BUDGET_BYTES, f"{procedure.slug}: {total} bytes compressed, budget {BUDGET_BYTES}"
