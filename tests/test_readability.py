"""Patients often have low health literacy: every section must read at US grade 8 or lower."""

import textwrap

from hypothesis import given, settings
from hypothesis import strategies as st

from procedures.readability import (
    TARGET_GRADE,
    hardest_sentences,
    reading_grade,
    sentences,
    sentences_too_hard,
    sentences_with_lines,
)

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


def test_a_lead_in_ending_in_a_colon_is_read_with_what_it_introduces():
    markdown = "For example:\n\n- a small cut\n- a quicker recovery\n\nYou may feel sore in your\nbuttocks.\n"
    found = sentences(markdown)
    assert found[:2] == ["For example: a small cut.", "a quicker recovery."]
    assert "For example:" not in found
    assert "buttocks." not in found
    assert found[-1] == "You may feel sore in your buttocks."


def test_each_sentence_knows_the_source_line_it_starts_on():
    markdown = "### Heading\n\nYou rest. Then you\nwalk a bit. Then\nyou go home.\n\n- Bring your pills"
    assert sentences_with_lines(markdown) == [
        (3, "You rest."),
        (3, "Then you walk a bit."),
        (4, "Then you go home."),
        (7, "Bring your pills."),
    ]


def test_titles_and_e_g_do_not_end_a_sentence_and_code_is_not_prose():
    markdown = "Dr. Lee will see you, e.g. on Monday. Bring snacks.\n\n```\nNot. Prose. Here.\n```\n"
    assert sentences(markdown) == ["Dr. Lee will see you, e.g. on Monday.", "Bring snacks."]


# --- Properties: no sentence is ever a fragment of a longer one, whatever the wrapping --------------------

_word = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=10).filter(
    lambda word: word not in {"dr", "mr", "mrs", "ms", "st", "prof", "vs", "approx"}
)
_sentence = st.builds(
    lambda words, end, comma: (
        (
            words[0].capitalize() + " " + ", ".join(words[1:])
            if comma
            else " ".join([words[0].capitalize(), *words[1:]])
        ).strip()
        + end
    ),
    st.lists(_word, min_size=1, max_size=14),
    st.sampled_from([".", "!", "?"]),
    st.booleans(),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_sentence, min_size=1, max_size=8), st.integers(min_value=12, max_value=100))
def test_rewrapping_a_paragraph_never_changes_its_sentences(written, width):
    paragraph = " ".join(written)
    rewrapped = "\n".join(textwrap.wrap(paragraph, width=width, break_long_words=False, break_on_hyphens=False))
    assert sentences(rewrapped) == sentences(paragraph) == written
    # No returned sentence is a lone piece of a longer one: each is exactly a sentence that was written.
    assert all(sentence in written for sentence in sentences(rewrapped))
    lines = [line for line, _sentence in sentences_with_lines(rewrapped)]
    assert lines == sorted(lines)
    assert 1 <= lines[0] <= lines[-1] <= rewrapped.count("\n") + 1


@settings(max_examples=100, deadline=None)
@given(st.lists(_sentence, min_size=1, max_size=6), st.sampled_from(["- ", "* ", "1. "]))
def test_each_list_item_is_its_own_sentence(items, marker):
    markdown = "\n".join(marker + item for item in items)
    assert sentences(markdown) == items


def test_spanish_reading_ease_scores_plain_spanish_high_and_hard_spanish_low():
    from procedures.readability import SPANISH_TARGET_EASE, reading_grade, spanish_reading_ease

    english_before = reading_grade("The doctor numbs your skin. Then the needle goes in.")
    plain = "El médico le pone una inyección en la articulación. Usted vuelve a casa el mismo día [1]."
    hard = (
        "La administración intraarticular de corticoesteroides bajo guía fluoroscópica proporciona "
        "analgesia prolongada mediante la disminución de la inflamación sinovial periarticular."
    )
    assert spanish_reading_ease(plain) >= SPANISH_TARGET_EASE
    assert spanish_reading_ease(hard) < SPANISH_TARGET_EASE
    assert spanish_reading_ease("") == 100.0
    assert reading_grade("The doctor numbs your skin. Then the needle goes in.") == english_before, (
        "measuring Spanish leaves textstat set for English"
    )


def test_spanish_questions_and_exclamations_start_new_sentences():
    from procedures.readability import sentences

    assert sentences("Duele un poco. ¿Puedo manejar? Sí. Él le dirá.") == [
        "Duele un poco.",
        "¿Puedo manejar?",
        "Sí.",
        "Él le dirá.",
    ]
