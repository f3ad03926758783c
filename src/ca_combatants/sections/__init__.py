"""The brief's sections, in reading order. Each module has `analyse(scope)`; its template is
templates/sections/<module>.html.j2."""

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

SECTION_TITLES = {
    "cover": "Cover",
    "key_judgments": "Key judgments",
    "scope_and_numbers": "Scope and numbers",
    "recruitment_tactics": "Recruitment tactics",
    "legal_exposure": "Legal exposure",
    "two_sides": "The two sides",
    "case_files": "Case files and chronology",
    "sources_and_discrepancies": "Sources, grades and discrepancies",
    "methodology": "Method, limitations and data dictionary",
    "references": "References",
}
