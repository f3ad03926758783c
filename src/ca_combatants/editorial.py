"""The editors' choices kept as data (data/editorial.csv): the claims a section features beyond
those the data ties to it, reports shown under a recruitment channel, claims quoted in their
source's words, and short labels for events on the charts."""

from __future__ import annotations

import pandas as pd

from .dataset import Dataset


def _choices(ds: Dataset, section: str, use: str) -> pd.DataFrame:
    table = ds.tables["editorial"]
    return table[(table["section"] == section) & (table["use"] == use)]


def featured(ds: Dataset, section: str) -> list[str]:
    """The claims the section features, in the file's order."""
    return [str(c) for c in _choices(ds, section, "features")["claim_id"].tolist()]


def channel_evidence(ds: Dataset) -> dict[str, list[str]]:
    """Channel (tactic_id) -> the reports shown under it that the data ties to no case."""
    rows = _choices(ds, "recruitment_tactics", "channel_evidence")
    found: dict[str, list[str]] = {}
    for tactic, claim in zip(rows["tactic_id"].tolist(), rows["claim_id"].tolist(), strict=True):
        found.setdefault(str(tactic), []).append(str(claim))
    return found


def in_their_words(ds: Dataset, section: str) -> set[str]:
    """Claims whose source's words are quoted, where the short statement would drop a fact."""
    return {str(c) for c in _choices(ds, section, "in_their_words")["claim_id"].tolist()}


def short_labels(ds: Dataset) -> dict[str, str]:
    """Event id -> its short label on the timeline."""
    rows = _choices(ds, "recruitment_tactics", "short_label")
    return dict(zip(rows["event_id"].tolist(), rows["label"].tolist(), strict=True))
