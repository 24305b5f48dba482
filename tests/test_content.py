"""The loader: what load_content does to the database, and what it refuses."""

import re

import pytest
import yaml
from django.core.management import CommandError, call_command

from procedures.caching import site_details
from procedures.content import ContentInvalid, content_export, content_load, procedure_state
from procedures.models import Procedure, Section, SiteDetails
from procedures.sections import SECTION_KINDS
from tests.conftest import TEST_CONTENT_DIR

SITE = yaml.safe_load((TEST_CONTENT_DIR / "site.yaml").read_text(encoding="utf-8"))


def database_snapshot():
    """Everything the loader may write, so a test can prove that nothing changed."""
    return (
        [procedure_state(p) | {"hash": p.loaded_state_hash} for p in Procedure.objects.order_by("slug")],
        list(SiteDetails.objects.values()),
        Procedure.history.count() + Section.history.count() + SiteDetails.history.count(),
    )


def pages(names):
    """The English procedure and site entries of a report list (clinics: test_content_clinics.py; the
    Spanish records: test_spanish_content.py)."""
    return sorted(
        name
        for name in names
        if not name.startswith(("clinic ", "glossary ", "guide ", "Spanish ")) and not name.endswith(" (es)")
    )


# The glossary terms and guides of tests/content (each a record of its own in a load report), and the
# Spanish records: pages, guides, glossary terms and the site texts.
HEALTH_RECORDS = (
    len(yaml.safe_load((TEST_CONTENT_DIR / "glossary.yaml").read_text()))
    + len(list((TEST_CONTENT_DIR / "guides").glob("*.md")))
    + len(yaml.safe_load((TEST_CONTENT_DIR / "glossary.es.yaml").read_text()))
    + len(list((TEST_CONTENT_DIR / "guides/es").glob("*.md")))
    + len(list((TEST_CONTENT_DIR / "procedures/es").glob("*.md")))
    + 1
)


def replace_in(path, old, new, count=1):
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count))


@pytest.mark.django_db
def test_first_load_creates_every_page_with_all_sections(content_dir, content_clinics):
    report = content_load(content_dir)
    assert pages(report.created) == ["si-joint-fusion", "si-joint-injection", "site details"]
    assert len(report.created) == 3 + len(content_clinics) + HEALTH_RECORDS
    assert Procedure.objects.published().filter(language="en").count() == 2
    for procedure in Procedure.objects.filter(language="en"):
        kinds = [section.kind for section in procedure.sections.all()]
        assert kinds == [kind.key for kind in SECTION_KINDS], "every section, in the fixed order"
        assert all(section.body_html.startswith("<") for section in procedure.sections.all())
    assert site_details().name == SITE["name"]
    assert site_details().phone == SITE["phone"]


@pytest.mark.django_db
def test_second_load_changes_nothing(content_dir, content_clinics):
    content_load(content_dir)
    before = database_snapshot()
    report = content_load(content_dir)
    assert report.created == report.updated == report.conflicts == []
    assert len(report.unchanged) == 3 + len(content_clinics) + HEALTH_RECORDS
    assert database_snapshot() == before


@pytest.mark.django_db
def test_a_changed_file_updates_its_page_and_keeps_history(content_dir):
    content_load(content_dir)
    replace_in(
        content_dir / "procedures/si-joint-injection.md",
        "## Follow-up\n",
        "## Follow-up\n\nBring a list of your medicines.\n",
    )
    report = content_load(content_dir)
    assert report.updated == ["si-joint-injection"]
    assert pages(report.unchanged) == ["si-joint-fusion", "site details"]
    section = Section.objects.get(procedure__slug="si-joint-injection", kind="follow_up")
    assert "Bring a list of your medicines." in section.body_html
    assert section.history.count() == 2


