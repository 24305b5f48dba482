"""Patients often have low health literacy: every section must read at US grade 8 or lower."""

import pytest
from django.conf import settings

from procedures.content import procedure_parse
from procedures.readability import TARGET_GRADE, hardest_sentences, reading_grade


def sections():
    for path in sorted((settings.CONTENT_DIR / "procedures").glob("*.md")):
        document = procedure_parse(path)
        for kind, body in document.state["sections"].items():
            yield pytest.param(body, id=f"{document.key}:{kind}")


@pytest.mark.parametrize("body", list(sections()))
def test_each_section_reads_at_grade_8_or_lower(body):
    grade = reading_grade(body)
    assert grade <= TARGET_GRADE, f"grade {grade:.1f}; hardest sentences: {hardest_sentences(body)}"


def test_a_hard_section_is_graded_above_8_and_its_hardest_sentence_named():
    hard = (
        "Sacroiliac arthrodesis necessitates comprehensive preoperative multidisciplinary evaluation, "
        "incorporating radiographic confirmation and documented conservative management inadequacy. "
        "You rest."
    )
    assert reading_grade(hard) > TARGET_GRADE
    grade, sentence = hardest_sentences(hard)[0]
    assert sentence.startswith("Sacroiliac arthrodesis")
    assert grade > TARGET_GRADE
    assert reading_grade("You lie on your front. The nurse cleans your skin. It may feel cold.") < 5
