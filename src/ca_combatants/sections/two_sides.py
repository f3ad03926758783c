"""The two sides: who fights for Russia and who for Ukraine, how they got there, why, in which units."""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass

import pandas as pd

from .. import channels, editorial
from ..dataset import isin
from ..scope import Scope
from ._common import (
    CLAIMS_PER_ITEM_MAX,
    NAMES_MAX,
    ClaimRow,
    SectionResult,
    claim_rows,
    country_name,
    first_matching,
    in_sentence,
    side_name,
    told_before,
)

_orgs: weakref.WeakKeyDictionary[Scope, tuple[dict[str, list[str]], dict[str, str]]] = (
    weakref.WeakKeyDictionary()
)


def _orgs_by_discrepancy(scope: Scope) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Discrepancy -> the organisations its claims are about, in the register's order, and each
    organisation's kind; worked out once per scope (every formation shown asks)."""
    if scope not in _orgs:
        linked = scope.ds.discrepancy_claims.merge(
            scope.ds.claims[["claim_id", "org_id"]], on="claim_id"
        )
        orgs_in: dict[str, list[str]] = {}
        for d, o in zip(linked["discrepancy_id"].tolist(), linked["org_id"].tolist(), strict=True):
            if isinstance(o, str):
                orgs_in.setdefault(str(d), []).append(o)
        organisations = scope.ds.organisations
        kind_of = dict(
            zip(organisations["org_id"].tolist(), organisations["org_kind"].tolist(), strict=True)
        )
        _orgs[scope] = (orgs_in, kind_of)
    return _orgs[scope]


def _with_other_names(scope: Scope, org_id: str) -> str:
    """A formation's name, with the names other sources give it where the discrepancy register
    records the difference: "Turan Turkic Legion (also reported as …; see the discrepancy
    register)"."""
    name = scope.lookups.org_name(org_id)
    orgs_in, kind_of = _orgs_by_discrepancy(scope)
    mine = [d for d, orgs in orgs_in.items() if org_id in orgs]
    others = [  # other formations in the same disagreement, not outlets or authorities
        scope.lookups.org_name(o)
        for o in dict.fromkeys(o for d in orgs_in if d in mine for o in orgs_in[d])
        if o != org_id and kind_of.get(o) == kind_of.get(org_id)
    ]
    if not others:
        return name
    also = " and ".join([", ".join(others[:-1]), others[-1]]) if len(others) > 1 else others[0]
    return f"{name} (also reported as {also}; see the discrepancy register)"


@dataclass(frozen=True)
class TopPath:
    name: str
    n: int


@dataclass(frozen=True)
class Said:
    """What a person on one side says: their own words quoted, or the reporter's paraphrase."""

    claim_ids: tuple[str, ...]
    words: str | None  # the speaker's own words, quoted
    speaker: str | None
    text: str  # the paraphrase, as a sentence that names its subject, with who reports it
    reported_by: str
    notes: list[str]


@dataclass(frozen=True)
class Came:
    """How one person with no recruitment channel came to the side, as the sources state it."""

    text: str
    claim_ids: list[str]


@dataclass(frozen=True)
class SideColumn:
    """One side, as the table and the lead compare it."""

    side: str  # "Russia"
    n: int
    countries: list[str]  # "Kazakhstan (3)"
    units: list[str]
    paths: list[str]  # "Fast-track citizenship (2)", the most common first
    paths_omitted: int  # further channels, in the recruitment tactics table
    n_with_path: int
    top_path: TopPath | None
    path_claim_ids: list[str]
    came: list[Came]  # how those with no recruitment channel came
    person_claim_ids: list[str]
    motives: list[Said]  # what people on this side say
    motives_omitted: int


@dataclass(frozen=True, kw_only=True)
class TwoSides(SectionResult):
    columns: list[SideColumn]
    general: list[ClaimRow]  # how the articles read the two sides