@pytest.mark.django_db
def test_sections_are_shown_in_fixed_order_whatever_the_file_order(content_dir):
    path = content_dir / "procedures/si-joint-fusion.md"
    text = path.read_text()
    front, body = text.split("\n## Overview", 1)
    overview, rest = ("## Overview" + body).split("\n## Why it is done", 1)
    path.write_text(front + "\n## Why it is done" + rest + "\n" + overview)
    content_load(content_dir)
    assert path.read_text().index("## Why it is done") < path.read_text().index("## Overview"), "the file order changed"
    kinds = list(Section.objects.filter(procedure__slug="si-joint-fusion").values_list("kind", flat=True))
    assert kinds == [kind.key for kind in SECTION_KINDS]


BAD_FILES = [
    pytest.param(
        "procedures/si-joint-injection.md",
        "title: SI joint injection",
        "title: [SI joint injection",
        r"si-joint-injection\.md, line \d+: This is not valid YAML",
        id="bad-yaml",
    ),
    pytest.param(
        "procedures/si-joint-injection.md",
        "\nreviewed_by:",
        "\nreviewed_by_typo:",
        r"si-joint-injection\.md, line \d+: .*reviewed_by",
        id="missing-key",
    ),
    pytest.param(
        "procedures/si-joint-fusion.md",
        "## Side effects and risks",
        "## Things that could go wrong",
        r"si-joint-fusion\.md, line \d+: Unknown section heading \u201cThings that could go wrong\u201d",
        id="unknown-heading",
    ),
    pytest.param(
        "procedures/si-joint-fusion.md",
        "slug: si-joint-fusion",
        "slug: si-joint-injection",
        r"si-joint-(fusion|injection)\.md, line 3: The slug 'si-joint-injection' is already used",
        id="duplicate-slug",
    ),
    pytest.param(
        "procedures/si-joint-fusion.md",
        "last_reviewed: 2026",
        "last_reviewed: last spring #",
        r"si-joint-fusion\.md, line \d+: `last_reviewed` must be a date",
        id="bad-date",
    ),
    pytest.param(
        "procedures/si-joint-fusion.md",
        "## Overview\n",
        "## Overview\n\n![](/media/x.png)\n",
        r"si-joint-fusion\.md, line \d+: This image has no alt text",
        id="image-without-alt",
    ),
    pytest.param(
        "procedures/si-joint-fusion.md",
        "## Overview\n",
        "# Fusion\n\n## Overview\n",
        r"si-joint-fusion\.md, line \d+: A level-1 heading",
        id="h1-in-body",
    ),
    pytest.param(
        "site.yaml", "phone:", "phone_number:", r"site\.yaml, line \d+: Unknown key `phone_number`", id="site-key"
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("relative", "old", "new", "message"), BAD_FILES)
def test_a_bad_file_is_refused_whole_and_names_file_and_line(content_dir, relative, old, new, message):
    content_load(content_dir)
    # A good change in another file must not be written either: all or nothing.
    other = "si-joint-fusion.md" if "injection" in relative else "si-joint-injection.md"
    replace_in(
        content_dir / "procedures" / other, "## Follow-up\n", "## Follow-up\n\nA good edit that must not land.\n"
    )
    before = database_snapshot()
    replace_in(content_dir / relative, old, new)
    with pytest.raises(ContentInvalid) as refused:
        content_load(content_dir)
    assert re.search(message, str(refused.value)), str(refused.value)
    assert database_snapshot() == before


@pytest.mark.django_db
def test_the_line_number_points_at_the_bad_heading(content_dir):
    path = content_dir / "procedures/si-joint-fusion.md"
    replace_in(path, "## Follow-up", "## Next steps")
    line = path.read_text().split("\n").index("## Next steps") + 1
    with pytest.raises(ContentInvalid) as refused:
        content_load(content_dir)
    assert f"si-joint-fusion.md, line {line}: Unknown section heading" in str(refused.value)


@pytest.mark.django_db
def test_a_bad_file_on_an_empty_database_writes_nothing(content_dir):
    replace_in(content_dir / "procedures/si-joint-fusion.md", "## Overview", "## Introduction")
    with pytest.raises(ContentInvalid):
        content_load(content_dir)
    assert Procedure.objects.count() == 0
    assert SiteDetails.objects.count() == 0


@pytest.mark.django_db
def test_a_removed_file_unpublishes_its_page_but_keeps_it(content_dir):
    content_load(content_dir)
    (content_dir / "procedures/si-joint-fusion.md").rename(content_dir / "fusion.md.bak")
    report = content_load(content_dir)
    assert report.unpublished == ["si-joint-fusion"]
    fusion = Procedure.objects.get(slug="si-joint-fusion")
    assert fusion.status == Procedure.Status.DRAFT
    assert fusion.sections.count() == len(SECTION_KINDS)
    # Putting the file back publishes it again.
    (content_dir / "fusion.md.bak").rename(content_dir / "procedures/si-joint-fusion.md")
    content_load(content_dir)
    assert Procedure.objects.get(slug="si-joint-fusion").status == Procedure.Status.PUBLISHED


@pytest.mark.django_db
def test_an_admin_edit_is_kept_when_its_file_has_not_changed(content_dir):
    content_load(content_dir)
    section = Section.objects.get(procedure__slug="si-joint-fusion", kind="overview")
    section.body += "\n\nEdited by clinic staff."
    section.save()
    report = content_load(content_dir)
    assert report.kept_edits == ["si-joint-fusion"]
    assert "Edited by clinic staff." in Section.objects.get(pk=section.pk).body


@pytest.mark.django_db
def test_an_admin_edit_and_a_file_change_is_a_conflict_left_alone_unless_forced(content_dir):
    content_load(content_dir)
    section = Section.objects.get(procedure__slug="si-joint-fusion", kind="overview")
    section.body += "\n\nEdited by clinic staff."
    section.save()
    replace_in(content_dir / "procedures/si-joint-fusion.md", "## Follow-up\n", "## Follow-up\n\nFile edit.\n")
    report = content_load(content_dir)
    assert report.conflicts == ["si-joint-fusion"]
    assert "Edited by clinic staff." in Section.objects.get(pk=section.pk).body
    assert "File edit." not in Section.objects.get(procedure__slug="si-joint-fusion", kind="follow_up").body

    report = content_load(content_dir, force=True)
    assert report.updated == ["si-joint-fusion"]
    assert "Edited by clinic staff." not in Section.objects.get(pk=section.pk).body
    assert any("Edited by clinic staff." in old.body for old in section.history.all()), (
        "the staff edit stays in history"
    )


@pytest.mark.django_db
def test_export_then_load_is_a_round_trip(content_dir, tmp_path):
    content_load(content_dir)
    section = Section.objects.get(procedure__slug="si-joint-injection", kind="questions")
    section.body += "\n- Can I bring someone with me?"
    section.save()
    exported = tmp_path / "exported"
    content_export(exported)
    before = database_snapshot()
    report = content_load(exported)
    assert report.created == report.updated == report.conflicts == []
    assert database_snapshot() == before
    assert "Can I bring someone with me?" in (exported / "procedures/si-joint-injection.md").read_text()


@pytest.mark.django_db
def test_the_command_reports_counts_and_refuses_bad_content(content_dir, content_clinics, capsys):
    records = 3 + len(content_clinics) + HEALTH_RECORDS  # the site details, two pages, the clinics
    call_command("load_content", "--dir", str(content_dir))
    assert f"{records} created, 0 updated, 0 unchanged" in capsys.readouterr().out
    call_command("load_content", "--dir", str(content_dir))
    assert f"0 created, 0 updated, {records} unchanged" in capsys.readouterr().out
    replace_in(content_dir / "procedures/si-joint-fusion.md", "## Overview", "## Intro")
    with pytest.raises(CommandError, match=r"(?s)Nothing was loaded: \d+ problem.*si-joint-fusion\.md, line \d+"):
        call_command("load_content", "--dir", str(content_dir))
