"""Lookups a section makes by id: a claim's row, the claims about a figure or event, an
organisation's name, a source's reference number. Each index is built once per brief."""

from __future__ import annotations

from functools import cached_property
from typing import Any, Protocol

import pandas as pd

from .dataset import Dataset, isin


class Selection(Protocol):
    """What lookups read of a brief's scope (a `Scope`)."""

    @property
    def ds(self) -> Dataset: ...
    @property
    def claims(self) -> pd.DataFrame: ...  # the visible claims
    @property
    def sources(self) -> pd.DataFrame: ...  # the sources published by as_of, numbered
    @property
    def redacting(self) -> bool: ...


def _mapping(frame: pd.DataFrame, key: str, value: str) -> dict[Any, Any]:
    """One column looked up by another; lists, because iterating Arrow columns is slow."""
    return dict(zip(frame[key].tolist(), frame[value].tolist(), strict=True))


class Lookups:
    """Lookups within one brief's scope (its visible claims, its sources)."""

    def __init__(self, scope: Selection):
        self.scope = scope

    @cached_property
    def _claims_by_id(self) -> dict[str, int]:
        # positions only: a dict per claim would cost hundreds of MB on a large dataset
        return dict(
            zip(
                self.scope.ds.claims["claim_id"].tolist(),
                range(len(self.scope.ds.claims)),
                strict=True,
            )
        )

    @cached_property
    def _visible_claim_positions(self) -> dict[str, int]:
        if self.scope.claims is self.scope.ds.claims:  # every claim visible: the same positions
            return self._claims_by_id
        return dict(
            zip(self.scope.claims["claim_id"].tolist(), range(len(self.scope.claims)), strict=True)
        )

    def claims_frame(self, claim_ids: list[str]) -> pd.DataFrame:
        """Visible claims, in the order given (KeyError for one not visible)."""
        positions = self._visible_claim_positions
        return self.scope.claims.iloc[[positions[c] for c in claim_ids]]

    def claims_listed(self, claim_ids: list[str]) -> pd.DataFrame:
        """The visible claims among these ids, in the claims table's order."""
        positions = self._visible_claim_positions
        return self.scope.claims.iloc[sorted(positions[c] for c in claim_ids if c in positions)]

    def claims_frames(self, groups: list[list[str]]) -> list[pd.DataFrame]:
        """claims_frame for each group of ids, with one lookup for all of them: each lookup
        copies a slice of every column of the claims table."""
        frames, start = [], 0
        everything = self.claims_frame([c for ids in groups for c in ids])
        for ids in groups:
            frames.append(everything.iloc[start : start + len(ids)])
            start += len(ids)
        return frames

    def is_visible(self, claim_id: str) -> bool:
        """Whether a claim is within this brief's scope and as-of date."""
        return claim_id in self._visible_claim_positions

    @cached_property
    def _org_names(self) -> dict[str, str]:
        return _mapping(self.scope.ds.organisations, "org_id", "name")

    @cached_property
    def _publishers(self) -> dict[str, str]:
        return _mapping(self.scope.ds.sources, "source_id", "publisher_org_id")

    @cached_property
    def ref_numbers(self) -> dict[str, int]:
        return {
            str(k): int(v)
            for k, v in _mapping(self.scope.sources, "source_id", "ref_number").items()
        }

    def claim_ids_for(self, column: str, keys: pd.Series | list[str]) -> list[list[str]]:
        """Visible claim ids for each key of a claim column (figure_id, event_id, …), in order.

        Only the claims about these keys are grouped: a full index of every column would cost
        seconds on a large dataset, and briefs show a capped number of rows."""
        keys = keys.tolist() if isinstance(keys, pd.Series) else list(keys)
        pairs = self.scope.claims[[column, "claim_id"]]  # only the two columns: a copy of every
        hits = pairs[isin(pairs[column], keys)]  # column would read the whole table
        grouped: dict[str, list[str]] = {}
        for key, claim_id in zip(hits[column].tolist(), hits["claim_id"].tolist(), strict=True):
            grouped.setdefault(key, []).append(claim_id)
        return [grouped.get(key, []) for key in keys]

    def claims_about(self, column: str, key: str) -> list[str]:
        """Visible claim ids whose `column` is `key`."""
        return self.claim_ids_for(column, [key])[0]

    def claim(self, claim_id: str) -> dict[str, object]:
        cached = self._claim_rows.get(claim_id)
        if cached is None:
            if self.scope.redacting and claim_id in self._visible_claim_positions:
                row = self.scope.claims.iloc[self._visible_claim_positions[claim_id]]
            else:
                row = self.scope.ds.claims.iloc[self._claims_by_id[claim_id]]
            cached = self._claim_rows[claim_id] = row.to_dict()
        return cached

    @cached_property
    def _claim_rows(self) -> dict[str, dict[str, object]]:
        return {}  # filled on demand by claim()

    def publisher_name(self, source_id: str) -> str:
        return self.org_name(self._publishers[source_id])

    def org_name(self, org_id: object) -> str:
        if org_id is None or pd.isna(org_id):
            return ""
        return self._org_names[str(org_id)]
