"""The fixed list of section kinds a procedure page is made of, in the order patients read them."""

from dataclasses import dataclass

from django.utils.translation import gettext_noop


@dataclass(frozen=True)
class SectionKind:
    key: str
    heading: str
    aliases: tuple = ()
    heading_es: str = ""  # the heading the Spanish pages use (content/procedures/es/*.md)


SECTION_KINDS = (
    SectionKind("overview", "Overview", ("About this procedure",), "Resumen"),
    SectionKind("why", "Why it is done", ("Who it helps", "Why it is done and who it helps"), "Por qué se hace"),
    SectionKind("preparation", "How to prepare", ("Preparation", "Before the procedure"), "Cómo prepararse"),
    SectionKind(
        "during",
        "What happens during the procedure",
        ("What happens", "During the procedure"),
        "Qué pasa durante el procedimiento",
    ),
    SectionKind("risks", "Side effects and risks", ("Risks and side effects",), "Efectos secundarios y riesgos"),
    SectionKind("recovery", "Recovery and aftercare", ("Recovery", "After the procedure"), "Recuperación y cuidados"),
    SectionKind(
        "timeline",
        "What recovery looks like, step by step",
        ("Recovery step by step", "Recovery timeline"),
        "Cómo es la recuperación, paso a paso",
    ),
    SectionKind("pain_diary", "Your pain diary", ("Pain diary",), "Su diario del dolor"),
    SectionKind("follow_up", "Follow-up", ("Follow up", "Follow-up appointments"), "Seguimiento"),
    SectionKind("get_help", "When to get medical help", ("When to get help",), "Cuándo buscar ayuda médica"),
    SectionKind(
        "faqs",
        "Questions patients ask",
        ("Common questions", "Frequently asked questions"),
        "Preguntas que hacen los pacientes",
    ),
    SectionKind(
        "questions",
        "Questions to ask",
        ("Questions to ask your care team",),
        "Preguntas para su equipo de atención",
    ),
)

# The labels of Procedure.key_facts, marked for translation: the page shows them with {% translate label %}.
KEY_FACT_LABELS = (
    gettext_noop("How long it takes"),
    gettext_noop("Anesthetic"),
    gettext_noop("Going home"),
    gettext_noop("Typical recovery"),
)

# A published page must have these; a draft may lack any of them while it is being written.
REQUIRED_SECTION_KINDS = ("overview", "get_help")

SECTION_CHOICES = [(kind.key, kind.heading) for kind in SECTION_KINDS]
SECTION_POSITION = {kind.key: position for position, kind in enumerate(SECTION_KINDS)}
SECTION_HEADING = {kind.key: kind.heading for kind in SECTION_KINDS}  # English: the admin's names
SECTION_HEADING_ES = {kind.key: kind.heading_es for kind in SECTION_KINDS}


def _normalise(heading):
    return " ".join(heading.replace("\u2011", "-").split()).rstrip(":").casefold()


_KIND_BY_HEADING = {
    _normalise(name): kind.key
    for kind in SECTION_KINDS
    for name in (kind.heading, *kind.aliases, kind.heading_es)
    if name
}


_KIND_BY_HEADING_EN = {_normalise(name): kind.key for kind in SECTION_KINDS for name in (kind.heading, *kind.aliases)}
_KIND_BY_HEADING_ES = {_normalise(kind.heading_es): kind.key for kind in SECTION_KINDS if kind.heading_es}


def section_kind_for_heading(heading, *, language=None):
    """The section kind a `## ` heading names, or None when the heading is not one we know. A page's loader
    passes its language ("en" or "es") so that each file uses its own language's headings; without one,
    either language's heading is recognised."""
    if language == "es":
        return _KIND_BY_HEADING_ES.get(_normalise(heading))
    if language == "en":
        return _KIND_BY_HEADING_EN.get(_normalise(heading))
    return _KIND_BY_HEADING.get(_normalise(heading))


def section_headings(language="en"):
    """{kind: heading} in the language of a page."""
    return SECTION_HEADING_ES if language == "es" else SECTION_HEADING
