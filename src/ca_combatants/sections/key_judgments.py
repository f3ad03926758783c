"""Key judgments: analyst-authored, in ICD 203 terms, each tied to its claims.

A brief shows the judgments whose countries and sides meet its selection and that could be made
by its as-of date. Each states its proposition with its likelihood, then its confidence apart (as
the key judgments of US National Intelligence Estimates do), the date it was assessed, and how
many sources in its scope have been published since. Its rationale is cited sentence by
sentence: each claim names the sentences it supports (judgment_claims.sentences), so a number in
brackets stands after the sentence whose facts it holds."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .. import judgment_rules
from ..scope import Scope, format_date
from ._common import JUDGMENTS_MAX, SectionResult, capped

# How each likelihood opens the sentence that states the proposition.
LEADS = {
    "almost_no_chance": "There is almost no chance that",
    "very_unlikely": "It is very unlikely that",
    "unlikely": "It is unlikely that",
    "roughly_even_chance": "It is roughly as likely as not that",
    "likely": "It is likely that",
    "very_likely": "It is very likely that",
    "almost_certain": "It is almost certain that",
}
_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def count_of(n: int, one: str, many: str) -> str:
    """'no source', 'one source', 'three sources', '12 sources'."""
    word = _WORDS[n] if n < len(_WORDS) else f"{n:,}"
    return f"{word} {one if n == 1 else many}"


def newer_note(n: int) -> str:
    """Short sentences, so that no sentence recurs from one judgment to the next."""
    if n == 0:
        return "No newer source in its scope."
    found = count_of(n, "newer source", "newer sources")
    return f"{found[0].upper()}{found[1:]} in its scope. This judgment needs another look."


def sentence(term: str, proposition: str) -> str:
    """The proposition with its likelihood: 'It is likely that …'."""
    return f"{LEADS[term]} {proposition.strip().rstrip('.')}."


@dataclass(frozen=True)
class JudgmentRow:
    judgment_id: str
    sentence: str
    likelihood: str  # "likely"
    likelihood_range: str  # "55–80%"
    confidence: str
    assessed_on: str  # "30 April 2023"
    rationale: str
    claim_ids: tuple[str, ...]
    # the rationale sentence by sentence, each with the claims it cites (none for a sentence
    # that states no fact, such as what would change the judgment)
    sentences: tuple[tuple[str, tuple[str, ...]], ...]
    n_newer_sources: int
    newer_note: str
    needs_review: bool


@dataclass(frozen=True, kw_only=True)
class KeyJudgments(SectionResult):
    items: list[JudgmentRow]
    omitted: int
    omitted_note: str
    withheld: int
    withheld_note: str
    selection: str  # "all five states, both sides"
    terms: list[str]  # the estimative terms, in order


def _newer_sources(scope: Scope, judgments: pd.DataFrame) -> list[int]:
    """For each judgment, the sources this brief may use, in the judgment's scope, published
    after it was assessed (a source of uncertain date counts when its earliest date is later)."""
    if judgments.empty:
        return []
    sources = scope.sources
    earliest = sources["published_earliest"]
    candidates = sources[earliest.notna() & (earliest > judgments["assessed_on"].min())]
    coverage = judgment_rules.source_coverage(
        scope.ds.tables, only=set(candidates["source_id"].tolist())
    )
    dates = dict(zip(candidates["source_id"], candidates["published_earliest"], strict=True))
    counts = []
    for j in judgments.itertuples():
        wanted = judgment_rules.judgment_coverage(j.countries, j.sides)
        counts.append(
            sum(
                1
                for source, when in dates.items()
                if when > j.assessed_on
                and source in coverage
                and coverage[source].meets(wanted.countries, wanted.sides)
            )
        )
    return counts


def cited_sentences(rationale: str, links: pd.DataFrame) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Each sentence of a rationale with the claims (of `links`: claim_id, sentences) that name
    it, in the order of the links."""
    by_sentence: dict[int, list[str]] = {}
    for claim_id, cell in zip(links["claim_id"], links["sentences"], strict=True):
        for k in judgment_rules.sentence_numbers(cell):
            by_sentence.setdefault(k, []).append(str(claim_id))
    return tuple(
        (text, tuple(dict.fromkeys(by_sentence.get(k, []))))
        for k, text in enumerate(judgment_rules.rationale_sentences(rationale), 1)
    )


def analyse(scope: Scope) -> KeyJudgments:
    shown, withheld = scope.judgments
    listed, omitted = capped(shown, JUDGMENTS_MAX)
    jc = scope.ds.judgment_claims
    jc = jc[jc["judgment_id"].isin(listed["judgment_id"])]
    claims_of = jc.groupby("judgment_id")["claim_id"].agg(list).to_dict()
    links_of = {jid: rows for jid, rows in jc.groupby("judgment_id")}
    no_links = jc.iloc[0:0]
    items = []
    for j, n_newer in zip(listed.itertuples(), _newer_sources(scope, listed), strict=True):
        words, likelihood_range = judgment_rules.SCALE[j.estimative_term]
        items.append(
            JudgmentRow(
                judgment_id=j.judgment_id,
                sentence=sentence(j.estimative_term, j.judgment),
                likelihood=words,
                likelihood_range=likelihood_range,
                confidence=j.confidence,
                assessed_on=format_date(j.assessed_on),
                rationale=j.rationale,
                claim_ids=tuple(claims_of.get(j.judgment_id, [])),
                sentences=cited_sentences(j.rationale, links_of.get(j.judgment_id, no_links)),
                n_newer_sources=n_newer,
                newer_note=newer_note(n_newer),
                needs_review=n_newer > 0,
            )
        )
    label = scope.params.scope_label()
    return KeyJudgments(
        items=items,
        omitted=omitted,
        omitted_note=count_of(omitted, "further judgment is", "further judgments are"),
        withheld=withheld,
        withheld_note=count_of(withheld, "judgment", "judgments"),
        selection=label[0].lower() + label[1:],
        terms=[words for words, _ in judgment_rules.SCALE.values()],
    )
