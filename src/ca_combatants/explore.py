"""The dataset for one's own questions: the brief's scope (same parameters) as DataFrames, and the
joins asked for most, each one function returning a DataFrame with readable names.

    from ca_combatants.explore import start_explore
    data = start_explore(globals())   # in a notebook, after the parameters cell
    data.claims_with_sources()        # every claim with its source and who said it

Only what the brief itself may use is here: sources published by `as_of`, claims from them, and
the people, cases and figures those claims support, for the chosen countries and side. With
`redact_private_persons`, names are replaced by the brief's codes in every column that holds one
(free-text columns such as statements and quotes are redacted too)."""

from __future__ import annotations

from functools import cached_property
from typing import Any

import pandas as pd

from . import dataset as dataset_module
from .dataset import Dataset
from .params import BriefParams, parse_params
from .scope import Scope


class Explore:
    """Scoped tables and joins for one parameter set."""

    def __init__(self, params: BriefParams, dataset: Dataset | None = None):
        self.params = params
        self.dataset = dataset if dataset is not None else dataset_module.load(params.data_path)
        self.scope = Scope(self.dataset, params)

    # ---------------------------------------------------------------- the tables, in scope
    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table of the data package as validated, not narrowed to the scope."""
        return self.dataset.tables

    def _redact_text(self, frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
        if not self.scope.redacting:
            return frame
        return frame.assign(
            **{
                c: frame[c].map(lambda v: v if pd.isna(v) else self.scope.redact(str(v)))
                for c in columns
            }
        )

    def _person_names(self, ids: pd.Series) -> pd.Series:
        return ids.map(lambda p: pd.NA if pd.isna(p) else self.scope.person_name(str(p)))

    def _org_names(self, ids: pd.Series) -> pd.Series:
        return ids.map(lambda o: pd.NA if pd.isna(o) else self.scope.org_name(o))

    @cached_property
    def sources(self) -> pd.DataFrame:
        """Sources published by the as-of date, with their reference number in the brief."""
        s = self.scope.sources
        return s.assign(publisher=self._org_names(s["publisher_org_id"])).drop(columns="sort_date")

    @cached_property
    def persons(self) -> pd.DataFrame:
        """Combatants from the chosen countries on the chosen side (as the brief counts them)."""
        p = self.scope.combatants
        out = p.assign(
            name=self._person_names(p["person_id"]), unit=self._org_names(p["unit_org_id"])
        )
        return self._redact_text(out, ["label", "name_variants", "role", "notes"])

    # ---------------------------------------------------------------- joins
    def claims_with_sources(self) -> pd.DataFrame:
        """One row per claim: what was said, who said it, who relayed it, and the source it is in."""
        c = self.scope.claims
        speaker = self._person_names(c["speaker_person_id"]).fillna(
            self._org_names(c["speaker_org_id"])
        )
        src = self.sources.set_index("source_id")
        out = pd.DataFrame(
            {
                "claim_id": c["claim_id"].to_numpy(),
                "topic": c["topic"].to_numpy(),
                "statement": c["statement"].to_numpy(),
                "quote": c["quote"].to_numpy(),
                "speaker": speaker.to_numpy(),
                "first_reported_by": self._org_names(c["first_reported_by_org_id"]).to_numpy(),
                "credibility": c["information_credibility"].to_numpy(),
                "about_person": self._person_names(c["person_id"]).to_numpy(),
                "source_id": c["source_id"].to_numpy(),
            }
        )
        out = out.join(
            src[["ref_number", "title", "publisher", "published_earliest", "url"]], on="source_id"
        )
        return self._redact_text(out, ["statement", "quote"]).reset_index(drop=True)

    def persons_with_cases(self) -> pd.DataFrame:
        """One row per combatant in scope: who, from where, which side and status, their legal
        cases (charges and outcomes, joined by '; ') and how many claims are about them."""
        p = self.persons
        described: dict[str, list[str]] = {}
        for c in self.scope.cases.itertuples():
            if pd.notna(c.person_id):
                outcome = c.outcome if pd.notna(c.outcome) else "outcome not stated"
                described.setdefault(str(c.person_id), []).append(f"{c.charge} ({outcome})")
        claims = self.scope.claims["person_id"].value_counts()
        out = p[
            ["person_id", "name", "country_of_origin", "citizenships", "side", "status", "unit"]
        ].assign(
            cases=["; ".join(described.get(pid, [])) for pid in p["person_id"]],
            n_cases=[len(described.get(pid, [])) for pid in p["person_id"]],
            n_claims=p["person_id"].map(claims).fillna(0).astype(int),
        )
        return out.reset_index(drop=True)

    def claims_about_persons(self) -> pd.DataFrame:
        """Every claim about a combatant in scope, with the person's name and the source."""
        claims = self.claims_with_sources()
        ids = self.scope.claims.set_index("claim_id")["person_id"]
        in_scope = claims["claim_id"].map(ids).isin(self.persons["person_id"])
        return claims[in_scope.to_numpy()].reset_index(drop=True)

    def figures_with_counters(self) -> pd.DataFrame:
        """One row per published number (deaths, pay, migrants ...): its value as worded, who
        counted it, as of when, and the sources that report it (reference numbers)."""
        f = self.scope.figures
        claims = self.scope.claims.dropna(subset=["figure_id"])
        refs = self.sources.set_index("source_id")["ref_number"]
        reported = (
            claims.assign(ref=claims["source_id"].map(refs))
            .groupby("figure_id")["ref"]
            .agg(lambda r: ", ".join(f"[{n}]" for n in sorted(set(r))))
        )
        out = f[
            ["figure_id", "figure_category", "measure", "country_scope", "side", "qualifier"]
        ].assign(
            value=f["value_best"].fillna(f["value_low"]),
            value_text=f["value_text"],
            as_of=f["as_of_date_start"],
            counted_by=self._org_names(f["counted_by_org_id"]).fillna("no counter named"),
            reported_in=f["figure_id"].map(reported).fillna(""),
        )
        return self._redact_text(out, ["measure"]).reset_index(drop=True)


def start_explore(namespace: dict[str, Any]) -> Explore:
    """Validate a notebook's parameters and load the dataset. Only the brief's parameter names
    are read from the namespace: an exploring notebook's own variables are left alone."""
    return Explore(
        parse_params({k: v for k, v in namespace.items() if k in BriefParams.model_fields})
    )
