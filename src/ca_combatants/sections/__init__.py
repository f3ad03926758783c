"""The brief's sections, in reading order: the one list every part of the brief reads.

Each section is a module here with `analyse(scope)`, which returns the section's result (a
frozen dataclass of plain rows), and a template `templates/sections/<name>.html.j2`, which
receives that result as `a`. To add a section: write its module and template, add one entry to
SECTIONS where it is read, and run `python -m ca_combatants.notebook_cells` to give the notebook
its cell. A section a brief has only for some parameters says so with `included`, e.g.
`changes_since` below; an absent section is not analysed and renders as nothing."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..params import BriefParams
    from ..scope import Scope
    from ._common import SectionResult


def _always(_: Any) -> bool:
    return True


@dataclass(frozen=True)
class Table:
    """A numbered table a section owns; `present(result)` says whether the section shows it
    (a table is numbered only when shown)."""

    key: str
    present: Callable[[Any], bool] = _always


@dataclass(frozen=True)
class SectionSpec:
    name: str  # the module, the template and the HTML id
    title: str
    # "A", "B" … for the annexes after the brief proper, in registry order (a test checks it)
    annex: str | None = None
    tables: tuple[Table, ...] = ()  # in the order the section shows them
    # whether a brief with these parameters has the section at all
    included: Callable[[BriefParams], bool] = _always
    # the references: analysed with the sources every other section cites
    lists_citations: bool = False
    # an optional section is left unnumbered, so the numbered sections keep their numbers from
    # one brief of a series to the next
    numbered: bool = True

    @property
    def template(self) -> str:
        return f"sections/{self.name}.html.j2"

    def analyse(self, scope: Scope, cited: Collection[str] = ()) -> SectionResult:
        module = importlib.import_module(f"{__package__}.{self.name}")
        result: SectionResult = (
            module.analyse(scope, cited) if self.lists_citations else module.analyse(scope)
        )
        return result


SECTIONS: tuple[SectionSpec, ...] = (
    SectionSpec("cover", "Cover"),
    SectionSpec("key_judgments", "Key judgments"),
    SectionSpec(
        "changes_since",
        "What newer reporting added",
        included=lambda p: p.changes_since is not None,
        numbered=False,
    ),
    SectionSpec(
        "scope_and_numbers",
        "Scope and numbers",
        tables=(
            Table("cases_by_country", lambda a: a.n_total > 0),
            Table("death_counts", lambda a: a.n_ca_counts > 0),
        ),
    ),
    SectionSpec(
        "recruitment_tactics",
        "Recruitment tactics",
        tables=(Table("tactic_taxonomy"),),
    ),
    SectionSpec(
        "legal_exposure",
        "Legal exposure",
        tables=(
            Table("legal_provisions", lambda a: bool(a.provisions)),
            Table("prosecutions", lambda a: bool(a.home_cases or a.russian_convictions)),
        ),
    ),
    SectionSpec(
        "two_sides",
        "The two sides",
        tables=(Table("sides_table", lambda a: sum(c.n for c in a.columns) > 0),),
    ),
    # The brief proper ends with the two sides; the annexes after it are for a specialist.
    SectionSpec("case_files", "Case files and chronology", annex="A"),
    SectionSpec("recruitment_channels", "Recruitment channels, report by report", annex="B"),
    SectionSpec(
        "sources_and_discrepancies",
        "Sources, grades and discrepancies",
        annex="C",
        tables=(Table("source_list"),),
    ),
    SectionSpec(
        "methodology",
        "Method, limitations and data dictionary",
        annex="D",
        tables=(Table("estimative_terms"), Table("credibility_scale"), Table("data_dictionary")),
    ),
    SectionSpec("references", "References", lists_citations=True),
)

BY_NAME = {s.name: s for s in SECTIONS}
# views of the registry, for code that needs only the names or titles
SECTION_ORDER = tuple(s.name for s in SECTIONS)
SECTION_TITLES = {s.name: s.title for s in SECTIONS}
ANNEXES = {s.name: s.annex for s in SECTIONS if s.annex}


def section_numbers(names: Collection[str]) -> dict[str, int]:
    """The numbers of the numbered sections among `names` (the cover is 0), in reading order."""
    numbered = [s.name for s in SECTIONS if s.name in names and s.numbered]
    return {name: n for n, name in enumerate(numbered)}


def headings(params: BriefParams) -> dict[str, str]:
    """Each section these parameters include (but the cover) with its heading as the contents
    list it: "2. Scope and numbers", or the bare title for an unnumbered section."""
    shown = [s for s in SECTIONS if s.included(params) and s.name != "cover"]
    numbers = section_numbers([*(s.name for s in shown), "cover"])
    return {
        s.name: f"{numbers[s.name]}. {s.title}" if s.name in numbers else s.title for s in shown
    }
