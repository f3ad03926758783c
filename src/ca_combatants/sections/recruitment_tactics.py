"""Recruitment tactics: what the channels of recruitment show, kind by kind, with the count of
individuals whose case shows each (Table 3). Every report, channel by channel, is in the annex
`recruitment_channels`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .. import channels as channels_analysis
from .. import editorial
from ..scope import Scope, format_date
from ._common import (
    CLAIMS_PER_ITEM_MAX,
    TACTICS_MAX,
    ClaimRow,
    SectionResult,
    capped,
    claim_rows,
    in_sentence,
    told_before,
)
from .recruitment_channels import CATEGORY_LABELS, CATEGORY_ORDER

QUALIFIED_TIMES = ("early", "mid", "late")
# the kinds the section gives a paragraph of its own; the others share one
KINDS_TOLD = (
    "coercion",
    "inducement",
    "institutional_channel",
    "prison",
    "private_military_company",
)


def event_when(date: Any, precision: Any, worded: Any) -> str:
    """The event's date as the brief writes it, keeping the source's 'early' or 'late'."""
    text = format_date(date, precision)
    if isinstance(worded, str) and precision == "month":
        for word in QUALIFIED_TIMES:
            if f"{word} " in worded.lower():
                return f"{word} {text}"
    return text


def _featured(scope: Scope) -> list[tuple[str, str]]:
    """(tactic, claim) the editors chose for the section's paragraphs (data/editorial.csv: use
    'features' with a tactic_id), visible and not told before this section."""
    table = scope.ds.tables["editorial"]
    rows = table[(table["section"] == "recruitment_tactics") & (table["use"] == "features")]
    earlier = told_before(scope, "recruitment_tactics")
    return [
        (str(t), str(c))
        for t, c in zip(rows["tactic_id"].tolist(), rows["claim_id"].tolist(), strict=True)
        if isinstance(t, str) and scope.lookups.is_visible(str(c)) and c not in earlier
    ]


def featured_claims(scope: Scope) -> list[str]:
    """The claims the section's own paragraphs tell."""
    return list(dict.fromkeys(c for _, c in _featured(scope)))


def told_claims(scope: Scope) -> list[str]:
    """The claims this section tells, itself or through its annex of every report (each fact
    once: the case files and later sections point here)."""
    from .recruitment_channels import told_claims as told_in_annex

    return list(dict.fromkeys(featured_claims(scope) + told_in_annex(scope)))


@dataclass(frozen=True)
class ChannelLine:
    """One row of Table 3: individuals counted once each, same-case records as one."""

    tactic_id: str
    kind: str
    kind_first: bool  # the first row of its kind (the kind is printed once)
    name: str
    n_reports: int
    n_cases: int


@dataclass(frozen=True)
class Top:
    name_in_sentence: str
    n_cases: int


@dataclass(frozen=True)
class Measure:
    """A Russian measure behind a kind of channel, dated, with any misprint flagged."""

    title: str
    when: str
    flag: str | None  # "Global Voices prints the year as 2021"
    claim_ids: list[str]


@dataclass(frozen=True)
class KindParagraph:
    label: str
    channel: str | None  # the channel's name when the kind has one channel, capitalised
    channel_plural: bool  # 'Private military companies appear', 'Recruitment from prisons appears'
    n_channels: int
    n_reports: int
    n_individuals: int
    # a report (or an individual) that shows several of the kind's channels is counted once, so
    # the kind's counts can be smaller than the sum of its rows in the table
    counted_once: bool
    claim_ids: list[str]
    claims: list[ClaimRow]
    measures: list[Measure]


@dataclass(frozen=True)
class Contested:
    subject: str
    claim_ids: list[str]


@dataclass(frozen=True, kw_only=True)
class RecruitmentTactics(SectionResult):
    taxonomy: list[ChannelLine]
    tactics_omitted: int
    n_tactics_reported: int
    reported_claim_ids: list[str]  # every report of every channel
    n_individuals: int
    top: list[Top]
    top_claim_ids: list[str]
    n_without_cases: int
    without_cases: list[str]
    kinds: list[KindParagraph]
    others: str  # channels of the kinds without a paragraph, as a list in a sentence
    others_claim_ids: list[str]
    n_others_cases: int
    contested: list[Contested]
    contested_omitted: int
    channels_annex: str
    register_annex: str


_PREPOSITIONS = {"from", "of", "at", "to", "for", "in", "on", "by", "with"}


def _is_plural(name: str) -> bool:
    """Whether a channel's name takes a plural verb: its head noun is the word before the first
    preposition, or the last word ('Recruitment from prisons' is singular)."""
    words = name.lower().split()
    head = next((words[i - 1] for i, w in enumerate(words) if w in _PREPOSITIONS and i), words[-1])
    return head.endswith("s") and not head.endswith("ss")


def _and(items: list[str], sep: str = ", ") -> str:
    if len(items) <= 1:
        return "".join(items)
    last = sep.rstrip() + " and " if len(items) > 2 and sep != ", " else " and "
    return sep.join(items[:-1]) + last + items[-1]


def _misprint(scope: Scope, event: Any, claim_ids: list[str]) -> str | None:
    """Where the event's date is corrected, what its source prints instead."""
    if event.date_basis != "corrected":
        return None
    errors = scope.discrepancies[scope.discrepancies["discrepancy_kind"] == "error"]
    wrong = errors[errors["claim_id"].isin(claim_ids)]
    if wrong.empty:
        return None
    claim = scope.lookups.claim(str(wrong["claim_id"].iloc[0]))
    publisher = scope.lookups.publisher_name(str(claim["source_id"]))
    printed = re.findall(r"\b(1[89]\d\d|20\d\d)\b", str(event.date_text))
    actual = str(pd.Timestamp(event.event_date).year)
    if printed and printed[-1] != actual:
        return f"{publisher} prints the year as {printed[-1]}"
    return f"{publisher} prints another date"