def _said(scope: Scope, group: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """What people on one side say (claims they speak), less what an earlier section told."""
    earlier = told_before(scope, "two_sides")
    mask = isin(scope.claims["speaker_person_id"], group["person_id"]) & ~isin(
        scope.claims["claim_id"], list(earlier)
    )
    return first_matching(scope.claims, mask, CLAIMS_PER_ITEM_MAX)


PATHS_SHOWN = 3  # the table names the commonest routes; the recruitment tactics table has all
CAME_LABEL = "How they came"  # the editorial label of the claims that say how someone came
_PRONOUN = re.compile(r"^(He|She|They|Both)\s+")


def said(row: ClaimRow) -> Said:
    """A person's own words stay a quote; anything else is the reporter's paraphrase, said as
    the reporter's, in a sentence that names its subject ('He has fought …' becomes 'Almaz says,
    according to 24.kg, that he has fought …')."""
    notes = [
        *(
            {
                4: ["graded doubtful"],
                5: ["graded improbable"],
                6: ["its truth cannot be judged"],
            }.get(row.credibility, [])
        ),
        *(["cannot be right: see the discrepancy register"] if row.cannot_be_right else []),
    ]
    statement = row.statement.strip()
    if row.speaker and _PRONOUN.match(statement):
        rest = statement[0].lower() + statement[1:]
        text = f"{row.speaker} says, according to {row.reported_by}, that {rest}"
    else:
        # who said it, as the reporter tells it; a speaker known only by a description with
        # parentheses of its own is left to the sentence ('One captive said …'), never nested
        who = row.attribution if "(" not in row.attribution else row.reported_by
        text = f"{statement} ({who})" if who else statement
    return Said((row.claim_id,), row.words, row.speaker, text, row.reported_by, notes)


def merged(rows: list[Said]) -> list[Said]:
    """Paraphrases in a row from one report, one item: 'One captive said …. The other said …
    (Global Voices)' reads as one account, not as two sentences without a subject."""
    out: list[Said] = []

    def suffix(r: Said) -> str:
        return f" ({r.reported_by})"

    for r in rows:
        last = out[-1] if out else None
        if (
            last
            and not last.words
            and not r.words
            and not last.notes
            and not r.notes
            and last.reported_by == r.reported_by
            and last.text.endswith(suffix(last))
            and r.text.endswith(suffix(r))
        ):
            text = f"{last.text[: -len(suffix(last))]} {r.text}"
            out[-1] = Said(
                last.claim_ids + r.claim_ids, None, last.speaker, text, r.reported_by, []
            )
        else:
            out.append(r)
    return out


def came_text(name: str, statement: str, recorded: str = "") -> str:
    """The sentence names the person: 'Both had lived …' about Abu Yunus reads 'Abu Yunus had
    lived …'. A statement that names the person as recorded stays as it is (a redacted brief
    codes the name later, in the whole text)."""
    statement = statement.strip()
    if name in statement or (recorded and recorded in statement):
        return statement
    match = _PRONOUN.match(statement) or re.match(r"^\S+\s+", statement)
    return f"{name} {statement[match.end() :]}" if match else statement


def _came(scope: Scope, without: pd.DataFrame) -> list[Came]:
    choices = scope.ds.tables["editorial"]
    chosen = choices[
        (choices["section"] == "two_sides")
        & (choices["use"] == "features")
        & (choices["label"] == CAME_LABEL)
    ]["claim_id"].tolist()
    claims = scope.lookups.claims_frame([c for c in chosen if scope.lookups.is_visible(c)])
    found = []
    for p, role, recorded in zip(
        without["person_id"].tolist(),
        without["role"].tolist(),
        without["name"].fillna("").astype(str).tolist(),
        strict=True,
    ):
        name = scope.person_name(p)
        mine = claims[claims["person_id"] == p]
        if len(mine):
            found.append(
                Came(
                    "; ".join(
                        came_text(name, s, recorded).rstrip(".") for s in mine["statement"].tolist()
                    ),
                    mine["claim_id"].tolist(),
                )
            )
        elif isinstance(role, str) and role:
            found.append(Came(f"{name}: {role.split(';')[0].strip()}", []))
    return found


def _general(scope: Scope) -> list[str]:
    earlier = told_before(scope, "two_sides")
    came = set(_came_claims(scope))
    listed = scope.lookups.claims_listed(
        [c for c in editorial.featured(scope.ds, "two_sides") if c not in came]
    )["claim_id"].tolist()
    return [c for c in listed if c not in earlier]


def _came_claims(scope: Scope) -> list[str]:
    choices = scope.ds.tables["editorial"]
    return [
        str(c)
        for c in choices[
            (choices["section"] == "two_sides")
            & (choices["use"] == "features")
            & (choices["label"] == CAME_LABEL)
        ]["claim_id"].tolist()
        if scope.lookups.is_visible(c)
    ]


def told_claims(scope: Scope) -> list[str]:
    """The claims this section tells (each fact once: the case files point here)."""
    people = scope.individuals
    ids = _said(scope, people)[0]["claim_id"].tolist()
    return ids + _general(scope) + _came_claims(scope)


def analyse(scope: Scope) -> TwoSides:
    people = scope.individuals
    records = scope.combatants
    sides = ["russia", "ukraine"] if scope.params.side == "both" else [scope.params.side]
    # routes counted as Table 3 of recruitment tactics counts them: individuals, once each per
    # channel, with every record of one case and all of its evidence
    routes = channels.analyse(scope).in_cases
    columns = []
    for side in sides:
        label = side_name(side)
        group = people[people["side"] == side]
        shown_group = group[:NAMES_MAX]
        cases = [(r, [c for c in r.cases if c.side == label]) for r in routes]
        cases = sorted(
            [(r, found) for r, found in cases if found], key=lambda rc: (-len(rc[1]), rc[0].name)
        )
        with_path = {c.person_id for _, found in cases for c in found}
        records_with_path = {rec for _, found in cases for c in found for rec in c.record_ids}
        motives, motives_omitted = _said(scope, group)
        person_claims = [
            ids[0]
            for ids in scope.lookups.claim_ids_for("person_id", shown_group["person_id"])
            if ids
        ]
        # how those with no recruitment channel came, as the records describe it
        without = shown_group[~isin(shown_group["person_id"], list(with_path | records_with_path))]
        came = _came(scope, without)
        # the commonest channel, when one leads with more than one case
        top = (
            cases[0]
            if cases
            and len(cases[0][1]) > 1
            and (len(cases) == 1 or len(cases[0][1]) > len(cases[1][1]))
            else None
        )
        columns.append(
            SideColumn(
                side=label,
                n=len(group),
                countries=[
                    f"{country_name(c)} ({n})"
                    for c, n in group["country_of_origin"].value_counts().sort_index().items()
                ],
                # every record of the side, so that a force named only in the record that an
                # identity link counts as one with another (the LPR's) is not lost
                units=sorted(
                    _with_other_names(scope, u)
                    for u in records.loc[records["side"] == side, "unit_org_id"]
                    .dropna()
                    .unique()
                    .tolist()
                ),
                paths=[f"{in_sentence(r.name)} ({len(found)})" for r, found in cases[:PATHS_SHOWN]],
                paths_omitted=max(0, len(cases) - PATHS_SHOWN),
                n_with_path=len(with_path),
                top_path=TopPath(in_sentence(top[0].name), len(top[1])) if top else None,
                path_claim_ids=list(
                    dict.fromkeys(cl for _, found in cases for c in found for cl in c.claim_ids)
                )[:CLAIMS_PER_ITEM_MAX],
                came=came if not cases else [],
                person_claim_ids=person_claims,
                motives=merged([said(r) for r in claim_rows(scope, motives)]),
                motives_omitted=motives_omitted,
            )
        )
    general = claim_rows(scope, scope.lookups.claims_frame(_general(scope)))
    return TwoSides(columns=columns, general=general)
