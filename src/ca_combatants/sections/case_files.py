"""Annex A, case files and chronology: one short, cited profile per person in scope, then the
timeline and every dated event in scope."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .. import editorial, figures
from ..dataset import isin
from ..scope import Scope
from ._common import (
    CASE_FILES_MAX,
    EVENTS_MAX,
    STATUS_LABELS,
    Chart,
    ClaimRow,
    SectionResult,
    capped,
    claim_rows,
    country_name,
    rows_of,
    side_name,
    told_in,
    with_claims,
)
from .recruitment_tactics import event_when


@dataclass(frozen=True)
class ToldIn:
    id: str
    title: str


@dataclass(frozen=True)
class IdentityLink:
    """Two records the analysts think may be one person (`possibly_same`), or infer are one case
    (`same_case`): told in the case file as a possibility, with its basis; never merged."""

    relation: str
    subject: str  # the sentence's subject: this file's person, or the record the link is about
    other: str
    other_anchor: str | None  # the other record's case file, when it has one
    basis: str | None  # None where an earlier case file gives it (each fact once)
    told_in: str | None  # that case file's anchor
    confidence: str
    claim_ids: list[str]


@dataclass(frozen=True)
class CaseFile:
    anchor: str
    name: str
    label: str | None  # a named person's heading is the name: the label would restate the record
    origin: str
    citizenships: str
    side: str
    status: str
    unit: str
    role: str | None
    notes: str | None
    public: bool
    claim_ids: list[str]
    claims: list[ClaimRow]  # the reports the brief proper does not tell
    told_in: list[ToldIn]  # the sections that tell the rest
    disputed: list[str]
    disputed_claim_ids: list[str]
    identity_links: list[IdentityLink]


@dataclass(frozen=True)
class ChronologyRow:
    when: str
    date_basis: str
    title: str
    description: Any
    claim_ids: list[str]


@dataclass(frozen=True, kw_only=True)
class CaseFiles(SectionResult):
    files: list[CaseFile]
    omitted: int
    chronology: tuple[ChronologyRow, ...]
    chronology_omitted: int


def _chronology(scope: Scope) -> tuple[pd.DataFrame, int]:
    """Every dated event in scope (the timeline shows them all, so the table lists them all)."""
    shown, omitted = capped(scope.events, EVENTS_MAX)
    shown = with_claims(scope, shown, "event_id")
    shown["when"] = [
        event_when(d, p, w)
        for d, p, w in zip(
            shown["event_date"].tolist(),
            shown["date_precision"].tolist(),
            shown["date_text"].tolist(),
            strict=True,
        )
    ]
    return shown, omitted


TIMELINE_CAPTION = (
    "The dated events in scope by kind, from Russia's measures (labelled) to Central Asian "
    "measures, legal steps, reported cases and media reports; the table below lists each one."
)


def _timeline(
    charted: pd.DataFrame, number: int, redact: Callable[[str], str]
) -> figures.Figure | None:
    """The timeline, captioned for its place above the chronology's table."""
    drawn = figures.timeline(charted, number, redact)
    return None if drawn is None else dataclasses.replace(drawn, caption=redact(TIMELINE_CAPTION))


def _once(first_with: dict[str, str], text: Any, name: str) -> str | None:
    """A profile's text, or a pointer to the earlier profile that gives the same text."""
    if not isinstance(text, str) or not text:
        return None
    if text in first_with:
        return f"As for {first_with[text]}, above."
    first_with[text] = name
    return text


def _pointed_once(role: str | None, notes: str | None) -> tuple[str | None, str | None]:
    """A profile whose summary and note both repeat one earlier profile points there once."""
    if role is not None and role == notes and role.startswith("As for "):
        return role.removesuffix(".") + " (summary and analysts' note).", None
    return role, notes


def inferred(person: Any, column: str) -> bool:
    """Whether the record's `column` (side_basis, status_basis) marks an inference; a column
    the data does not hold, or leaves empty, is read as stated."""
    value = getattr(person, column, None)
    return isinstance(value, str) and value == "inferred"


_LOWER_FIRST = {"both", "same", "each", "neither", "one", "the", "a", "an", "his", "their"}


def _as_subject(name: str, is_named: bool) -> str:
    """A record's name as a sentence's subject: 'the 30-year-old Kyrgyz prisoner …' for a
    record the sources do not name, the name (or a redacted code) otherwise."""
    first = name.split(" ", 1)[0]
    if not is_named and (first[:1].isdigit() or first.lower() == "unnamed"):
        return "the " + name[:1].lower() + name[1:]
    return name


def _in_sentence(text: str) -> str:
    """An analysts' basis after a colon: 'Same age (30), …' -> 'same age (30), …'."""
    first = text.split(" ", 1)[0]
    return text[:1].lower() + text[1:] if first.lower() in _LOWER_FIRST else text