def _measures(scope: Scope, tactic_ids: list[str]) -> list[Measure]:
    te = scope.tactic_evidence
    ids = set(te.loc[te["tactic_id"].isin(tactic_ids), "event_id"].dropna().tolist())
    events = scope.events[
        scope.events["event_id"].isin(sorted(ids))
        & (scope.events["event_type"] == "russian_measure")
    ]
    claims = scope.lookups.claim_ids_for("event_id", events["event_id"])
    return [
        Measure(
            title=str(e.title),
            when=event_when(e.event_date, e.date_precision, e.date_text),
            flag=_misprint(scope, e, c),
            claim_ids=c,
        )
        for e, c in zip(events.itertuples(), claims, strict=True)
    ]


_COMMON_OPENINGS = {"whether", "how", "what", "who", "where", "when", "why", "the", "a", "an"}
_COMMON_OPENINGS |= {"conviction", "year", "date", "number", "age", "place"}


def _in_list(subject: str) -> str:
    """A discrepancy's subject as it reads inside a list: a common first word lowercased, a
    name kept ('Ayan Alisherov's conviction')."""
    first = subject.split(" ", 1)[0]
    return subject[:1].lower() + subject[1:] if first.lower() in _COMMON_OPENINGS else subject


def analyse(scope: Scope) -> RecruitmentTactics:
    from . import ANNEXES

    result = channels_analysis.analyse(scope)
    order = {c: i for i, c in enumerate(CATEGORY_ORDER)}
    rows, _ = capped(list(result.rows), TACTICS_MAX)
    rows = sorted(rows, key=lambda r: order.get(r.category, len(order)))
    taxonomy = [
        ChannelLine(
            tactic_id=r.tactic_id,
            kind=CATEGORY_LABELS[r.category],
            kind_first=i == 0 or rows[i - 1].category != r.category,
            name=r.name,
            n_reports=r.n_reports,
            n_cases=r.n_cases,
        )
        for i, r in enumerate(rows)
    ]
    reported = [r for r in rows if r.n_reports]
    in_cases = [r for r in result.in_cases if r.tactic_id in {x.tactic_id for x in rows}]
    top = in_cases[:3]
    featured = _featured(scope)
    featured_claims = scope.lookups.claims_frames(
        [
            [c for t, c in featured if t in {r.tactic_id for r in reported if r.category == k}]
            for k in KINDS_TOLD
        ]
    )
    quoted = editorial.in_their_words(scope.ds, "recruitment_tactics")
    kinds = []
    for kind, claims in zip(KINDS_TOLD, featured_claims, strict=True):
        of_kind = [r for r in reported if r.category == kind]
        if not of_kind:
            continue
        ids = list(dict.fromkeys(c for r in of_kind for c in r.claim_ids))
        kinds.append(
            KindParagraph(
                label=CATEGORY_LABELS[kind],
                channel=of_kind[0].name if len(of_kind) == 1 else None,
                channel_plural=_is_plural(of_kind[0].name),
                n_channels=len(of_kind),
                n_reports=len(ids),
                n_individuals=len({c.person_id for r in of_kind for c in r.cases}),
                counted_once=len(ids) < sum(r.n_reports for r in of_kind)
                or len({c.person_id for r in of_kind for c in r.cases})
                < sum(r.n_cases for r in of_kind),
                claim_ids=ids,
                claims=claim_rows(scope, claims.iloc[:CLAIMS_PER_ITEM_MAX], quoted),
                measures=_measures(scope, [r.tactic_id for r in of_kind]),
            )
        )
    others = [r for r in reported if r.category not in KINDS_TOLD]
    contested = scope.discrepancies[scope.discrepancies["discrepancy_kind"] == "contested"]
    contested_ids, contested_omitted = capped(
        list(dict.fromkeys(contested["discrepancy_id"].tolist())), CLAIMS_PER_ITEM_MAX
    )
    return RecruitmentTactics(
        taxonomy=taxonomy,
        tactics_omitted=max(0, len(result.rows) - TACTICS_MAX),
        n_tactics_reported=len(reported),
        reported_claim_ids=list(dict.fromkeys(c for r in reported for c in r.claim_ids)),
        n_individuals=result.n_individuals,
        top=[Top(in_sentence(r.name), r.n_cases) for r in top],
        top_claim_ids=list(
            dict.fromkeys(c for r in top for case in r.cases for c in case.claim_ids)
        ),
        n_without_cases=sum(1 for r in reported if not r.n_cases),
        without_cases=[in_sentence(r.name) for r in reported if not r.n_cases],
        kinds=kinds,
        others=_and([in_sentence(r.name) for r in others], "; "),
        others_claim_ids=list(dict.fromkeys(c for r in others for c in r.claim_ids)),
        n_others_cases=len({c.person_id for r in others for c in r.cases}),
        contested=[
            Contested(
                subject=_in_list(str(g["subject"].iloc[0])),
                claim_ids=list(dict.fromkeys(g["claim_id"].tolist())),
            )
            for _, g in contested[contested["discrepancy_id"].isin(contested_ids)].groupby(
                "discrepancy_id", sort=False
            )
        ],
        contested_omitted=contested_omitted,
        channels_annex=ANNEXES["recruitment_channels"],
        register_annex=ANNEXES["sources_and_discrepancies"],
    )
