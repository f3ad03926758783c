"""Recruitment tactics: the channels, the reports and cases that show each, and a timeline."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from .. import editorial, figures
from ..scope import Scope, format_date
from ._common import (
    CLAIMS_PER_ITEM_MAX,
    TACTICS_MAX,
    Chart,
    ClaimRow,
    SectionResult,
    capped,
    claim_rows,
    in_sentence,
    side_name,
    told_before,
    told_in,
)

QUALIFIED_TIMES = ("early", "mid", "late")


def event_when(date: Any, precision: Any, worded: Any) -> str:
    """The event's date as the brief writes it, keeping the source's 'early' or 'late'."""
    text = format_date(date, precision)
    if isinstance(worded, str) and precision == "month":
        for word in QUALIFIED_TIMES:
            if f"{word} " in worded.lower():
                return f"{word} {text}"
    return text


def _combatant_speakers(scope: Scope) -> set[str]:
    return set(scope.combatants["person_id"].tolist())


def _channel_claims(scope: Scope) -> list[tuple[Any, list[str], list[str], list[str]]]:
    """Each channel with the claims that show it (told once: a claim goes under the first
    channel that lists it; a fighter's own account is left to the section on the two sides)
    and the persons in scope whose case shows it."""
    te = scope.tactic_evidence  # only evidence whose claim is visible
    tactics, _ = capped(scope.ds.tactics, TACTICS_MAX)
    in_scope = set(scope.combatants["person_id"].tolist())
    evidence = dict(
        tuple(te[te["tactic_id"].isin(list(tactics["tactic_id"]))].groupby("tactic_id", sort=False))
    )
    earlier = told_before(scope, "recruitment_tactics")
    speakers = _combatant_speakers(scope)
    candidates = list(dict.fromkeys(te["claim_id"].tolist()))
    extra = editorial.channel_evidence(scope.ds)
    candidates += [c for ids in extra.values() for c in ids if scope.lookups.is_visible(c)]
    said = scope.lookups.claims_frame(candidates)
    speaker_of = dict(
        zip(said["claim_id"].tolist(), said["speaker_person_id"].tolist(), strict=True)
    )
    seen: dict[str, str] = {}  # claim -> the channel it is told under
    found = []
    for t in tactics.itertuples():
        ev = evidence.get(t.tactic_id, te.iloc[0:0])
        ids = list(dict.fromkeys(ev["claim_id"].tolist()))
        ids += [c for c in extra.get(t.tactic_id, []) if scope.lookups.is_visible(c)]
        told = [
            c
            for c in dict.fromkeys(ids)
            if c not in seen and c not in earlier and speaker_of.get(c) not in speakers
        ]
        seen.update({c: str(t.name) for c in told})
        persons = [p for p in ev["person_id"].dropna().unique() if p in in_scope]
        found.append((t, ids, told, persons))
    return found


def told_claims(scope: Scope) -> list[str]:
    """The claims this section tells (each fact once: later sections point here)."""
    return [c for _, _, told, _ in _channel_claims(scope) for c in told[:CLAIMS_PER_ITEM_MAX]]


CATEGORY_LABELS = {
    "coercion": "Coercion",
    "alleged_abduction": "Alleged abduction",
    "inducement": "Inducements",
    "institutional_channel": "Institutional channels",
    "outreach": "Street and community outreach",
    "online": "Online recruiters",
    "private_military_company": "Private military companies",
    "prison": "Prisons",
}


@dataclass(frozen=True)
class Channel:
    """One recruitment channel: its reports, told here or pointed to, and its cases in scope."""

    tactic_id: str
    name: str
    name_in_sentence: str
    category: str
    description: str
    n_reports: int
    n_cases: int
    claim_ids: list[str]  # every report of the channel
    claims: list[ClaimRow]  # the reports told here
    told_elsewhere: list[str]  # where the others are told
    claims_omitted: int


@dataclass(frozen=True)
class ContestedVersion:
    version: str
    claim_id: str


@dataclass(frozen=True)
class Contested:
    subject: str
    versions: list[ContestedVersion]


@dataclass(frozen=True, kw_only=True)
class RecruitmentTactics(SectionResult):
    taxonomy: list[Channel]
    tactics_omitted: int
    by_category: dict[str, list[Channel]]  # the channels with reports, by kind
    n_tactics_reported: int
    most_reported: list[Channel]
    most_reported_claim_ids: list[str]
    most_in_cases: list[Channel]
    n_without_cases: int
    n_measures: int
    n_events: int
    first_event: str | None
    last_event: str | None
    event_claim_ids: list[str]  # the first and the last event's
    contested: list[Contested]
    contested_omitted: int


def channel_counts(scope: Scope) -> pd.DataFrame:
    """Distinct individuals in scope whose case shows each tactic, by side."""
    te = scope.tactic_evidence.dropna(subset=["person_id"])
    merged = (
        te[["person_id", "tactic_id"]]
        .merge(scope.combatants[["person_id", "side"]], on="person_id")
        .merge(scope.ds.tactics[["tactic_id", "name", "tactic_category"]], on="tactic_id")
    )
    counts = (
        merged.groupby(["name", "tactic_category", "side"])["person_id"]
        .nunique()
        .rename("cases")
        .reset_index()
    )
    counts = counts.rename(columns={"name": "tactic", "tactic_category": "category"})
    counts["side"] = counts["side"].map(side_name)
    return counts


def analyse(scope: Scope) -> RecruitmentTactics:
    tactics_omitted = max(0, len(scope.ds.tactics) - TACTICS_MAX)
    found = _channel_claims(scope)
    shown_claims = scope.lookups.claims_frames(
        [told[:CLAIMS_PER_ITEM_MAX] for _, _, told, _ in found]
    )
    rows = []
    from . import SECTION_TITLES

    where_told = told_in(scope)
    under: dict[str, str] = {}
    for t, _, told, _ in found:
        under.update({c: str(t.name) for c in told})
    quoted = editorial.in_their_words(scope.ds, "recruitment_tactics")
    for (t, claim_ids, told, persons), claims in zip(found, shown_claims, strict=True):
        told_rows = claim_rows(scope, claims, quoted)
        elsewhere = list(
            dict.fromkeys(
                under.get(c) or SECTION_TITLES.get(where_told.get(c, ""), "the case files")
                for c in claim_ids
                if c not in told
            )
        )
        rows.append(
            Channel(
                tactic_id=t.tactic_id,
                name=t.name,
                name_in_sentence=in_sentence(str(t.name)),
                category=CATEGORY_LABELS[t.tactic_category],
                description=t.description,
                n_reports=len(claim_ids),
                n_cases=len(persons),
                claim_ids=claim_ids,
                claims=told_rows,
                told_elsewhere=[w for w in elsewhere if w != t.name],
                claims_omitted=max(0, len(told) - CLAIMS_PER_ITEM_MAX),
            )
        )
    by_category: dict[str, list[Channel]] = {}
    for row in rows:
        if row.n_reports:
            by_category.setdefault(row.category, []).append(row)
    reported = sorted((r for r in rows if r.n_reports), key=lambda r: -r.n_reports)
    in_cases = sorted((r for r in rows if r.n_cases), key=lambda r: -r.n_cases)
    events = scope.events
    # the chart needs only these columns: a copy of every column would be large on a large dataset
    charted = events[["event_id", "event_date_start", "event_type", "date_basis"]].assign(
        short_label=events["event_id"].map(editorial.short_labels(scope.ds)).fillna(events["title"])
    )
    measures = events[events["event_type"] == "russian_measure"]
    contested = scope.discrepancies[scope.discrepancies["discrepancy_kind"] == "contested"]
    contested_ids, contested_omitted = capped(
        list(dict.fromkeys(contested["discrepancy_id"].tolist())), CLAIMS_PER_ITEM_MAX
    )
    return RecruitmentTactics(
        taxonomy=rows,
        tactics_omitted=tactics_omitted,
        by_category=by_category,
        n_tactics_reported=len(reported),
        most_reported=reported[:3],
        most_reported_claim_ids=[c for r in reported[:3] for c in r.claim_ids],
        most_in_cases=in_cases[:3],
        n_without_cases=sum(1 for r in reported if not r.n_cases),
        n_measures=len(measures),
        n_events=len(events),
        first_event=event_when(
            events["event_date"].iloc[0],
            events["date_precision"].iloc[0],
            events["date_text"].iloc[0],
        )
        if len(events)
        else None,
        last_event=event_when(
            events["event_date"].iloc[-1],
            events["date_precision"].iloc[-1],
            events["date_text"].iloc[-1],
        )
        if len(events)
        else None,
        event_claim_ids=[
            c
            for ids in scope.lookups.claim_ids_for("event_id", events["event_id"].iloc[[0, -1]])
            for c in ids
        ]
        if len(events)
        else [],
        contested=[
            Contested(
                subject=g["subject"].iloc[0],
                versions=[
                    ContestedVersion(v, c)
                    for v, c in zip(g["version"].tolist(), g["claim_id"].tolist(), strict=True)
                ],
            )
            for _, g in contested[contested["discrepancy_id"].isin(contested_ids)].groupby(
                "discrepancy_id", sort=False
            )
        ],
        contested_omitted=contested_omitted,
        charts=(  # in the order the template shows them
            Chart("timeline", not events.empty, lambda n, r: figures.timeline(charted, n, r)),
        ),
    )
