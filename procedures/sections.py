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


def _normalise(heading):
    return " ".join(heading.replace("\u2011", "-").split()).rstrip(":").casefold()


_KIND_BY_HEADING = {_normalise(name): kind.key for kind in SECTION_KINDS for name in (kind.heading, *kind.aliases)}


def section_kind_for_heading(heading):
    """The section kind a `## ` heading names, or None when the heading is not one we know."""
    return _KIND_BY_HEADING.get(_normalise(heading))
