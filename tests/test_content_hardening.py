"""The loader refuses what it cannot trust, whole, naming the file and line, and never with a traceback."""

import builtins
import io
import os
import pathlib

import pytest
from django.core.management import CommandError, call_command

from procedures.content import ContentInvalid, content_load
from procedures.models import Procedure, Section, SiteDetails
from tests.test_content_fields import CLINICS_YAML, SITE_YAML, page_text, snapshot, write_content

pytestmark = pytest.mark.django_db

MAX_FILE_BYTES = 200 * 1024


@pytest.fixture
def never_opened(monkeypatch):
    """Fail the test, instead of hanging or filling memory, if the loader opens one of the listed paths."""
    forbidden = set()
    real_open, real_os_open, real_read_text = builtins.open, os.open, pathlib.Path.read_text

    def check(path):
        if isinstance(path, (str, bytes, os.PathLike)) and os.path.abspath(os.fsdecode(path)) in forbidden:
            raise AssertionError(f"the loader opened {path}")

    monkeypatch.setattr(builtins, "open", lambda path, *a, **k: (check(path), real_open(path, *a, **k))[1])
    monkeypatch.setattr(io, "open", builtins.open)
    monkeypatch.setattr(os, "open", lambda path, *a, **k: (check(path), real_os_open(path, *a, **k))[1])
    monkeypatch.setattr(
        pathlib.Path, "read_text", lambda self, *a, **k: (check(self), real_read_text(self, *a, **k))[1]
    )
    return lambda path: forbidden.add(os.path.abspath(path))


@pytest.fixture
def loaded_root(tmp_path):
    """A small content set, loaded; a further load must refuse the tests' bad file and change nothing."""
    root = write_content(tmp_path / "content")
    content_load(root)
    return root


def refused(root):
    before = snapshot()
    with pytest.raises(ContentInvalid) as invalid:
        content_load(root)
    assert snapshot() == before, "a refused load writes nothing"
    return str(invalid.value)


def test_a_symlink_to_dev_zero_is_refused_without_reading_it(loaded_root, never_opened):
    link = loaded_root / "procedures/zero.md"
    link.symlink_to("/dev/zero")
    never_opened(link)
    never_opened("/dev/zero")
    assert f"{link}: This is a symbolic link" in refused(loaded_root)


def test_a_symlink_to_a_file_outside_content_is_refused(loaded_root, tmp_path):
    outside = tmp_path / "elsewhere.md"
    outside.write_text(page_text(slug="elsewhere"))
    (loaded_root / "procedures/elsewhere.md").symlink_to(outside)
    assert "elsewhere.md: This is a symbolic link" in refused(loaded_root)
    assert not Procedure.objects.filter(slug="elsewhere").exists()


def test_a_symlinked_site_yaml_is_refused(loaded_root, tmp_path):
    outside = tmp_path / "site.yaml"
    outside.write_text(SITE_YAML)
    (loaded_root / "site.yaml").unlink()
    (loaded_root / "site.yaml").symlink_to(outside)
    assert "site.yaml: This is a symbolic link" in refused(loaded_root)


def test_a_folder_named_like_a_page_is_refused(loaded_root):
    (loaded_root / "procedures/x.md").mkdir()
    assert "x.md: This is a folder, not a file" in refused(loaded_root)


def test_a_fifo_is_refused_without_opening_it(loaded_root, never_opened):
    fifo = loaded_root / "procedures/pipe.md"
    os.mkfifo(fifo)
    never_opened(fifo)
    assert "pipe.md: This is not an ordinary file" in refused(loaded_root)


def test_a_file_over_the_size_limit_is_refused_before_reading(loaded_root):
    page = page_text(slug="big").replace("---\n", "---\n# " + "x" * MAX_FILE_BYTES + "\n", 1)
    (loaded_root / "procedures/big.md").write_text(page)
    message = refused(loaded_root)
    assert "big.md: The file is " in message
    assert f"the limit is {MAX_FILE_BYTES:,}" in message


def test_a_latin1_page_is_named_as_such_with_its_line(loaded_root):
    page = page_text().replace("Call us if you have a fever.", "Call us if you have a fièvre.")
    (loaded_root / "procedures/si-joint-injection.md").write_bytes(page.encode("latin-1"))
    assert "si-joint-injection.md, line 25: The file is not UTF-8 text: byte 0xe8" in refused(loaded_root)


def test_a_latin1_site_yaml_is_refused_with_its_line_not_a_traceback(loaded_root):
    (loaded_root / "site.yaml").write_bytes(SITE_YAML.replace("Test Clinic", "Clinique Médicale").encode("latin-1"))
    assert "site.yaml, line 1: The file is not UTF-8 text" in refused(loaded_root)


def test_a_binary_clinics_file_is_refused_not_a_traceback(loaded_root):
    (loaded_root / "clinics.yaml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00")
    assert "clinics.yaml, line 1: The file is not UTF-8 text: byte 0x89" in refused(loaded_root)


def test_a_nul_character_is_refused_with_its_line(loaded_root):
    page = page_text().replace("Call us if", "Call\x00 us if")
    (loaded_root / "procedures/si-joint-injection.md").write_text(page)
    assert "si-joint-injection.md, line 25: This line contains an invisible control character (U+0000" in refused(
        loaded_root
    )


def test_an_escaped_control_character_in_yaml_is_refused_too(loaded_root):
    (loaded_root / "site.yaml").write_text(SITE_YAML.replace("name: Test Clinic Group", 'name: "Test\\x07Clinic"'))
    assert "site.yaml, line 1: `name` contains an invisible control character (U+0007" in refused(loaded_root)


