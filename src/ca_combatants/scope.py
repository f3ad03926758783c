"""The part of the dataset one brief may use: what was published by `as_of`, about the chosen
countries and side, within the period. Lookups by id are in `lookups`, citation marks in
`citations`, attribution wording in `attribution`, redaction of private persons in `redaction`;
a redacted brief's views hold what redaction allows."""

from __future__ import annotations

import functools
from collections.abc import Collection
from functools import cached_property

import pandas as pd

from .dataset import Dataset, isin
from .lookups import Lookups
from .params import COUNTRY_NAMES, BriefParams
from .redaction import Redactor

CENTRAL_ASIA = frozenset(COUNTRY_NAMES)
SIDE_NAMES = {"russia": "Russia", "ukraine": "Ukraine"}
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


@functools.lru_cache(maxsize=8192)  # the same dates recur across thousands of rows
def format_date(value: str | pd.Timestamp | None, precision: str = "day") -> str:
    """'2023-04-16' -> '16 April 2023'; reduced precision keeps what is known."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "undated"
    text = value if isinstance(value, str) else value.strftime("%Y-%m-%d")
    parts = text.split("-")
    if len(parts) == 1 or precision == "year":
        return parts[0]
    month = MONTHS[int(parts[1]) - 1]
    if precision == "season":
        season = {
            12: "winter",
            1: "winter",
            2: "winter",
            3: "spring",
            4: "spring",
            5: "spring",
            6: "summer",
            7: "summer",
            8: "summer",
        }
        return f"{season.get(int(parts[1]), 'autumn')} {parts[0]}"
    if len(parts) == 2 or precision == "month":
        return f"{month} {parts[0]}"
    day = f"{int(parts[2])} {month} {parts[0]}"
    return {"approximate": f"around {day}", "on_or_before": f"by {day}"}.get(precision, day)


def _names_any(values: pd.Series, wanted: Collection[str], if_empty: bool) -> pd.Series:
    """Whether each ';'-separated list names any of `wanted`; an empty cell gives if_empty."""
    wanted = set(wanted)
    flags = [
        not wanted.isdisjoint(v.split(";")) if v else if_empty for v in values.fillna("").tolist()
    ]
    return pd.Series(flags, index=values.index, dtype=bool)


def _rows_where(frame: pd.DataFrame, mask: pd.Series) -> pd.DataFrame:
    """frame[mask], without a copy of a large table when every row is kept."""
    return frame if bool(mask.all()) else frame[mask]


class Scope:
    """Filtered, read-only views of a Dataset for one parameter set."""

    def __init__(self, dataset: Dataset, params: BriefParams):
        self.ds = dataset
        self.params = params

    # ------------------------------------------------------------------ time
    @cached_property
    def newest_source_date(self) -> pd.Timestamp:
        return pd.Timestamp(self.ds.sources["published_latest"].max())

    @cached_property
    def as_of(self) -> pd.Timestamp:
        return pd.Timestamp(self.params.as_of) if self.params.as_of else self.newest_source_date

    @cached_property
    def sources(self) -> pd.DataFrame:
        """Sources published by as_of; an undated source counts as published on the newest date."""
        src = self.ds.sources
        effective = src["published_latest"].fillna(self.newest_source_date)
        out = src[effective <= self.as_of].copy()
        out["sort_date"] = out["published_earliest"].fillna(self.newest_source_date)
        out = out.sort_values(["sort_date", "source_id"]).reset_index(drop=True)
        out["ref_number"] = range(1, len(out) + 1)
        return out

    @cached_property
    def redactor(self) -> Redactor:
        return Redactor(self.ds.persons, self.ds.claims, self.params.redact_private_persons)

    @cached_property
    def claims(self) -> pd.DataFrame:
        visible = _rows_where(
            self.ds.claims, isin(self.ds.claims["source_id"], self.sources["source_id"])
        )
        return self.redactor.claims(visible) if self.redacting else visible

    def _supported(self, column: str, ids: pd.Series) -> pd.Series:
        return isin(ids, self.claims[column])

    # ------------------------------------------------------------------ people
    @cached_property
    def persons_visible(self) -> pd.DataFrame:
        """Everyone the visible claims mention, whatever their country or side (relabelled as
        redaction asks)."""
        p = self.ds.persons
        mentioned = isin(p["person_id"], self.claims["person_id"]) | isin(
            p["person_id"], self.claims["speaker_person_id"]
        )
        shown = _rows_where(p, mentioned)
        return self.redactor.persons(shown) if self.redacting else shown

    @cached_property
    def combatants(self) -> pd.DataFrame:
        """Combatants from the chosen countries on the chosen side, known by as_of."""
        p = self.persons_visible
        countries = set(self.params.countries)
        citizen = _names_any(p["citizenships"], countries, if_empty=False)
        from_country = p["country_of_origin"].isin(countries) | citizen
        sides = ["russia", "ukraine"] if self.params.side == "both" else [self.params.side]
        chosen = p["is_combatant"] & from_country & p["side"].isin(sides)
        return (
            p[chosen].sort_values(["side", "country_of_origin", "person_id"]).reset_index(drop=True)
        )

    @cached_property
    def individuals(self) -> pd.DataFrame:
        """The combatants counted once each: of two records that the identity links say are
        one case (`same_case`), only the second is counted when both are in scope. (Records
        that are only possibly one person are counted apart: that is not known.)"""
        people = self.combatants
        links = self.ds.tables.get("person_identity_links")
        if links is None or len(links) == 0:
            return people
        ids = set(people["person_id"])
        same = links[links["relation"] == "same_case"]
        twice = {
            str(a)
            for a, b in zip(same["person_id"], same["other_person_id"], strict=True)
            if a in ids and b in ids
        }
        return people[~people["person_id"].isin(twice)].reset_index(drop=True)

    # ------------------------------------------------------------------ events and numbers
    @cached_property
    def events(self) -> pd.DataFrame:
        e = self.ds.events
        visible = self._supported("event_id", e["event_id"]) & (e["event_date_start"] <= self.as_of)
        if self.params.period_start:
            visible &= e["event_date_end"] >= pd.Timestamp(self.params.period_start)
        if self.params.period_end:
            visible &= e["event_date_start"] <= pd.Timestamp(self.params.period_end)
        combatant_ids = self.ds.persons.loc[self.ds.persons["is_combatant"], "person_id"]
        about_combatant = isin(e["person_id"], combatant_ids)
        relevant = ~about_combatant | isin(e["person_id"], self.combatants["person_id"])
        # an event in a Central Asian state belongs to that state's brief
        home = e["country"].isin(CENTRAL_ASIA)
        relevant &= ~home | e["country"].isin(self.params.countries) | about_combatant
        return (
            e[visible & relevant]
            .sort_values(["event_date_start", "event_id"])
            .reset_index(drop=True)
        )

    @cached_property
    def figures(self) -> pd.DataFrame:
        f = self.ds.figures
        visible = self._supported("figure_id", f["figure_id"]) & (
            f["as_of_date_start"] <= self.as_of
        )
        countries = set(self.params.countries)
        scope_ok = _names_any(f["country_scope"], countries, if_empty=True)
        side_ok = (
            f["side"].isin(["both", "not_applicable", "none", "unknown"])
            | (self.params.side == "both")
            | (f["side"] == self.params.side)
        )
        return f[visible & scope_ok & side_ok].reset_index(drop=True)

    @cached_property
    def provisions(self) -> pd.DataFrame:
        lp = self.ds.legal_provisions
        return lp[
            lp["country"].isin(self.params.countries)
            & self._supported("provision_id", lp["provision_id"])
        ].reset_index(drop=True)

    @cached_property
    def cases(self) -> pd.DataFrame:
        c = self.ds.legal_cases
        visible = self._supported("case_id", c["case_id"])
        relevant = isin(c["person_id"], self.combatants["person_id"]) | (
            c["person_id"].isna() & c["jurisdiction"].isin(self.params.countries)
        )
        return c[visible & relevant].reset_index(drop=True)

    @cached_property
    def tactic_evidence(self) -> pd.DataFrame:
        te = self.ds.tactic_evidence
        visible = isin(te["claim_id"], self.claims["claim_id"])
        relevant = te["person_id"].isna() | isin(te["person_id"], self.combatants["person_id"])
        return te[visible & relevant]

    @cached_property
    def discrepancies(self) -> pd.DataFrame:
        """Disagreements whose versions are visible and concern the scope; only visible versions.
        Their summaries and notes are left out (one copy per version would be large): see
        `with_discrepancy_texts`."""
        links = self.ds.discrepancy_claims.merge(
            self.claims[["claim_id", "source_id", "person_id"]], on="claim_id"
        )
        disc = self.ds.discrepancies[["discrepancy_id", "discrepancy_kind", "subject"]].merge(
            links, on="discrepancy_id"
        )
        # about people: kept when one of them is in scope (officials and relatives always are);
        # a lone visible version is no disagreement, except a plain error
        persons = self.ds.persons
        allowed = isin(disc["person_id"], self.combatants["person_id"]) | isin(
            disc["person_id"], persons.loc[~persons["is_combatant"], "person_id"]
        )
        flags = disc.assign(has_person=disc["person_id"].notna(), allowed=allowed)
        per = flags.groupby("discrepancy_id", sort=False).agg(
            has_person=("has_person", "any"),
            allowed=("allowed", "any"),
            versions=("claim_id", "size"),
            kind=("discrepancy_kind", "first"),
        )
        keep = per.index[
            ~(per["has_person"] & ~per["allowed"])
            & ((per["versions"] >= 2) | (per["kind"] == "error"))
        ]
        return disc[isin(disc["discrepancy_id"], keep)].reset_index(drop=True)

    def with_discrepancy_texts(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Rows of `discrepancies` (those shown) with each one's summary and resolution note."""
        texts = self.ds.discrepancies[["discrepancy_id", "summary", "resolution_note"]]
        return rows.merge(texts, on="discrepancy_id", how="left")

    @cached_property
    def judgments(self) -> tuple[pd.DataFrame, int]:
        """Judgments about the selected countries and sides that could be made by as_of (assessed
        by then, every claim visible), in display order; and how many about the selection are
        withheld because they were assessed later."""
        j = self.ds.judgments
        countries = set(self.params.countries)
        sides = {"russia", "ukraine"} if self.params.side == "both" else {self.params.side}
        about = _names_any(j["countries"], countries, if_empty=True) & _names_any(
            j["sides"], sides, if_empty=True
        )
        jc = self.ds.judgment_claims
        visible = (
            jc.assign(ok=isin(jc["claim_id"], self.claims["claim_id"]))
            .groupby("judgment_id")["ok"]
            .all()
        )
        known = j["judgment_id"].map(visible).fillna(False).astype(bool) & (
            j["assessed_on"] <= self.as_of
        )
        shown = j[about & known].sort_values("display_order")
        return shown.reset_index(drop=True), int((about & ~known).sum())

    @cached_property
    def lookups(self) -> Lookups:
        return Lookups(self)

    def org_name(self, org_id: object) -> str:
        return self.lookups.org_name(org_id)

    # ------------------------------------------------------------------ names and redaction
    @property
    def redacting(self) -> bool:
        return self.params.redact_private_persons

    def person_name(self, person_id: str) -> str:
        """The name a brief prints: a code and a label for a redacted person."""
        return self.redactor.person_name(person_id)

    def redact(self, text: str) -> str:
        """Every redacted person's name, and each distinctive part of it, replaced by a code."""
        return self.redactor.redact(text)

    def private_name_strings(self) -> list[str]:
        """Every string redaction must remove (for tests and checks)."""
        return self.redactor.private_name_strings()