def _identity_links(scope: Scope, file_of: dict[str, str]) -> dict[str, list[IdentityLink]]:
    """Each identity link whose two records are known by the as-of date and which a visible
    claim supports, under the case file of each linked record; a link between two records
    without case files (two reports of a fighter's uncle) goes under the file of the person
    the linked records speak about."""
    links = scope.ds.tables.get("person_identity_links")
    link_claims = scope.ds.tables.get("person_identity_link_claims")
    if links is None or link_claims is None or not len(links):
        return {}
    visible = set(scope.persons_visible["person_id"].tolist())
    named = dict(
        zip(
            scope.ds.persons["person_id"].tolist(),
            scope.ds.persons["is_named"].tolist(),
            strict=True,
        )
    )
    cited: dict[str, list[str]] = {}
    for link_id, claim_id in zip(
        link_claims["link_id"].tolist(), link_claims["claim_id"].tolist(), strict=True
    ):
        if scope.lookups.is_visible(claim_id):
            cited.setdefault(str(link_id), []).append(str(claim_id))
    claims = scope.claims
    found: dict[str, list[IdentityLink]] = {}
    for link in links.itertuples():
        pair = (str(link.person_id), str(link.other_person_id))
        ids = cited.get(str(link.link_id), [])
        if not ids or not all(p in visible for p in pair):
            continue
        holders = sorted((p for p in pair if p in file_of), key=list(file_of).index)
        if not holders:  # the person the linked records speak about, when that person has a file
            spoken = claims[claims["speaker_person_id"].isin(pair) | claims["claim_id"].isin(ids)]
            holders = [p for p in dict.fromkeys(spoken["person_id"].dropna()) if p in file_of]
        for n, holder in enumerate(holders):
            this, other = pair if holder != pair[1] else (pair[1], pair[0])
            subject = _as_subject(scope.person_name(this), bool(named.get(this)))
            found.setdefault(holder, []).append(
                IdentityLink(
                    relation=str(link.relation),
                    # a label with a comma of its own closes with one: "X's uncle, unnamed by Orda,"
                    subject=subject + ("," if "," in subject else ""),
                    other=_as_subject(scope.person_name(other), bool(named.get(other))),
                    other_anchor=file_of.get(other),
                    basis=None if n else _in_sentence(str(link.basis).strip()),
                    told_in=file_of[holders[0]] if n else None,
                    confidence=str(link.confidence),
                    claim_ids=ids,
                )
            )
    return found


def analyse(scope: Scope) -> CaseFiles:
    from . import SECTION_ORDER, SECTION_TITLES

    disc = scope.discrepancies
    told = told_in(scope)
    files = []
    shown, omitted = capped(scope.combatants, CASE_FILES_MAX)
    shown_ids = shown["person_id"]
    about = scope.lookups.claim_ids_for("person_id", shown_ids)
    said = scope.lookups.claim_ids_for("speaker_person_id", shown_ids)
    claim_ids = [list(dict.fromkeys(a + s)) for a, s in zip(about, said, strict=True)]
    shown_disc = disc[isin(disc["claim_id"], [c for ids in claim_ids for c in ids])]
    subjects: dict[str, list[str]] = {}
    for claim_id, subject in zip(
        shown_disc["claim_id"].tolist(), shown_disc["subject"].tolist(), strict=True
    ):
        subjects.setdefault(claim_id, []).append(subject)
    # each fact once: a claim the brief proper tells is pointed to, not repeated
    untold = [[c for c in ids if c not in told] for ids in claim_ids]
    claims_of = scope.lookups.claims_frames(untold)
    first_with: dict[str, str] = {}  # a record's text -> the first profile that gives it
    file_of = {pid: f"case-{n}" for n, pid in enumerate(shown_ids.tolist(), 1)}
    links_of = _identity_links(scope, file_of)
    for n, (p, ids, claims) in enumerate(
        zip(shown.itertuples(), claim_ids, claims_of, strict=True), 1
    ):
        disputed = [
            str(_once(first_with, s, scope.person_name(p.person_id)))
            .removesuffix(", above.")
            .replace("As for", "as for")
            for s in dict.fromkeys(s for c in ids for s in subjects.get(c, []))
        ]
        disputed_claims = [c for c in ids if c in subjects]
        citizenships = (
            [country_name(c) for c in str(p.citizenships).split(";")]
            if pd.notna(p.citizenships)
            else []
        )
        sections = sorted({told[c] for c in ids if c in told}, key=SECTION_ORDER.index)
        role, notes = _pointed_once(
            _once(first_with, p.role, scope.person_name(p.person_id)),
            _once(first_with, p.notes, scope.person_name(p.person_id)),
        )
        files.append(
            CaseFile(
                anchor=f"case-{n}",
                name=scope.person_name(p.person_id),
                label=None if bool(p.is_named) else p.label,
                origin=country_name(p.country_of_origin),
                citizenships=", ".join(citizenships) or "not stated",
                side=side_name(p.side)
                + (" (inferred from context)" if inferred(p, "side_basis") else ""),
                status=STATUS_LABELS.get(p.status, p.status)
                + (" (inferred from context)" if inferred(p, "status_basis") else ""),
                unit=scope.lookups.org_name(p.unit_org_id) or "not stated",
                role=role,
                notes=notes,
                public=bool(p.is_public_figure),
                claim_ids=ids,
                claims=claim_rows(scope, claims),
                told_in=[ToldIn(s, SECTION_TITLES[s]) for s in sections],
                disputed=disputed,
                disputed_claim_ids=disputed_claims,
                identity_links=links_of.get(p.person_id, []),
            )
        )
    chronology, chronology_omitted = _chronology(scope)
    events = scope.events
    # the chart needs only these columns: a copy of every column would be large on a large dataset
    charted = events[["event_id", "event_date_start", "event_type", "date_basis"]].assign(
        short_label=events["event_id"].map(editorial.short_labels(scope.ds)).fillna(events["title"])
    )
    return CaseFiles(
        files=files,
        omitted=omitted,
        chronology=rows_of(chronology, ChronologyRow),
        chronology_omitted=chronology_omitted,
        charts=(
            Chart("chronology_timeline", not events.empty, lambda n, r: _timeline(charted, n, r)),
        ),
    )
