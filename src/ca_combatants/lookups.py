"""Lookups a section makes by id: a claim's or a person's row, the claims about a figure or
event, an organisation's name, a source's reference number. Each index is built once per brief,
when first asked for."""

from __future__ import annotations

from functools import cached_property
from typing import Any, Protocol

import pandas as pd

from .dataset import Dataset, records

ROW_BLOCK = 512  # rows converted to dicts at once (see RowsByKey)


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


class RowsByKey:
    """A table's rows as dicts, by a key column. A row is converted with the block of ROW_BLOCK
    rows around it, one column at a time: reading one row of a frame converts each of its
    columns apart, at a cost a section pays hundreds of times, while a large table is never
    converted whole."""

    def __init__(self, frame: pd.DataFrame, key: str):
        self.frame = frame
        self.key = key
        self.positions: dict[Any, int] = dict(
            zip(frame[key].tolist(), range(len(frame)), strict=True)
        )
        self._rows: dict[Any, dict[str, Any]] = {}

    def __contains__(self, key: object) -> bool:
        return key in self.positions

    def __getitem__(self, key: Any) -> dict[str, Any]:
        """The row whose key is `key` (KeyError if there is none)."""
        row = self._rows.get(key)
        if row is None:
            position = self.positions[key]
            start = position - position % ROW_BLOCK
            for record in records(self.frame.iloc[start : start + ROW_BLOCK]):
                self._rows.setdefault(record[self.key], record)
            row = self._rows[key]
        return row

    def get(self, key: Any) -> dict[str, Any] | None:
        return self[key] if key in self.positions else None


class Lookups:
    """Lookups within one brief's scope (its visible claims, its sources)."""

    def __init__(self, scope: Selection):
        self.scope = scope

    @cached_property
    def _all_claims(self) -> RowsByKey:
        return RowsByKey(self.scope.ds.claims, "claim_id")

    @cached_property
    def _visible_claims(self) -> RowsByKey:
        if self.scope.claims is self.scope.ds.claims:  # every claim visible: the same rows
            return self._all_claims
        return RowsByKey(self.scope.claims, "claim_id")

    @cached_property
    def _visible_claim_positions(self) -> dict[str, int]:
        return self._visible_claims.positions

    @cached_property
    def _persons(self) -> RowsByKey:
        return RowsByKey(self.scope.ds.persons, "person_id")

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
        """Visible claim ids for each key of a claim column (figure_id, event_id, …), in order."""
        keys = keys.tolist() if isinstance(keys, pd.Series) else list(keys)
        grouped = self._claim_ids_by(column)
        return [list(grouped.get(key, ())) for key in keys]

    def _claim_ids_by(self, column: str) -> dict[Any, list[str]]:
        """Visible claim ids grouped by one claim column, built the first time a section asks
        about that column: one pass over two columns, then each lookup is a dict's (a section
        asks about a column many times, each ask a filter of the whole table otherwise)."""
        grouped = self._claim_groups.get(column)
        if grouped is None:
            grouped = self._claim_groups[column] = {}
            claims = self.scope.claims
            for key, claim_id in zip(
                claims[column].tolist(), claims["claim_id"].tolist(), strict=True
            ):
                if not pd.isna(key):
                    grouped.setdefault(key, []).append(claim_id)
        return grouped

    @cached_property
    def _claim_groups(self) -> dict[str, dict[Any, list[str]]]:
        return {}  # filled on demand by _claim_ids_by()

    def claims_about(self, column: str, key: str) -> list[str]:
        """Visible claim ids whose `column` is `key`."""
        return self.claim_ids_for(column, [key])[0]

    def claim(self, claim_id: str) -> dict[str, Any]:
        """A claim's row as a dict (in a redacting brief, a visible claim's redacted row)."""
        if self.scope.redacting and claim_id in self._visible_claims:
            return self._visible_claims[claim_id]
        return self._all_claims[claim_id]

    def person(self, person_id: str) -> dict[str, Any] | None:
        """A person's row as recorded (never redacted), or None for an unknown id."""
        return self._persons.get(person_id)

    def publisher_name(self, source_id: str) -> str:
        return self.org_name(self._publishers[source_id])

    def org_name(self, org_id: object) -> str:
        if org_id is None or pd.isna(org_id):
            return ""
        return self._org_names[str(org_id)]
