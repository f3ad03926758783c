"""How people were recruited: for each channel of the tactics taxonomy, the individuals in scope
whose case shows it, counted once each, and the claims that show it.

One individual is counted once per channel, however many claims or records show it: two claims
about one man (Ermekov's contract and his mother's pay) are one case, and two person records that
the identity links call one case (the Moscow Times' unnamed 32-year-old and Askar Kubanychbek
uulu) are one individual. Records that may be one person (`possibly_same`) are counted apart, as
everywhere in the brief, and each row says how many such pairs it holds."""

from __future__ import annotations

from dataclasses import dataclass

from .records import possibly_same_pairs, same_case_groups
from .scope import SIDE_NAMES, Scope


@dataclass(frozen=True)
class ChannelCase:
    """One individual whose case shows a channel."""

    person_id: str  # the record that stands for the individual
    record_ids: tuple[str, ...]  # every person record of this individual that shows the channel
    side: str
    claim_ids: tuple[str, ...]  # the claims that show the channel in this case


@dataclass(frozen=True)
class ChannelRow:
    tactic_id: str
    name: str
    category: str
    description: str
    cases: tuple[ChannelCase, ...]  # individuals in scope, counted once each
    n_possibly_same: int  # pairs among `cases` that may be one person
    claim_ids: tuple[str, ...]  # every visible claim showing the channel, general reports too

    @property
    def n_cases(self) -> int:
        return len(self.cases)

    @property
    def n_reports(self) -> int:
        return len(self.claim_ids)

    def cases_by_side(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for c in self.cases:
            counts[c.side] = counts.get(c.side, 0) + 1
        return counts


@dataclass(frozen=True)
class ChannelsResult:
    rows: tuple[ChannelRow, ...]  # in the taxonomy's order
    n_individuals: int  # individuals in scope whose case shows at least one channel

    def row(self, tactic_id: str) -> ChannelRow:
        for r in self.rows:
            if r.tactic_id == tactic_id:
                return r
        raise KeyError(tactic_id)

    @property
    def in_cases(self) -> tuple[ChannelRow, ...]:
        """Channels shown by at least one individual's case, most cases first."""
        shown = [r for r in self.rows if r.n_cases]
        return tuple(sorted(shown, key=lambda r: (-r.n_cases, r.name)))


def analyse(scope: Scope) -> ChannelsResult:
    """Every channel of the taxonomy, with its cases and claims within the scope."""
    ds = scope.ds
    te = scope.tactic_evidence  # evidence whose claim is visible, about no one or someone in scope
    combatants = scope.combatants
    side_of = dict(zip(combatants["person_id"].tolist(), combatants["side"].tolist(), strict=True))
    individual_of = same_case_groups(ds, list(side_of))
    maybe = possibly_same_pairs(ds)
    claims_by_tactic: dict[str, list[str]] = {}
    # tactic -> individual -> (records, claims)
    cases: dict[str, dict[str, tuple[list[str], list[str]]]] = {}
    for tactic, claim, person in zip(
        te["tactic_id"].tolist(), te["claim_id"].tolist(), te["person_id"].tolist(), strict=True
    ):
        claims_by_tactic.setdefault(tactic, []).append(claim)
        if not isinstance(person, str) or person not in individual_of:  # no one, or not in scope
            continue
        records, claims = cases.setdefault(tactic, {}).setdefault(individual_of[person], ([], []))
        records.append(person)
        claims.append(claim)
    rows = []
    for t in ds.tactics.itertuples():
        found = cases.get(t.tactic_id, {})
        shown = tuple(
            ChannelCase(
                person_id=who,
                record_ids=tuple(dict.fromkeys(records)),
                side=SIDE_NAMES.get(side_of[who], str(side_of[who])),
                claim_ids=tuple(dict.fromkeys(claims)),
            )
            for who, (records, claims) in sorted(found.items())
        )
        people = {c.person_id for c in shown}
        rows.append(
            ChannelRow(
                tactic_id=str(t.tactic_id),
                name=str(t.name),
                category=str(t.tactic_category),
                description=str(t.description),
                cases=shown,
                n_possibly_same=sum(1 for pair in maybe if pair <= people),
                claim_ids=tuple(dict.fromkeys(claims_by_tactic.get(t.tactic_id, []))),
            )
        )
    with_channel = {c.person_id for r in rows for c in r.cases}
    return ChannelsResult(rows=tuple(rows), n_individuals=len(with_channel))
