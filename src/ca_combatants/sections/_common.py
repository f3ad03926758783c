"""Pieces several sections share."""

from __future__ import annotations

import dataclasses
import re
import weakref
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from ..attribution import attribution as attribution_of
from ..figures import Figure
from ..params import COUNTRY_NAMES
from ..scope import SIDE_NAMES, Scope

# Long lists are capped so a brief stays readable at any data size; the rest is counted and pointed
# to. Each cap keeps a list to about a page, and is above what the source articles hold today.
CASE_FILES_MAX = 40
TACTICS_MAX = 24
EVENTS_MAX = 60  # the chronology, the one full list of dated events: about two pages
DEATH_COUNTS_MAX = 16
PROVISIONS_MAX = 10
CASES_MAX = 10  # per table: home prosecutions, Russian convictions
SOURCES_MAX = 40
DISCREPANCIES_MAX = 40
NAMES_MAX = 25
CLAIMS_PER_ITEM_MAX = 10
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
    return rows.assign(claim_ids=scope.lookups.claim_ids_for(key, rows[key]))


# how a count is qualified, as the brief words it (figures' and cases' `qualifier`)
QUALIFIER_LABELS = {
    "at_least": "at least",
    "approximately": "about",
    "exact": "exactly",
    "more_than": "more than",
}


# the words that already carry a qualifier in a count as worded ("over USD 3,000", "nearly 200")
QUALIFIER_WORDS = {
    "at_least": ("at least", "no fewer than"),
    "more_than": ("more than", "over"),
    "approximately": ("about", "around", "nearly", "approximately", "some"),
}


def with_qualifier(text: Any, qualifier: Any) -> str:
    """A count as worded, with its floor or approximation said wherever the wording leaves it
    out: the BBC's "19" Kyrgyz dead, part of its "at least 93", is "at least 19" (as Figure 1
    marks it "≥19")."""
    text = str(text).strip()
    words = QUALIFIER_WORDS.get(str(qualifier))
    if not words or any(w in text.lower() for w in words):
        return text
    return f"{QUALIFIER_LABELS[str(qualifier)]} {text}"


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


@dataclass(frozen=True, kw_only=True)
class SectionResult:
    """What a section's analysis gives its template (as `a`): each section subclasses it with its
    own fields, plain values and rows. A row's `claim_id` or `claim_ids` are what it cites: the
    references are worked out from them."""

    charts: tuple[Chart, ...] = ()


R = TypeVar("R")


def rows_of(frame: pd.DataFrame, row: type[R], **columns: Any) -> tuple[R, ...]:
    """A frame as template rows: one `row` dataclass each, its fields read from the columns of
    the same names (or from `columns`, lists as long as the frame)."""
    names = [f.name for f in dataclasses.fields(row)]  # type: ignore[arg-type]
    values = [columns[n] if n in columns else frame[n].tolist() for n in names]
    return tuple(row(**dict(zip(names, v, strict=True))) for v in zip(*values, strict=True))


def country_name(code: str | None) -> str:
    if code is None or pd.isna(code):
        return "unknown"
    return COUNTRY_NAMES.get(str(code), str(code))


def side_name(side: str) -> str:
    return SIDE_NAMES.get(side, side)


_FIRST_PERSON = re.compile(r"(?<!\w)(I|I'm|I've|me|my|we|our|us)(?!\w)")
_INNER_QUOTE = re.compile(r"[“\"]([^”\"]{20,})[”\"]")


def own_words(quote: Any) -> str | None:
    """The words a speaker said, from an archived quote: the inner quotation when the article
    wraps it in narration ("he explained that “…”"), the whole quote when it is in the first
    person; None when the quote is the journalist's narration ("One of them claimed …")."""
    if quote is None or (not isinstance(quote, str) and pd.isna(quote)):
        return None
    inner = _INNER_QUOTE.findall(quote)
    if inner and _FIRST_PERSON.search(" ".join(inner)):
        return " … ".join(i.strip() for i in inner)
    if not inner and _FIRST_PERSON.search(quote):
        return str(quote).strip()
    return None


@dataclass(frozen=True)
class ClaimRow:
    """One claim as the brief tells it (see the claim_text macro)."""

    claim_id: str
    statement: str
    quote: str | None
    words: str | None  # the speaker's own words, when the quote holds any
    speaker: str | None
    attribution: str
    reported_by: str  # who reported the words, when the speaker is named before them
    credibility: int
    second_hand: bool
    cannot_be_right: bool  # a version the register finds cannot be right
    source_words: str | None  # the source's own words, where the statement would drop a fact


