"""What sources published in a window of dates added to a brief: the brief at `as_of` compared
with the same brief at `changes_since`.

An item is new when the claims that support it all come from sources the brief could not yet
use on `changes_since` (published after that date, by `as_of`; a source of uncertain date
counts when its latest possible date is after it, as `as_of` takes it). Each row carries the
claim ids it rests on, so the section cites it like the rest of the brief.

Counts are tracked by what they measure: figures of one category, about the same countries and
side, in the same unit, by the same counter (or, when no counter is named, with the same words
for what is counted). A figure whose measure extends another's in the same group ("… recruited
in prison") is a part of it and is tracked apart.

A discrepancy is reported as opened when its versions first come together in the window, and
as resolved when the register marks it resolved on a date in the window (after `changes_since`,
by `as_of`) and the brief can cite the claim that settles it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .judgment_rules import SCALE
from .scope import Scope, format_date

# what a count of people is: the categories a reader follows from one brief to the next
COUNT_CATEGORIES = ("deaths", "combatants", "criminal_cases", "prisoners")
_HEDGES = ("at least", "about", "around", "nearly", "more than", "over", "up to", "approximately")
_QUALIFIERS = {
    "at_least": "at least",
    "approximately": "about",
    "more_than": "more than",
    "up_to": "up to",
}


@dataclass(frozen=True)
class NewPerson:
    person_id: str
    name: str
    country: str  # of origin, in words
    side: str
    status: str
    case_file: int | None  # the number of the person's case file, when the annex shows it
    claim_ids: tuple[str, ...]


@dataclass(frozen=True)
class NewCase:
    case_id: str
    jurisdiction: str
    person: str | None  # whom the case is against, when one person
    charge: str
    outcome: str
    claim_ids: tuple[str, ...]


@dataclass(frozen=True)
class CountChange:
    measure: str
    counted_by: str
    before: str | None  # "at least 40, as of 14 June 2023"; None: no earlier count
    now: str
    claim_ids: tuple[str, ...]  # the newest figure's claims, then the earlier one's


@dataclass(frozen=True)
class NewDiscrepancy:
    discrepancy_id: str
    subject: str
    claim_ids: tuple[str, ...]


@dataclass(frozen=True)
class ResolvedDiscrepancy:
    discrepancy_id: str
    subject: str
    resolved_on: str  # in words: "30 August 2023"
    resolved_by: str  # the publisher of the source whose claim settles it
    claim_ids: tuple[str, ...]  # the claim that settles it


@dataclass(frozen=True)
class Reassessed:
    judgment_id: str
    number: int  # its place among the key judgments
    assessed_on: str
    likelihood: str
    confidence: str
    claim_ids: tuple[str, ...]  # every claim it rests on
    new_claim_ids: tuple[str, ...]  # those from sources published in the window


@dataclass(frozen=True)
class Changes:
    since: dt.date
    until: pd.Timestamp
    source_ids: tuple[str, ...]  # the sources published in the window, oldest first
    uncertain_ids: tuple[str, ...]  # of those, the ones that may have been published earlier
    people: tuple[NewPerson, ...]
    cases: tuple[NewCase, ...]
    counts: tuple[CountChange, ...]
    discrepancies: tuple[NewDiscrepancy, ...]
    judgments: tuple[Reassessed, ...]
    resolved: tuple[ResolvedDiscrepancy, ...] = ()

    @property
    def nothing(self) -> bool:
        return not (
            self.people
            or self.cases
            or self.counts
            or self.discrepancies
            or self.resolved
            or self.judgments
        )


def earlier_scope(scope: Scope, since: dt.date) -> Scope:
    """The same brief as it could have been written on `since`."""
    return Scope(scope.ds, scope.params.model_copy(update={"as_of": since, "changes_since": None}))


def _ids(values: list[Any]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(str(v) for v in values))


def _value(f: Any) -> str:
    """'at least 40': the figure's words, with its qualifier when the words lack one."""
    text = str(f.value_text).strip()
    hedge = _QUALIFIERS.get(str(f.qualifier))
    if hedge and not text.lower().startswith(_HEDGES):
        text = f"{hedge} {text}"
    return text


def _when(f: Any) -> str:
    from .sections.scope_and_numbers import as_of_phrase

    return as_of_phrase(f.as_of_date, f.as_of_precision)


