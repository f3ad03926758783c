"""The brief's sections, in reading order. Each module has `analyse(scope)`; its template is
templates/sections/<module>.html.j2."""

from collections.abc import Collection

SECTION_ORDER = (
    "cover",
    "key_judgments",
    "scope_and_numbers",
    "recruitment_tactics",
    "legal_exposure",
    "two_sides",
    "case_files",
    "sources_and_discrepancies",
    "methodology",
    "references",
)

# The brief proper ends with the two sides; the sections after it are annexes a specialist
# consults, each headed "Annex A", "Annex B" … above its title.
ANNEXES = {"case_files": "A", "sources_and_discrepancies": "B", "methodology": "C"}

# Sections shown only when the parameter of the same name is set, each after the section named.
# They are not numbered, so the numbered sections keep their numbers from one brief to the next.
OPTIONAL_SECTIONS = {"changes_since": "key_judgments"}

SECTION_TITLES = {
    "cover": "Cover",
    "key_judgments": "Key judgments",
    "changes_since": "What newer reporting added",
    "scope_and_numbers": "Scope and numbers",
    "recruitment_tactics": "Recruitment tactics",
    "legal_exposure": "Legal exposure",
    "two_sides": "The two sides",
    "case_files": "Case files and chronology",
    "sources_and_discrepancies": "Sources, grades and discrepancies",
    "methodology": "Method, limitations and data dictionary",
    "references": "References",
}


def reading_order(shown: Collection[str]) -> list[str]:
    """SECTION_ORDER with each optional section in `shown` (names) after the section it follows."""
    order = []
    for name in SECTION_ORDER:
        order.append(name)
        order += [o for o, after in OPTIONAL_SECTIONS.items() if after == name and o in shown]
    return order