_errors: weakref.WeakKeyDictionary[Scope, set[str]] = weakref.WeakKeyDictionary()


def errors_printed(scope: Scope) -> set[str]:
    """Claims the discrepancy register finds cannot be right, as their sources print them (kept
    per scope: every list of claims asks)."""
    if scope not in _errors:
        d = scope.discrepancies
        _errors[scope] = set(d.loc[d["discrepancy_kind"] == "error", "claim_id"].tolist())
    return _errors[scope]


def claim_rows(
    scope: Scope, claims: pd.DataFrame, in_their_words: Collection[str] = ()
) -> list[ClaimRow]:
    """Claims as template rows: statement, the speaker's own words (if the quote holds any), who
    said it, citation, and whether the claim is a version the register finds cannot be right."""
    errors = errors_printed(scope)
    rows = []
    for claim_id in claims["claim_id"].tolist():
        c = scope.lookups.claim(claim_id)  # the claim's row, as the frame given holds it
        speaker = None if pd.isna(c["speaker_person_id"]) else str(c["speaker_person_id"])
        attribution = attribution_of(scope.lookups, scope.redactor, claim_id)
        speaker_name = scope.person_name(speaker) if speaker else None
        prefix = f"{speaker_name}, as reported by "
        quote = c["quote"] if isinstance(c["quote"], str) else None
        words = own_words(quote) if speaker else None
        credibility = int(c["information_credibility"])
        rows.append(
            ClaimRow(
                claim_id=claim_id,
                statement=str(c["statement"]),
                quote=quote,
                words=words.rstrip(" ,;") if words else None,
                speaker=speaker_name,
                attribution=attribution,
                reported_by=attribution[len(prefix) :]
                if speaker_name and attribution.startswith(prefix)
                else attribution,
                credibility=credibility,
                second_hand=pd.notna(c["first_reported_by_org_id"]),
                cannot_be_right=claim_id in errors and credibility >= 5,
                source_words=quote if claim_id in in_their_words else None,
            )
        )
    return rows


# ----------------------------------------------------------------------------- each fact once
# The brief proper tells each claim once, in the first section that features it; later sections
# (and the case files) point to it instead. Each section of the brief proper declares the claims
# it tells with a `told_claims(scope)` function; the result is kept per scope.
BRIEF_PROPER = ("scope_and_numbers", "recruitment_tactics", "legal_exposure", "two_sides")
_told: weakref.WeakKeyDictionary[Scope, dict[str, str]] = weakref.WeakKeyDictionary()


def told_in(scope: Scope) -> dict[str, str]:
    """Claim id -> the section of the brief proper that tells it (the first that features it)."""
    if scope not in _told:
        import importlib

        found: dict[str, str] = {}
        _told[scope] = found  # filled section by section: a section asks only about earlier ones
        for section in BRIEF_PROPER:
            module = importlib.import_module(f"{__package__}.{section}")
            for claim_id in module.told_claims(scope):
                found.setdefault(claim_id, section)
    return _told[scope]


def told_before(scope: Scope, section: str) -> set[str]:
    """Claims told by the sections of the brief proper that come before `section`."""
    earlier = (
        set(BRIEF_PROPER[: BRIEF_PROPER.index(section)])
        if section in BRIEF_PROPER
        else set(BRIEF_PROPER)
    )
    return {c for c, s in told_in(scope).items() if s in earlier}


def in_sentence(name: str) -> str:
    """A label as it reads inside a sentence: 'Fast-track Russian citizenship' -> 'fast-track
    Russian citizenship'; an initialism ('PMC recruiters') keeps its capitals."""
    if len(name) > 1 and name[1].isupper():
        return name
    return name[:1].lower() + name[1:]


def count_words(n: int, one: str, many: str, zero: str | None = None) -> str:
    """'no case', 'one case', 'four cases', '12 cases': numbers as an editor writes them."""
    if n == 0:
        return zero if zero is not None else f"no {one}"
    return f"{number_word(n)} {one if n == 1 else many}"


NUMBER_WORDS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def number_word(n: int) -> str:
    """One to nine spelled out, 10 and above in digits (with thousands separators)."""
    return NUMBER_WORDS[n] if 0 <= n < 10 else f"{n:,}"