def measure_keys(figures: pd.DataFrame) -> dict[str, Hashable]:
    """Figure id -> what it measures (see the module's docstring)."""
    groups: dict[tuple[Any, ...], list[tuple[str, str]]] = {}
    for f in figures.itertuples():
        counter = None if pd.isna(f.counted_by_org_id) else str(f.counted_by_org_id)
        measure = str(f.measure).strip().lower()
        base = (
            f.figure_category,
            "" if pd.isna(f.country_scope) else str(f.country_scope),
            f.side,
            f.unit,
            counter if counter else measure,
        )
        groups.setdefault(base, []).append((str(f.figure_id), measure))
    keys: dict[str, Hashable] = {}
    for base, members in groups.items():  # a group is a few figures: pairs are cheap
        measures = {m for _, m in members}
        for figure_id, measure in members:
            part_of = any(m != measure and measure.startswith(m) for m in measures)
            keys[figure_id] = (*base, measure) if part_of else base
    return keys


def _newest(figures: pd.DataFrame, keys: dict[str, Hashable]) -> dict[Hashable, Any]:
    """Each measure's newest figure (the latest as-of date; of two on one date, neither: the
    measure is not one quantity then)."""
    newest: dict[Hashable, Any] = {}
    ambiguous: set[Hashable] = set()
    for f in figures.sort_values(["as_of_date_start", "figure_id"]).itertuples():
        key = keys[f.figure_id]
        held = newest.get(key)
        if held is not None and held.as_of_date_start == f.as_of_date_start:
            ambiguous.add(key)
        elif held is not None:
            ambiguous.discard(key)
        newest[key] = f
    return {k: v for k, v in newest.items() if k not in ambiguous}


def _counts(now: Scope, then: Scope) -> list[CountChange]:
    figures = now.ds.figures
    keys = measure_keys(figures[figures["figure_category"].isin(COUNT_CATEGORIES)])
    counted_now = now.figures[now.figures["figure_id"].isin(list(keys))]
    counted_then = then.figures[then.figures["figure_id"].isin(list(keys))]
    before, after = _newest(counted_then, keys), _newest(counted_now, keys)
    wanted = [k for k, f in after.items() if k not in before or before[k].figure_id != f.figure_id]
    ids = [after[k].figure_id for k in wanted] + [
        before[k].figure_id for k in wanted if k in before
    ]
    claims = dict(zip(ids, now.lookups.claim_ids_for("figure_id", ids), strict=True))
    rows = []
    for key in sorted(wanted, key=lambda k: (after[k].as_of_date_start, after[k].figure_id)):
        f, old = after[key], before.get(key)
        if old is not None and _value(old) == _value(f):
            continue  # the same number, counted again
        counter = now.org_name(f.counted_by_org_id)
        if not counter:  # as the table of death counts names it
            first = now.lookups.claim(claims[f.figure_id][0])
            speaker = first["speaker_person_id"]
            counter = (
                f"{now.person_name(str(speaker))} (an assertion, not a count)"
                if pd.notna(speaker)
                else f"{now.lookups.publisher_name(str(first['source_id']))} (no counter named)"
            )
        rows.append(
            CountChange(
                measure=str(f.measure),
                counted_by=counter,
                before=None if old is None else f"{_value(old)}, {_when(old)}",
                now=f"{_value(f)}, {_when(f)}",
                claim_ids=_ids(claims[f.figure_id] + (claims[old.figure_id] if old else [])),
            )
        )
    return rows


def _resolved(scope: Scope, since: dt.date) -> list[ResolvedDiscrepancy]:
    """Discrepancies in the brief's scope that the register marks resolved after `since` and by
    the brief's date, by a claim the brief can cite; oldest resolution first."""
    register = scope.ds.discrepancies
    if "status" not in register.columns:
        return []  # a package without the status columns: nothing is marked resolved
    in_scope = scope.discrepancies["discrepancy_id"].unique().tolist()
    resolved = register[
        (register["status"] == "resolved")
        & register["discrepancy_id"].isin(in_scope)
        & (register["resolved_on"] > pd.Timestamp(since))
        & (register["resolved_on"] <= scope.as_of)
    ].sort_values(["resolved_on", "discrepancy_id"])
    rows = []
    for d in resolved.itertuples():
        claim = str(d.resolved_by_claim_id)
        if not scope.lookups.is_visible(claim):
            continue  # the brief could not cite what settles it
        source = str(scope.lookups.claim(claim)["source_id"])
        rows.append(
            ResolvedDiscrepancy(
                discrepancy_id=str(d.discrepancy_id),
                subject=str(d.subject),
                resolved_on=format_date(d.resolved_on),
                resolved_by=scope.lookups.publisher_name(source),
                claim_ids=(claim,),
            )
        )
    return rows


