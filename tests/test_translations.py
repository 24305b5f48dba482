"""The Spanish interface catalog (locale/es/LC_MESSAGES/django.po) is complete, and the committed django.mo is
that catalog compiled: a patient on a Spanish page never gets an English word because a msgstr was left
empty, marked fuzzy (gettext ignores fuzzy entries), or forgotten when the .mo was last compiled.

To refresh the catalog after changing interface text:
    .venv/bin/python manage.py makemessages -l es --no-location --ignore='.venv/*' --ignore='tests/*' \
        --ignore='templates/admin/*' --ignore='templates/markdownx/*' --ignore='bench/*' --ignore='deploy/*'
then fill in every new msgstr and run `.venv/bin/python manage.py compilemessages -l es --ignore=.venv`.
"""

import ast
import gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.template import engines

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "es" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
PUBLIC_TEMPLATES = sorted(
    path
    for path in (ROOT / "templates").rglob("*.html")
    if path.relative_to(ROOT / "templates").parts[0] not in ("admin", "markdownx")
)


def read_po(path=PO):
    """[{flags, msgctxt, msgid, msgid_plural, msgstr: {n: text}}] for every entry, the header first."""
    entries = []
    for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
        entry = {"flags": set(), "msgctxt": None, "msgid": None, "msgid_plural": None, "msgstr": {}, "obsolete": False}
        key = None
        for line in block.splitlines():
            if line.startswith("#~"):
                entry["obsolete"] = True
                continue
            if line.startswith("#,"):
                entry["flags"].update(flag.strip() for flag in line[2:].split(","))
                continue
            if line.startswith("#"):
                continue
            if line.startswith('"'):
                value = ast.literal_eval(line)
                if isinstance(key, int):
                    entry["msgstr"][key] += value
                else:
                    entry[key] += value
                continue
            word, _space, rest = line.partition(" ")
            if word.startswith("msgstr["):
                key = int(word[len("msgstr[") : -1])
                entry["msgstr"][key] = ast.literal_eval(rest)
            elif word == "msgstr":
                key = 0
                entry["msgstr"][0] = ast.literal_eval(rest)
            else:
                key = word
                entry[word] = ast.literal_eval(rest)
        entries.append(entry)
    return entries


def messages(path=PO):
    """The translatable entries (no header, no obsolete ones)."""
    return [entry for entry in read_po(path) if entry["msgid"] and not entry["obsolete"]]


def catalog_key(entry):
    """How Python's gettext files an entry: "context\\x04msgid", with (msgid, n) for plural forms."""
    return entry["msgid"] if entry["msgctxt"] is None else f"{entry['msgctxt']}\x04{entry['msgid']}"


def plural_count():
    header = read_po()[0]["msgstr"][0]
    return int(re.search(r"nplurals=(\d+)", header).group(1))


def describe(entry):
    return repr(entry["msgid"]) + (f" (context {entry['msgctxt']!r})" if entry["msgctxt"] else "")


def test_the_catalog_has_messages_and_spanish_plural_rules():
    header = read_po()[0]["msgstr"][0]
    assert "Language: es\n" in header
    assert "Content-Type: text/plain; charset=UTF-8" in header
    assert plural_count() >= 2
    assert len(messages()) > 150, "the interface has well over a hundred strings"


def test_every_message_has_a_spanish_translation_and_none_is_fuzzy():
    entries = messages()
    empty = [describe(entry) for entry in entries if not all(text.strip() for text in entry["msgstr"].values())]
    fuzzy = [describe(entry) for entry in entries if "fuzzy" in entry["flags"]]
    assert not empty, f"msgstr left empty: {empty}"
    assert not fuzzy, f"fuzzy entries are ignored by gettext, so patients would see English: {fuzzy}"
    missing_forms = [
        describe(entry)
        for entry in entries
        if entry["msgid_plural"] is not None and sorted(entry["msgstr"]) != list(range(plural_count()))
    ]
    assert not missing_forms, f"plural entries need every plural form: {missing_forms}"


def test_translations_keep_every_placeholder_and_link():
    """A msgstr that drops %(miles)s, or a tag, would show a broken sentence (or raise) in Spanish."""
    placeholder = re.compile(r"%\(\w+\)[sd]|<[^>]+>")
    wrong = []
    for entry in messages():
        wanted = sorted(placeholder.findall(entry["msgid"]))
        for text in entry["msgstr"].values():
            if sorted(placeholder.findall(text)) != wanted:
                wrong.append((entry["msgid"], text))
    assert not wrong, wrong


def test_spanish_is_not_left_in_english():
    """A msgstr equal to its msgid is a string nobody translated (a few words are the same in both)."""
    same_in_both = {"No", "Error:", "Error: %(title)s"}
    untranslated = [
        describe(entry)
        for entry in messages()
        if entry["msgid"] not in same_in_both and entry["msgstr"].get(0) == entry["msgid"]
    ]
    assert not untranslated, untranslated


def test_the_committed_mo_is_the_po_compiled():
    """Compare what gettext reads from django.mo with the .po, entry by entry (no gettext tools needed)."""
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)._catalog
    expected = {}
    for entry in messages():
        key = catalog_key(entry)
        if entry["msgid_plural"] is None:
            expected[key] = entry["msgstr"][0]
        else:
            for number, text in entry["msgstr"].items():
                expected[(key, number)] = text
    compiled = {key: value for key, value in compiled.items() if key != ""}  # "" is the header
    stale = sorted(str(key) for key in set(expected) ^ set(compiled))
    assert not stale, f"django.mo and django.po hold different messages; run compilemessages: {stale[:10]}"
    changed = sorted(str(key) for key in expected if expected[key] != compiled[key])
    assert not changed, f"django.mo is older than django.po; run compilemessages: {changed[:10]}"


