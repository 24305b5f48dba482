"""The fixed list of section kinds a procedure page is made of, in the order patients read them."""

from dataclasses import dataclass


@dataclass(frozen=True)
class SectionKind:
    key: str
    heading: str
    aliases: tuple = ()


SECTION_KINDS = (
    SectionKind("overview", "Overview", ("About this procedure",)),
    SectionKind("why", "Why it is done", ("Who it helps", "Why it is done and who it helps")),
    SectionKind("preparation", "How to prepare", ("Preparation", "Before the procedure")),
    SectionKind("during", "What happens during the procedure", ("What happens", "During the procedure")),
    SectionKind("risks", "Side effects and risks", ("Risks and side effects",)),
    SectionKind("recovery", "Recovery and aftercare", ("Recovery", "After the procedure")),
    SectionKind("timeline", "What recovery looks like, step by step", ("Recovery step by step", "Recovery timeline")),
    SectionKind("pain_diary", "Your pain diary", ("Pain diary",)),
    SectionKind("follow_up", "Follow-up", ("Follow up", "Follow-up appointments")),
    SectionKind("get_help", "When to get medical help", ("When to get help",)),
    SectionKind("faqs", "Questions patients ask", ("Common questions", "Frequently asked questions")),
    SectionKind("questions", "Questions to ask", ("Questions to ask your care team",)),
)

# A published page must have these; a draft may lack any of them while it is being written.
REQUIRED_SECTION_KINDS = ("overview", "get_help")

SECTION_CHOICES = [(kind.key, kind.heading) for kind in SECTION_KINDS]
SECTION_POSITION = {kind.key: position for position, kind in enumerate(SECTION_KINDS)}
SECTION_HEADING = {kind.key: kind.heading for kind in SECTION_KINDS}


# The Spanish headings of translated pages (content/procedures/es/*.md); the loader maps them to the kinds.
SECTION_HEADING_ES = {
    "overview": "Resumen",
    "why": "Por qué se hace",
    "preparation": "Cómo prepararse",
    "during": "Qué pasa durante el procedimiento",
    "risks": "Efectos secundarios y riesgos",
    "recovery": "Recuperación y cuidados",
    "timeline": "Cómo es la recuperación, paso a paso",
    "pain_diary": "Su diario del dolor",
    "follow_up": "Seguimiento",
    "get_help": "Cuándo buscar ayuda médica",
    "faqs": "Preguntas que hacen los pacientes",
    "questions": "Preguntas para su equipo de atención",
}


def _normalise(heading):
    return " ".join(heading.replace("\u2011", "-").split()).rstrip(":").casefold()


_KIND_BY_HEADING = {_normalise(name): kind.key for kind in SECTION_KINDS for name in (kind.heading, *kind.aliases)}


_KIND_BY_HEADING_ES = {_normalise(heading): key for key, heading in SECTION_HEADING_ES.items()}


def section_kind_for_heading(heading, *, language="en"):
    """The section kind a `## ` heading names, or None when the heading is not one we know."""
    if language == "es":
        return _KIND_BY_HEADING_ES.get(_normalise(heading))
    return _KIND_BY_HEADING.get(_normalise(heading))


def section_headings(language="en"):
    """{kind: heading} in the language of a page."""
    return SECTION_HEADING_ES if language == "es" else SECTION_HEADING