def changes(scope: Scope, since: dt.date) -> Changes:
    """What the brief at scope.as_of holds that the same brief on `since` did not."""
    then = earlier_scope(scope, since)
    new_sources = scope.sources[~scope.sources["source_id"].isin(then.sources["source_id"])]

    from .sections._common import CASE_FILES_MAX, STATUS_LABELS, country_name, side_name

    combatants = scope.combatants
    position = {p: n for n, p in enumerate(combatants["person_id"].tolist(), 1)}
    people = combatants[~combatants["person_id"].isin(then.combatants["person_id"])]
    ids = people["person_id"].tolist()
    about = scope.lookups.claim_ids_for("person_id", ids)
    said = scope.lookups.claim_ids_for("speaker_person_id", ids)
    new_people = tuple(
        NewPerson(
            person_id=p.person_id,
            name=scope.person_name(p.person_id),
            country=country_name(p.country_of_origin),
            side=side_name(p.side),
            status=STATUS_LABELS.get(p.status, p.status),
            case_file=position[p.person_id] if position[p.person_id] <= CASE_FILES_MAX else None,
            claim_ids=_ids(a + s),
        )
        for p, a, s in zip(people.itertuples(), about, said, strict=True)
    )

    cases = scope.cases[~scope.cases["case_id"].isin(then.cases["case_id"])]
    case_claims = scope.lookups.claim_ids_for("case_id", cases["case_id"])
    new_cases = tuple(
        NewCase(
            case_id=c.case_id,
            jurisdiction="Russia" if c.jurisdiction == "RU" else country_name(c.jurisdiction),
            person=None if pd.isna(c.person_id) else scope.person_name(c.person_id),
            charge=str(c.charge),
            outcome=str(c.outcome),
            claim_ids=_ids(claims),
        )
        for c, claims in zip(cases.itertuples(), case_claims, strict=True)
    )

    disc = scope.discrepancies
    opened = disc[~disc["discrepancy_id"].isin(then.discrepancies["discrepancy_id"])]
    new_disc = tuple(
        NewDiscrepancy(
            discrepancy_id=str(d),
            subject=str(group["subject"].iloc[0]),
            claim_ids=_ids(group["claim_id"].tolist()),
        )
        for d, group in opened.groupby("discrepancy_id", sort=False)
    )

    shown, _ = scope.judgments
    since_ts = pd.Timestamp(since)
    jc = scope.ds.judgment_claims
    fresh = set(new_sources["source_id"].tolist())
    reassessed = []
    for n, j in enumerate(shown.itertuples(), 1):
        if j.assessed_on <= since_ts:
            continue
        rests_on = _ids(jc.loc[jc["judgment_id"] == j.judgment_id, "claim_id"].tolist())
        reassessed.append(
            Reassessed(
                judgment_id=j.judgment_id,
                number=n,
                assessed_on=format_date(j.assessed_on),
                likelihood=SCALE[j.estimative_term][0],
                confidence=str(j.confidence),
                claim_ids=rests_on,
                new_claim_ids=tuple(
                    c for c in rests_on if str(scope.lookups.claim(c)["source_id"]) in fresh
                ),
            )
        )
    return Changes(
        since=since,
        until=scope.as_of,
        source_ids=tuple(new_sources["source_id"].tolist()),
        uncertain_ids=tuple(
            new_sources.loc[
                ~(new_sources["published_earliest"] > pd.Timestamp(since)), "source_id"
            ].tolist()
        ),
        people=new_people,
        cases=new_cases,
        counts=tuple(_counts(scope, then)),
        discrepancies=new_disc,
        judgments=tuple(reassessed),
        resolved=tuple(_resolved(scope, since)),
    )
