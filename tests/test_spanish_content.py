"""The Spanish content files: loaded with the same rules as the English, refused with file and line, and
exported back to files that load to the same records."""

import pytest
import yaml

from procedures.content import ContentInvalid, content_export, content_load
from procedures.models import GlossaryTerm, Guide, Procedure, SiteDetails
from procedures.translations import content_snapshot, snapshot_hash

pytestmark = pytest.mark.django_db

SPANISH_PAGE = "procedures/es/inyeccion-articulacion-sacroiliaca.md"
SPANISH_GUIDE = "guides/es/opciones-de-tratamiento.md"


def replace_in(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path, text):
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1) if text in line)


def test_spanish_pages_load_with_their_english_page_and_spanish_sections(content_dir):
    report = content_load(content_dir)
    assert "inyeccion-articulacion-sacroiliaca (es)" in report.created
    spanish = Procedure.objects.get(slug="inyeccion-articulacion-sacroiliaca")
    english = Procedure.objects.get(slug="si-joint-injection")
    assert (spanish.language, english.language) == ("es", "en")
    assert spanish.translation_of == english
    assert spanish.translation_review.startswith("Test translation.")
    assert [s.kind for s in spanish.sections.all()] == ["overview", "risks", "get_help", "faqs"]
    assert next(s.heading for s in spanish.sections.all()) == "Resumen"
    # No english_version in the file: the translation was made from the English as it is now.
    assert spanish.english_version == english.content_hash == snapshot_hash(content_snapshot(english))
    assert spanish.english_snapshot["title"] == "SI joint injection"
    assert not spanish.translation_out_of_date
    guide = Guide.objects.get(slug="opciones-de-tratamiento")
    assert guide.translation_of.slug == "treatment-options"
    assert guide.language == "es"
    assert GlossaryTerm.objects.get(language="es", term="esteroide").english == "steroid"
    assert GlossaryTerm.objects.filter(language="en").count() == 3
    site = SiteDetails.objects.get()
    assert site.opening_hours_es.startswith("de lunes a jueves")
    assert "llame al 911" in site.urgent_care_es_html


def test_a_term_may_be_spelled_the_same_in_both_languages(content_dir):
    content_load(content_dir)
    assert sorted(GlossaryTerm.objects.filter(term="pelvis").values_list("language", flat=True)) == ["en", "es"]


def test_translation_of_must_name_an_english_page(content_dir):
    path = content_dir / SPANISH_PAGE
    replace_in(path, "translation_of: si-joint-injection", "translation_of: si-joint-shot")
    with pytest.raises(ContentInvalid) as refused:
        content_load(content_dir)
    message = str(refused.value)
    assert f"inyeccion-articulacion-sacroiliaca.md, line {line_of(path, 'translation_of')}" in message
    assert "`translation_of` names 'si-joint-shot', which is not an English page" in message
    assert not Procedure.objects.exists(), "nothing is loaded"


def test_a_spanish_file_without_translation_of_is_refused(content_dir):
    path = content_dir / SPANISH_GUIDE
    replace_in(path, "translation_of: treatment-options\n", "")
    with pytest.raises(ContentInvalid, match=r"opciones-de-tratamiento\.md, line 1: `translation_of` is required"):
        content_load(content_dir)


def test_an_english_heading_in_a_spanish_page_is_refused_with_its_line(content_dir):
    path = content_dir / SPANISH_PAGE
    replace_in(path, "## Efectos secundarios y riesgos", "## Side effects and risks")
    with pytest.raises(ContentInvalid) as refused:
        content_load(content_dir)
    message = str(refused.value)
    assert f"line {line_of(path, '## Side effects and risks')}: Unknown section heading" in message
    assert "Resumen; Por qué se hace" in message