def gettext_tool_missing(name):
    """Skipped on a laptop without GNU gettext; CI sets REQUIRE_GETTEXT, so there it fails instead."""
    return shutil.which(name) is None and not os.environ.get("REQUIRE_GETTEXT")


@pytest.mark.skipif(gettext_tool_missing("msgfmt"), reason="GNU gettext (msgfmt) is not installed")
def test_msgfmt_accepts_the_catalog(tmp_path):
    """msgfmt --check: the header, plural forms and python-format placeholders, as compilemessages checks them."""
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", str(tmp_path / "django.mo"), str(PO)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr, result.stderr
    assert "fuzzy" not in result.stderr, result.stderr


@pytest.mark.skipif(gettext_tool_missing("xgettext"), reason="GNU gettext (xgettext) is not installed")
def test_the_catalog_holds_every_marked_string(tmp_path):
    """makemessages, run on a scratch copy of the code, finds no string the committed catalog lacks."""
    for name in ("manage.py",):
        shutil.copy(ROOT / name, tmp_path / name)
    for folder in ("procedures", "sijoint_site", "templates", "locale"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "sijoint_site.settings",
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": "sqlite:///:memory:",
    }
    environment.pop("REDIS_URL", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "es", "--no-location", "-v0"]
        + [f"--ignore={pattern}" for pattern in ("templates/admin/*", "templates/markdownx/*")],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    scratch = tmp_path / "locale" / "es" / "LC_MESSAGES" / "django.po"
    extracted = {(entry["msgctxt"], entry["msgid"]) for entry in messages(scratch)}
    committed = {(entry["msgctxt"], entry["msgid"]) for entry in messages()}
    assert not extracted - committed, f"run makemessages and translate: {sorted(extracted - committed, key=str)}"
    assert not committed - extracted, f"no longer used; run makemessages: {sorted(committed - extracted, key=str)}"


# --- No interface text outside the translation tags -----------------------------------------------------

# Template text that is the same in every language: punctuation between variables, the copyright sign.
_NEUTRAL = re.compile(r"^[\s.,:;()\[\]|·—–/#?!*“”\"'-]*$")
_ENTITY = re.compile(r"&[a-z]+;|&#\d+;")
_TAG = re.compile(r"\{%.*?%\}|\{\{.*?\}\}|\{#.*?#\}", re.S)
_TRANSLATED_BLOCK = re.compile(r"\{%\s*blocktranslate\b.*?\{%\s*endblocktranslate\s*%\}", re.S)
_COMMENT = re.compile(r"\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}", re.S)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_ELEMENT = re.compile(r"<[^>]*>", re.S)
_TEXT_ATTRIBUTE = re.compile(r'\b(aria-label|alt|title|placeholder|content)="([^"]*)"')


def untranslated_template_text(source):
    """Words in a template that no {% translate %} / {% blocktranslate %} covers."""
    source = _COMMENT.sub(" ", source)
    source = _HTML_COMMENT.sub(" ", source)
    source = _TRANSLATED_BLOCK.sub(" ", source)
    leftovers = []
    for name, value in _TEXT_ATTRIBUTE.findall(source):
        text = _TAG.sub(" ", value).strip()
        if name == "content" and (not text or text in {"website", "summary", "noindex", "noindex, follow"}):
            continue
        if name == "content" and (("width=" in text) or re.fullmatch(r"[a-z]{2}_[A-Z]{2}", text)):
            continue  # the viewport; og:locale (a language code, not words)
        if text and re.search(r"[A-Za-z]", text):
            leftovers.append(f'{name}="{value}"')
    without_elements = _ENTITY.sub(" ", _ELEMENT.sub(" ", _TAG.sub(" ", source)))
    for piece in re.split(r"\s{2,}|\n", without_elements):
        piece = piece.strip()
        if piece and not _NEUTRAL.match(piece) and re.search(r"[A-Za-z]", piece):
            leftovers.append(piece)
    return leftovers


def test_the_checker_finds_text_outside_translation_tags():
    assert untranslated_template_text("<p>Call us</p>") == ["Call us"]
    assert untranslated_template_text('<nav aria-label="Main">') == ['aria-label="Main"']
    assert untranslated_template_text('{% translate "Call us" %} <p>{{ site.phone }}</p>, &copy;') == []
    assert untranslated_template_text("{% blocktranslate %}Lines are open {{ x }}.{% endblocktranslate %}") == []


@pytest.mark.parametrize("path", PUBLIC_TEMPLATES, ids=lambda path: str(path.relative_to(ROOT / "templates")))
def test_patient_templates_have_no_text_outside_translation_tags(path):
    source = path.read_text(encoding="utf-8")
    assert not untranslated_template_text(source), f"{path.name}: wrap this text in {{% translate %}}"
    defaults = re.findall(r"""default:["']([^"']*[A-Za-z][^"']*)["']""", source)
    assert set(defaults) <= {"website"}, f"{path.name}: fallback text must be translated too: {defaults}"


def test_every_public_template_compiles():
    """Each public template parses (a translate tag with a typo fails here, not on a patient's page)."""
    engine = engines["django"]
    for path in PUBLIC_TEMPLATES:
        engine.get_template(str(path.relative_to(ROOT / "templates")))
    assert settings.LOCALE_PATHS
    assert Path(settings.LOCALE_PATHS[0]) == ROOT / "locale"
