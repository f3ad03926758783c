"""Pieces several sections share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..figures import Figure
from ..params import COUNTRY_NAMES
from ..scope import SIDE_NAMES, Scope

# Long lists are capped so a brief stays readable at any data size; the rest is counted and pointed
# to. Each cap keeps a list to about a page, and is above what the source articles hold today.
CASE_FILES_MAX = 16
TACTICS_MAX = 16
EVENTS_MAX = 40
DEATH_COUNTS_MAX = 16
PROVISIONS_MAX = 10
CASES_MAX = 10  # per table: home prosecutions, Russian convictions
SOURCES_MAX = 16
DISCREPANCIES_MAX = 24
NAMES_MAX = 25
CLAIMS_PER_ITEM_MAX = 8
JUDGMENTS_MAX = 12


def capped(rows: Any, limit: int) -> tuple[Any, int]:
    """The first `limit` rows (DataFrame or list) and how many were left out."""
    return rows[:limit], max(0, len(rows) - limit)


def first_matching(frame: pd.DataFrame, mask: pd.Series, limit: int) -> tuple[pd.DataFrame, int]:
    """capped(frame[mask], limit), copying only the rows kept: a large table is not read whole."""
    positions = np.flatnonzero(mask.to_numpy(dtype=bool))
    return frame.iloc[positions[:limit]], max(0, len(positions) - limit)


def with_claims(scope: Scope, rows: pd.DataFrame, key: str) -> pd.DataFrame:
    """Rows with the ids of the visible claims about each (`claim_ids`); for rows that are shown."""
    return rows.assign(claim_ids=scope.claim_ids_for(key, rows[key]))


STATUS_LABELS = {
    "fighting": "fighting",
    "serving": "serving (with a force, combat not confirmed)",
    "killed": "killed",
    "captured": "captured",
    "imprisoned": "imprisoned",
    "prosecuted": "prosecuted at home",
    "missing": "missing",
    "unknown": "unknown",
}


@dataclass(frozen=True)
class Chart:
    """A chart a section wants: drawn later, once the brief has numbered every chart."""

    key: str
    has_data: bool
    draw: Callable[[int, Callable[[str], str]], Figure | None]


def country_name(code: str | None) -> str:
    if code is None or pd.isna(code):
        return "unknown"
    return COUNTRY_NAMES.get(str(code), str(code))


def side_name(side: str) -> str:
    return SIDE_NAMES.get(side, side)


def claim_rows(scope: Scope, claims: pd.DataFrame) -> list[dict[str, Any]]:
    """Claims as template rows: statement, quote, who said it, citation."""
    rows = []
    for c in claims.itertuples():
        rows.append(
            {
                "claim_id": c.claim_id,
                "statement": c.statement,
                "quote": None if pd.isna(c.quote) else c.quote,
                "attribution": scope.attribution(c.claim_id),
                "credibility": int(c.information_credibility),
                "second_hand": pd.notna(c.first_reported_by_org_id),
            }
        )
    return rows
