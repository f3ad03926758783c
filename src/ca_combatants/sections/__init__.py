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

SECTION_TITLES = {
    "cover": "Cover",
    "key_judgments": "Key judgments",
    "scope_and_numbers": "Scope and numbers",
    "recruitment_tactics": "Recruitment tactics",
    "legal_exposure": "Legal exposure",
    "two_sides": "The two sides",
    "case_files": "Case files",
    "sources_and_discrepancies": "Sources and discrepancies",
    "methodology": "Methodology and limitations",
    "references": "References",
}
