"""What newer reporting added: the brief at its as-of date compared with the same brief on
`changes_since` (see `changes`). Shown only when `changes_since` is set, after the key judgments,
so a reader of a monthly series sees first what the month brought."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..changes import (
    CountChange,
    NewCase,
    NewDiscrepancy,
    NewPerson,
    Reassessed,
    ResolvedDiscrepancy,
    changes,
)
from ..scope import Scope, format_date
from ._common import SectionResult, capped, count_words, in_sentence, number_word

# each list is kept to about a third of a page, so the section stays short at the front of the
# brief; the rest is counted and pointed to where the brief tells it
CHANGES_ROWS_MAX = 8


@dataclass(frozen=True)
class ChangesSince(SectionResult):
    asked: bool = False
    since: str = ""
    until: str = ""
    nothing: bool = True
    sources_note: str = ""
    first_claim_ids: tuple[str, ...] = ()  # one claim of each new source
    gains: str = ""
    uncertain: int = 0
    uncertain_note: str = ""
    people: tuple[NewPerson, ...] = ()
    people_omitted: int = 0
    # the rows left out, cited: a reader can follow each to its source
    people_rest_claim_ids: tuple[str, ...] = ()
    people_more: str = ""
    cases: tuple[NewCase, ...] = ()
    cases_omitted: int = 0
    cases_rest_claim_ids: tuple[str, ...] = ()
    cases_more: str = ""
    counts: tuple[CountChange, ...] = ()
    counts_omitted: int = 0
    counts_rest_claim_ids: tuple[str, ...] = ()
    counts_more: str = ""
    any_before: bool = False  # else every count is new: no column
    discrepancies: tuple[NewDiscrepancy, ...] = ()
    discrepancies_omitted: int = 0
    discrepancies_rest_claim_ids: tuple[str, ...] = ()
    discrepancies_more: str = ""
    # disagreements the register marks resolved in the window, each with the claim that settles it
    resolved: tuple[ResolvedDiscrepancy, ...] = ()
    resolved_omitted: int = 0
    resolved_rest_claim_ids: tuple[str, ...] = ()
    resolved_more: str = ""
    judgments: tuple[Reassessed, ...] = ()
    all_judgments: bool = False
    judgments_note: str = ""


def _joined(parts: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return " and ".join([", ".join(parts[:-1]), parts[-1]]) if len(parts) > 1 else "".join(parts)


def analyse(scope: Scope) -> ChangesSince:
    since = scope.params.changes_since
    if since is None:
        return ChangesSince()
    found = changes(scope, since)
    people, people_omitted = capped(list(found.people), CHANGES_ROWS_MAX)
    cases, cases_omitted = capped(list(found.cases), CHANGES_ROWS_MAX)
    counts, counts_omitted = capped(list(found.counts), CHANGES_ROWS_MAX)
    disc, disc_omitted = capped(list(found.discrepancies), CHANGES_ROWS_MAX)
    disc = [replace(d, subject=in_sentence(d.subject)) for d in disc]
    resolved, resolved_omitted = capped(list(found.resolved), CHANGES_ROWS_MAX)
    resolved = [replace(d, subject=in_sentence(d.subject)) for d in resolved]
    # one claim of each new source: what the opening's count of sources rests on
    first_claims = (
        scope.claims[scope.claims["source_id"].isin(found.source_ids)]
        .drop_duplicates("source_id")["claim_id"]
        .tolist()
    )
    n_sources = len(found.source_ids)
    new_counts = sum(1 for c in found.counts if c.before is None)
    moved = len(found.counts) - new_counts
    phrases = [
        f"name {count_words(len(found.people), 'combatant', 'combatants')} not recorded before"
        if found.people
        else "",
        f"record {count_words(len(found.cases), 'more legal case', 'more legal cases')}"
        if found.cases
        else "",
        f"bring {count_words(new_counts, 'new count', 'new counts')}" if new_counts else "",
        f"update {count_words(moved, 'earlier count', 'earlier counts')}" if moved else "",
        f"open {count_words(len(found.discrepancies), 'disagreement', 'disagreements')}"
        " between sources"
        if found.discrepancies
        else "",
        f"settle {count_words(len(found.resolved), 'earlier disagreement', 'earlier disagreements')}"
        if found.resolved
        else "",
    ]
    gains = _joined([phrase for phrase in phrases if phrase])
    return ChangesSince(
        asked=True,
        since=format_date(since.isoformat()),
        until=format_date(found.until),
        nothing=found.nothing,
        sources_note=count_words(n_sources, "source", "sources"),
        first_claim_ids=tuple(first_claims),
        gains=gains,
        uncertain=len(found.uncertain_ids),
        uncertain_note=count_words(
            len(found.uncertain_ids), "of these sources", "of these sources"
        ),
        people=tuple(people),
        people_omitted=people_omitted,
        # the rows left out, cited: a reader can follow each to its source
        people_rest_claim_ids=tuple(
            c for row in found.people[CHANGES_ROWS_MAX:] for c in row.claim_ids
        ),
        cases_rest_claim_ids=tuple(
            c for row in found.cases[CHANGES_ROWS_MAX:] for c in row.claim_ids
        ),
        counts_rest_claim_ids=tuple(
            c for row in found.counts[CHANGES_ROWS_MAX:] for c in row.claim_ids
        ),
        discrepancies_rest_claim_ids=tuple(
            c for row in found.discrepancies[CHANGES_ROWS_MAX:] for c in row.claim_ids
        ),
        people_more=number_word(people_omitted).capitalize(),
        cases_more=number_word(cases_omitted).capitalize(),
        counts_more=number_word(counts_omitted).capitalize(),
        discrepancies_more=number_word(disc_omitted),
        cases=tuple(cases),
        cases_omitted=cases_omitted,
        counts=tuple(counts),
        counts_omitted=counts_omitted,
        any_before=any(c.before for c in counts),  # else every count is new: no column
        discrepancies=tuple(disc),
        discrepancies_omitted=disc_omitted,
        resolved=tuple(resolved),
        resolved_omitted=resolved_omitted,
        resolved_rest_claim_ids=tuple(
            c for row in found.resolved[CHANGES_ROWS_MAX:] for c in row.claim_ids
        ),
        resolved_more=number_word(resolved_omitted),
        judgments=tuple(found.judgments),
        all_judgments=len(found.judgments) == len(scope.judgments[0]),
        judgments_note=count_words(len(found.judgments), "key judgment", "key judgments"),
    )
