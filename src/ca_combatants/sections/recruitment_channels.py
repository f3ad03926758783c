"""Annex: recruitment channels, report by report. Every report of each channel of the tactics
taxonomy that the brief does not tell elsewhere, each sentence naming whom it is about."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .. import editorial
from ..records import same_case_groups
from ..scope import Scope
from ._common import (
    CLAIMS_PER_ITEM_MAX,
    TACTICS_MAX,
    ClaimRow,
    SectionResult,
    capped,
    claim_rows,
    in_sentence,
    told_before,
    told_in,
)

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
CATEGORY_ORDER = list(CATEGORY_LABELS)


def _combatant_speakers(scope: Scope) -> set[str]:
    return set(scope.combatants["person_id"].tolist())


@dataclass(frozen=True)
class Found:
    """One channel with the claims that show it: all of them, and those this annex tells."""

    tactic: Any  # a row of the tactics table
    claim_ids: list[str]
    told: list[str]
    subject_of: dict[str, str]  # claim -> the person record it is about, when one


def channel_claims(scope: Scope) -> list[Found]:
    """Each channel with the claims that show it (told once: a claim goes under the first
    channel that lists it; a fighter's own account is left to the section on the two sides;
    claims told before the recruitment section, or by it, are pointed to)."""
    te = scope.tactic_evidence  # only evidence whose claim is visible
    tactics, _ = capped(scope.ds.tactics, TACTICS_MAX)
    order = {c: i for i, c in enumerate(CATEGORY_ORDER)}
    tactics = tactics.assign(_order=tactics["tactic_category"].map(order).fillna(len(order)))
    tactics = tactics.sort_values("_order", kind="stable")
    evidence = dict(
        tuple(te[te["tactic_id"].isin(list(tactics["tactic_id"]))].groupby("tactic_id", sort=False))
    )
    # the recruitment section tells these reports through this annex: what it tells itself, and
    # what the sections before it tell, are pointed to
    from .recruitment_tactics import featured_claims

    earlier = told_before(scope, "recruitment_tactics") | set(featured_claims(scope))
    speakers = _combatant_speakers(scope)
    candidates = list(dict.fromkeys(te["claim_id"].tolist()))
    extra = editorial.channel_evidence(scope.ds)
    candidates += [c for ids in extra.values() for c in ids if scope.lookups.is_visible(c)]
    said = scope.lookups.claims_frame(candidates)
    speaker_of = dict(
        zip(said["claim_id"].tolist(), said["speaker_person_id"].tolist(), strict=True)
    )
    seen: set[str] = set()
    found = []
    for t in tactics.itertuples():
        ev = evidence.get(t.tactic_id, te.iloc[0:0])
        ids = list(dict.fromkeys(ev["claim_id"].tolist()))
        ids += [c for c in extra.get(t.tactic_id, []) if scope.lookups.is_visible(c)]
        ids = list(dict.fromkeys(ids))
        told = [
            c
            for c in ids
            if c not in seen and c not in earlier and speaker_of.get(c) not in speakers
        ]
        seen.update(told)
        subject_of = {
            str(c): str(p)
            for c, p in zip(ev["claim_id"].tolist(), ev["person_id"].tolist(), strict=True)
            if isinstance(p, str)
        }
        found.append(Found(t, ids, told, subject_of))
    return found


def told_claims(scope: Scope) -> list[str]:
    """The claims this annex tells, for the recruitment section (each fact once: the case files
    and later sections point to them)."""
    return [c for f in channel_claims(scope) for c in f.told[:CLAIMS_PER_ITEM_MAX]]


# ----------------------------------------------------------------------------- naming the subject
_PRONOUN = re.compile(r"\b(he|she|his|her)\b", re.IGNORECASE)


def _possessive(name: str) -> str:
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def name_subject(
    statement: str, subject: str | None, parts: tuple[str, ...], speaker: str | None
) -> str:
    """The statement with its subject named where it leans on a pronoun ('In November 2022 he
    signed …' -> 'In November 2022 Erlan Ermekov signed …'), or led in by the name where it does
    not name him at all. `subject` is how to name the person the claim is about inside a
    sentence, `parts` the parts of a real name the statement may already hold (none for a person
    the sources describe but do not name), `speaker` who says it. A 'his' whose kin word is
    followed by the subject's own name is the speaker's ('His son Baurzhan …', said by his
    father)."""
    lowered = statement.lower()
    m = _PRONOUN.search(statement)
    if not parts and statement.startswith(("A ", "An ", "The ")):
        return statement  # the statement describes him: a later 'he' or 'his' is his
    names_him = any(p.lower() in lowered for p in parts)
    if m is None or (names_him and m.start() > 0):
        if subject and parts and not names_him:
            return f"{subject}: {statement[:1].lower()}{statement[1:]}"
        return statement
    word = m.group(1).lower()
    whose = subject
    if word in ("his", "her"):
        kin_and_rest = statement[m.end() :].strip().split(" ", 1)
        rest = kin_and_rest[1].lstrip(", ").lower() if len(kin_and_rest) > 1 else ""
        if any(rest.startswith(p.lower()) for p in parts):
            whose = speaker  # 'his son Baurzhan': the speaker's son
    if whose is None and speaker is not None and m.start() == 0:
        whose = speaker  # 'She described …', said by the speaker of herself
    if whose is None:
        return statement
    if statement[: m.start()].rstrip().endswith(("said", "says")) and whose != subject:
        return statement
    name = _possessive(whose) if word in ("his", "her") else whose
    if m.start() == 0:
        name = name[:1].upper() + name[1:]
    return statement[: m.start()] + name + statement[m.end() :]


def _short_name(scope: Scope, person_id: str) -> tuple[str | None, tuple[str, ...]]:
    """How to name a person inside a sentence, and the parts of a real name the sources may use
    alone (none for a person they describe but do not name)."""
    row = scope.lookups.person(person_id)
    if row is None:
        return None, ()
    if not bool(row["is_named"]) or pd.isna(row["name"]):
        label = str(scope.redactor.label(person_id)) if scope.redacting else str(row["label"])
        return "the " + label[:1].lower() + label[1:], ()
    name = str(row["name"])
    # the parts are only matched against the statement (redaction comes after, on the page)
    parts = tuple(p for p in re.split(r"[\s]+", name) if len(p) > 2 and p.lower() != "uulu")
    if scope.redacting and person_id in scope.redactor.codes:
        return scope.redactor.codes[person_id], parts or (name,)
    return name, parts or (name,)


@dataclass(frozen=True)
class Channel:
    tactic_id: str
    name: str
    name_in_sentence: str
    category: str
    description: str
    claims: list[ClaimRow]  # the reports told here, each naming its subject
    told_elsewhere: str  # "under fast-track Russian citizenship (above) and in The two sides"
    claim_ids: list[str]  # every report of the channel
    claims_omitted: int


@dataclass(frozen=True)
class Kind:
    label: str
    channels: list[Channel]


@dataclass(frozen=True, kw_only=True)
class RecruitmentChannels(SectionResult):
    kinds: list[Kind]
    n_channels: int
    tactics_omitted: int


def _and(items: list[str]) -> str:
    return (
        items[0]
        if len(items) == 1
        else ", ".join(items[:-1]) + " and " + items[-1]
        if items
        else ""
    )


def analyse(scope: Scope) -> RecruitmentChannels:
    from . import SECTION_TITLES

    found = channel_claims(scope)
    shown_claims = scope.lookups.claims_frames([f.told[:CLAIMS_PER_ITEM_MAX] for f in found])
    where_told = told_in(scope)
    under: dict[str, str] = {}
    for f in found:
        under.update({c: str(f.tactic.tactic_id) for c in f.told})
    position = {str(f.tactic.tactic_id): i for i, f in enumerate(found)}
    names = {str(f.tactic.tactic_id): in_sentence(str(f.tactic.name)) for f in found}
    individual_of = same_case_groups(scope.ds, scope.combatants["person_id"].tolist())
    quoted = editorial.in_their_words(scope.ds, "recruitment_tactics")
    kinds: dict[str, list[Channel]] = {}
    for i, (f, claims) in enumerate(zip(found, shown_claims, strict=True)):
        if not f.claim_ids:
            continue
        rows = []
        for row in claim_rows(scope, claims, quoted):
            claim = scope.lookups.claim(row.claim_id)
            person = f.subject_of.get(row.claim_id)
            if person is None and isinstance(claim["person_id"], str):
                person = claim["person_id"]
            subject, parts = (
                _short_name(scope, individual_of.get(person, person)) if person else (None, ())
            )
            speaker = (
                _short_name(scope, claim["speaker_person_id"])[0]
                if isinstance(claim["speaker_person_id"], str)
                else None
            )
            rows.append(
                dataclasses.replace(
                    row, statement=name_subject(row.statement, subject, parts, speaker)
                )
            )
        elsewhere: list[str] = []
        for c in f.claim_ids:
            if c in f.told:
                continue
            if c in under:
                where = f"under {names[under[c]]}" + (
                    " (above)" if position[under[c]] < i else " (below)"
                )
            else:
                where = "in " + SECTION_TITLES.get(where_told.get(c, ""), "the case files")
            if where not in elsewhere:
                elsewhere.append(where)
        kinds.setdefault(CATEGORY_LABELS[f.tactic.tactic_category], []).append(
            Channel(
                tactic_id=str(f.tactic.tactic_id),
                name=str(f.tactic.name),
                name_in_sentence=in_sentence(str(f.tactic.name)),
                category=CATEGORY_LABELS[f.tactic.tactic_category],
                description=str(f.tactic.description),
                claims=rows,
                told_elsewhere=_and(elsewhere),
                claim_ids=f.claim_ids,
                claims_omitted=max(0, len(f.told) - CLAIMS_PER_ITEM_MAX),
            )
        )
    return RecruitmentChannels(
        kinds=[Kind(label, channels) for label, channels in kinds.items()],
        n_channels=sum(len(v) for v in kinds.values()),
        tactics_omitted=max(0, len(scope.ds.tactics) - TACTICS_MAX),
    )