def test_a_duplicate_key_in_front_matter_is_refused_with_the_line_of_the_second(loaded_root):
    page = page_text().replace("reviewed_by: Dr Example\n", "reviewed_by: Dr Example\ntitle: Another title\n")
    (loaded_root / "procedures/si-joint-injection.md").write_text(page)
    assert (
        "si-joint-injection.md, line 15: This is not valid YAML: the key `title` appears twice (first on line 2)"
        in (refused(loaded_root))
    )


def test_a_duplicate_key_in_a_clinic_is_refused_with_its_line(loaded_root):
    (loaded_root / "clinics.yaml").write_text(CLINICS_YAML.replace("  city: Edina\n", "  city: Edina\n  phone: x\n"))
    assert "clinics.yaml, line 8: This is not valid YAML: the key `phone` appears twice (first on line 5)" in refused(
        loaded_root
    )


def test_a_duplicate_day_in_clinic_hours_is_refused(loaded_root):
    (loaded_root / "clinics.yaml").write_text(
        CLINICS_YAML.replace("    sunday: closed\n", "    sunday: closed\n    monday: closed\n")
    )
    assert "clinics.yaml, line 16: This is not valid YAML: the key `monday` appears twice (first on line 9)" in refused(
        loaded_root
    )


def test_an_impossible_date_is_refused_with_its_line(loaded_root):
    page = page_text().replace("last_reviewed: 2026-09-21", "last_reviewed: 2026-02-30")
    (loaded_root / "procedures/si-joint-injection.md").write_text(page)
    assert "si-joint-injection.md, line 15: This is not valid YAML: 2026-02-30 is not a real date" in refused(
        loaded_root
    )


def test_a_utf8_byte_order_mark_is_accepted(tmp_path):
    root = write_content(tmp_path / "content")
    page = root / "procedures/si-joint-injection.md"
    page.write_bytes(b"\xef\xbb\xbf" + page.read_bytes())
    (root / "site.yaml").write_bytes(b"\xef\xbb\xbf" + (root / "site.yaml").read_bytes())
    report = content_load(root)
    assert "si-joint-injection" in report.created
    assert SiteDetails.objects.get().name == "Test Clinic Group"


def test_force_takes_the_file_over_a_conflicting_admin_edit(loaded_root):
    section = Section.objects.get(kind="overview")
    section.body = "Edited in the admin."
    section.save()
    path = loaded_root / "procedures/si-joint-injection.md"
    path.write_text(path.read_text().replace("Call us if you have a fever.", "Call us at once if you have a fever."))
    assert content_load(loaded_root).conflicts == ["si-joint-injection"]
    report = content_load(loaded_root, force=True)
    assert report.updated == ["si-joint-injection"]
    assert Section.objects.get(kind="overview").body.startswith("Your SI joints")
    assert "at once" in Section.objects.get(kind="get_help").body


def test_force_takes_an_unchanged_file_over_an_admin_edit(loaded_root):
    section = Section.objects.get(kind="overview")
    section.body = "Edited in the admin."
    section.save()
    assert content_load(loaded_root).kept_edits == ["si-joint-injection"]
    assert Section.objects.get(kind="overview").body == "Edited in the admin."
    report = content_load(loaded_root, force=True)
    assert report.updated == ["si-joint-injection"]
    assert Section.objects.get(kind="overview").body.startswith("Your SI joints")
    assert any(old.body == "Edited in the admin." for old in section.history.all()), "the edit stays in history"


def test_the_command_exits_non_zero_after_reporting_conflicts(loaded_root, capsys):
    Procedure.objects.update(title="Edited in the admin")
    path = loaded_root / "procedures/si-joint-injection.md"
    path.write_text(path.read_text().replace("duration: About 20 minutes", "duration: About 25 minutes"))
    with pytest.raises(CommandError) as failed:
        call_command("load_content", "--dir", str(loaded_root))
    assert failed.value.returncode == 2
    assert "1 conflict(s)" in str(failed.value)
    assert "CONFLICT: si-joint-injection" in capsys.readouterr().out
    call_command("load_content", "--dir", str(loaded_root), "--force")
    assert Procedure.objects.get().title == "SI joint injection"


def test_the_command_names_file_and_line_for_untrusted_files_and_exits_1(loaded_root):
    (loaded_root / "procedures/x.md").mkdir()
    (loaded_root / "procedures/si-joint-injection.md").write_bytes(b"---\ntitle: caf\xe9\n")
    with pytest.raises(CommandError) as failed:
        call_command("load_content", "--dir", str(loaded_root))
    assert failed.value.returncode == 1
    assert "Nothing was loaded: 2 problem(s)" in str(failed.value)
    assert "si-joint-injection.md, line 2: The file is not UTF-8 text" in str(failed.value)
    assert "x.md: This is a folder" in str(failed.value)


def test_yaml_aliases_that_multiply_are_refused_without_expanding_them(loaded_root):
    """A 'billion laughs' file: 40 levels of aliases would be 2**40 items if anything turned them into text."""
    levels = ["a0: &a0 [x, x]"] + [f"a{n}: &a{n} [*a{n - 1}, *a{n - 1}]" for n in range(1, 41)]
    page = (
        page_text().replace("status: published", "status: *a40").replace("---\n", "---\n" + "\n".join(levels) + "\n", 1)
    )
    (loaded_root / "procedures/si-joint-injection.md").write_text(page)
    message = refused(loaded_root)
    assert (
        "si-joint-injection.md, line 45: `status` must be one of: draft, published (not a list or mapping)" in message
    )