def test_the_spanish_help_section_needs_its_three_levels(content_dir):
    path = content_dir / SPANISH_PAGE
    replace_in(path, "### Llame a la clínica ahora", "### Llame pronto")
    with pytest.raises(ContentInvalid) as refused:
        content_load(content_dir)
    assert f"line {line_of(path, '### Llame pronto')}: This heading should be “### Llame a la clínica ahora”" in str(
        refused.value
    )


def test_a_spanish_term_must_name_an_english_term(content_dir):
    replace_in(content_dir / "glossary.es.yaml", "english: sacrum", "english: sacrim")
    with pytest.raises(ContentInvalid, match=r"glossary\.es\.yaml, line \d+: `english` names 'sacrim'"):
        content_load(content_dir)


def test_a_slug_used_in_both_languages_is_refused(content_dir):
    replace_in(content_dir / SPANISH_PAGE, "slug: inyeccion-articulacion-sacroiliaca", "slug: si-joint-fusion")
    with pytest.raises(ContentInvalid, match=r"The slug 'si-joint-fusion' is already used"):
        content_load(content_dir)


def test_export_writes_the_spanish_files_with_english_version_and_they_load_back_unchanged(content_dir, tmp_path):
    content_load(content_dir)
    exported = tmp_path / "exported"
    content_export(exported)
    page = (exported / SPANISH_PAGE).read_text(encoding="utf-8")
    english = Procedure.objects.get(slug="si-joint-injection")
    assert f"english_version: {english.content_hash}" in page
    assert "translation_of: si-joint-injection" in page
    assert "\n## Resumen\n" in page
    assert "\n## Cuándo buscar ayuda médica\n" in page
    assert "english_version:" in (exported / SPANISH_GUIDE).read_text(encoding="utf-8")
    glossary = yaml.safe_load((exported / "glossary.es.yaml").read_text(encoding="utf-8"))
    assert {"term": "sacro", "english": "sacrum"}.items() <= next(t for t in glossary if t["term"] == "sacro").items()
    site_es = yaml.safe_load((exported / "site.es.yaml").read_text(encoding="utf-8"))
    assert site_es["opening_hours"].startswith("de lunes a jueves")
    clinics = yaml.safe_load((exported / "clinics.yaml").read_text(encoding="utf-8"))
    assert {clinic["slug"]: clinic["languages"] for clinic in clinics}["edina"] == ["en", "es"]
    before = list(Procedure.objects.order_by("slug").values())
    report = content_load(exported)
    assert report.created == report.updated == report.conflicts == []
    assert list(Procedure.objects.order_by("slug").values()) == before


def test_a_file_naming_an_older_english_version_is_out_of_date(content_dir):
    replace_in(
        content_dir / SPANISH_PAGE,
        "translation_of: si-joint-injection\n",
        "translation_of: si-joint-injection\nenglish_version: " + "f" * 64 + "\n",
    )
    content_load(content_dir)
    assert Procedure.objects.get(slug="inyeccion-articulacion-sacroiliaca").translation_out_of_date


def test_a_malformed_english_version_is_refused(content_dir):
    replace_in(
        content_dir / SPANISH_PAGE,
        "translation_of: si-joint-injection\n",
        "translation_of: si-joint-injection\nenglish_version: yesterday\n",
    )
    with pytest.raises(ContentInvalid, match=r"line \d+: `english_version` must be the 64-character code"):
        content_load(content_dir)


def test_a_clinic_language_must_be_known(content_dir):
    replace_in(content_dir / "clinics.yaml", "languages: [en, es]", "languages: [en, klingon]")
    with pytest.raises(ContentInvalid, match=r"clinics\.yaml, line \d+: `languages` names 'klingon'"):
        content_load(content_dir)


def test_a_term_is_unique_within_its_language_in_the_admin_too(content_dir):
    from django.core.exceptions import ValidationError

    content_load(content_dir)
    with pytest.raises(ValidationError, match="already in the glossary"):
        GlossaryTerm(language="es", term="Sacro", definition="Otra vez.").full_clean()
    GlossaryTerm(language="es", term="sacrum", definition="Not a Spanish term yet.").full_clean()
