"""Methodology and limitations, with the data dictionary read from the descriptor."""

from __future__ import annotations

import json
from dataclasses import dataclass

from ..params import COUNTRY_NAMES
from ..scope import Scope
from ._common import SectionResult

CREDIBILITY = {
    1: "confirmed by other sources",
    2: "probably true",
    3: "possibly true",
    4: "doubtful",
    5: "improbable",
    6: "truth cannot be judged",
}


@dataclass(frozen=True)
class TableEntry:
    """One table of the data package, for the data dictionary."""

    name: str
    title: str
    description: str
    n_rows: int
    fields: str


@dataclass(frozen=True)
class CredibilityRow:
    grade: int
    label: str
    n: int


@dataclass(frozen=True, kw_only=True)
class Methodology(SectionResult):
    n_archived: int
    n_web: int
    no_statute: list[str]
    dictionary: list[TableEntry]
    credibility: list[CredibilityRow]
    n_claims: int
    n_quoted: int
    n_second_hand: int
    n_inferred_side: int
    redacted: bool


def analyse(scope: Scope) -> Methodology:
    descriptor = json.loads((scope.ds.data_dir / "datapackage.json").read_text(encoding="utf-8"))
    dictionary = [
        TableEntry(
            name=r["name"],
            title=r.get("title", r["name"]),
            description=r.get("description", ""),
            n_rows=len(scope.ds.tables[r["name"]]),
            fields=", ".join(f["name"] for f in r["schema"]["fields"]),
        )
        for r in descriptor["resources"]
        if "schema" in r  # the tables: the archived texts the package also lists are files
    ]
    cred = scope.claims["information_credibility"].value_counts().sort_index()
    with_statute = set(scope.ds.legal_provisions["country"].tolist())
    sources = scope.sources
    archived = sources[sources["source_kind"] == "archived_article"]
    return Methodology(
        n_archived=len(archived),
        n_web=len(sources) - len(archived),
        no_statute=[name for code, name in COUNTRY_NAMES.items() if code not in with_statute],
        dictionary=dictionary,
        credibility=[CredibilityRow(int(g), CREDIBILITY[int(g)], int(n)) for g, n in cred.items()],
        n_claims=len(scope.claims),
        n_quoted=int(scope.claims["quote"].notna().sum()),
        n_second_hand=int(scope.claims["first_reported_by_org_id"].notna().sum()),
        n_inferred_side=int((scope.combatants["side_basis"] == "inferred").sum()),
        redacted=scope.params.redact_private_persons,
    )
