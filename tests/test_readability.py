"""Patients often have low health literacy: every section must read at US grade 8 or lower."""

import re

import pytest
import textstat

from django.conf import settings

from procedures.content import procedure_parse

MAX_GRADE = 8.0


def plain_text(markdown):
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", markdown)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return re.sub(r"^[#>\-*\d.\s]+", "", text, flags=re.M).replace("*", "")


def sections():
    for path in sorted((settings.CONTENT_DIR / "procedures").glob("*.md")):
        document = procedure_parse(path)
        for kind, body in document.state["sections"].items():
            yield pytest.param(body, id=f"{document.key}:{kind}")


@pytest.mark.parametrize("body", list(sections()))
def test_each_section_reads_at_grade_8_or_lower(body):
    grade = textstat.flesch_kincaid_grade(plain_text(body))
    assert grade <= MAX_GRADE, f"grade {grade:.1f}"
