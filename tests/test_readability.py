"""Patients often have low health literacy: every section must read at US grade 8 or lower."""

from procedures.readability import TARGET_GRADE, hardest_sentences, reading_grade

# Each section of the real content/ is held to grade 8 in tests/test_real_content.py.


def test_a_hard_section_is_graded_above_8_and_its_hardest_sentence_named():
    hard = (
        "Sacroiliac arthrodesis necessitates comprehensive preoperative multidisciplinary evaluation, "
        "incorporating radiographic confirmation and documented conservative management inadequacy. "
        "You rest."
    )
    assert reading_grade(hard) > TARGET_GRADE
    hardest = hardest_sentences(hard)
    assert [sentence for _grade, sentence in hardest] == [hard.split(". ")[0] + "."], "only the hard sentence"
    grade, sentence = hardest[0]
    assert sentence.startswith("Sacroiliac arthrodesis")
    assert grade > TARGET_GRADE
    assert reading_grade("You lie on your front. The nurse cleans your skin. It may feel cold.") < 5
