"""Patients often have low health literacy: every section must read at US grade 8 or lower."""

from procedures.readability import TARGET_GRADE, hardest_sentences, reading_grade, sentences, sentences_too_hard

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


def test_a_wrapped_paragraph_is_graded_as_the_one_sentence_it_is():
    wrapped = (
        "The doctor will put a thin needle into the joint at the back of your pelvis, using an X-ray\n"
        "to guide it, and then inject a numbing medicine together with a steroid that may ease\n"
        "the swelling and the pain in your lower back and buttocks.\n"
    )
    assert len(sentences(wrapped)) == 1, "a line break inside a paragraph does not end a sentence"
    assert reading_grade(wrapped) == reading_grade(" ".join(wrapped.split()))
    assert reading_grade(wrapped) > TARGET_GRADE
    assert [s for _g, s in hardest_sentences(wrapped)] == [" ".join(wrapped.split())], (
        "the whole sentence, no fragments"
    )


def test_list_items_are_sentences_of_their_own_and_headings_are_not_sentences():
    markdown = "### Before you come\n\n- Bring a list of your medicines\n- Wear loose clothes\n1. Eat a light meal"
    assert sentences(markdown) == [
        "Bring a list of your medicines.",
        "Wear loose clothes.",
        "Eat a light meal.",
    ]


def test_one_very_hard_sentence_is_flagged_even_when_the_average_is_fine():
    easy = " ".join(["You rest at home for a day. Then you walk a bit more each day."] * 8)
    hard = (
        "Postprocedural neurological deterioration necessitates immediate multidisciplinary consultation "
        "incorporating comprehensive radiographic reevaluation."
    )
    markdown = f"{easy} {hard}"
    assert reading_grade(markdown) <= TARGET_GRADE
    assert [s for _g, s in sentences_too_hard(markdown)] == [hard]


def test_markdown_symbols_and_link_targets_are_not_words():
    assert sentences("Read **this** [leaflet](https://example.org/a-very-long-address) now.") == [
        "Read this leaflet now."
    ]
