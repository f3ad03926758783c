"""Key judgments held to ICD 203: the rules a table schema cannot state, and which countries and
sides each source speaks of (what a judgment's scope is compared with).

The schema in datapackage.json already limits `estimative_term` to the ICD 203 scale and
`confidence` to low, moderate or high. This module adds:
- a judgment states a proposition: no estimative term, no "whether …" inside it;
- high confidence rests on at least two independent origins: a claim's origin is the outlet that
  reported it first (`first_reported_by_org_id`), else its source's publisher, so a relay counts
  with the outlet it relays;
- a judgment cites only claims whose source was published by its `assessed_on`; a source whose
  latest publication date is left open is refused only when its earliest date is later;
- each claim names the sentences of the rationale it supports (`judgment_claims.sentences`,
  counted from 1), so that the brief cites each sentence with its own claims: a number past the
  rationale's last sentence is refused, and so is a sentence that names a source in brackets,
  such as "(Global Voices)", but cites no claim.

It reads the tables as strings, as validation holds them, and works as well on typed tables.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from .errors import Problem

# ICD 203, in order of likelihood: the value in data, the words in a sentence, the range.
SCALE: dict[str, tuple[str, str]] = {
    "almost_no_chance": ("almost no chance", "1–5%"),
    "very_unlikely": ("very unlikely", "5–20%"),
    "unlikely": ("unlikely", "20–45%"),
    "roughly_even_chance": ("roughly even chance", "45–55%"),
    "likely": ("likely", "55–80%"),
    "very_likely": ("very likely", "80–95%"),
    "almost_certain": ("almost certain", "95–99%"),
}
CONFIDENCE = ("low", "moderate", "high")
SIDES = ("russia", "ukraine")
CENTRAL_ASIA = ("KZ", "KG", "TJ", "UZ", "TM")

# Words that make a sentence an estimate rather than a proposition that is true or false.
_ESTIMATIVE = re.compile(
    r"\b(almost no chance|(very )?unlikely|(very )?likely|roughly even|even chance|almost certain"
    r"|probabl[ey]|cannot be settled)\b|^\s*whether\b",
    re.IGNORECASE,
)


def _items(cell: object) -> list[str]:
    """The items of a ';'-separated list cell; none for an empty one."""
    if not isinstance(cell, str):
        return []
    return [item.strip() for item in cell.split(";") if item.strip()]


# Where a rationale's sentences end: a stop (with any closing quote or bracket), space, and a
# capital or an opening quote or bracket; never after an abbreviation such as "art." or "St.".
_SENTENCE_END = re.compile(r"[.!?][\'\"\u2019\u201d)]*\s+(?=[A-Z\u2018\u201c\'\"(])")
_ABBREVIATIONS = frozenset({"art", "arts", "no", "nos", "st", "vol", "cf", "e.g", "i.e", "para"})
# A sentence that names a source in brackets: "(Global Voices)", "(Fergana, via Asia-Plus)".
_ATTRIBUTION = re.compile(r"\((?:[^()]*\b(?:via|relaying|citing)\b[^()]*|[A-Z][^()]*)\)")


def rationale_sentences(text: object) -> list[str]:
    """The sentences of a rationale, in order, each with its final stop."""
    if not isinstance(text, str) or not text.strip():
        return []
    text = " ".join(text.split())
    out, start = [], 0
    for end in _SENTENCE_END.finditer(text):
        before = text[start : end.start()].rsplit(" ", 1)[-1].lower().lstrip("(")
        if before in _ABBREVIATIONS:
            continue
        out.append(text[start : end.start() + len(end.group(0).rstrip())].strip())
        start = end.end()
    out.append(text[start:].strip())
    return [s for s in out if s]


def sentence_numbers(cell: object) -> list[int]:
    """The sentence numbers of a `sentences` cell ('1;3' or, typed, 1); none if it is empty or
    malformed (the schema reports a malformed one)."""
    if isinstance(cell, (int, float)) and not pd.isna(cell):
        return [int(cell)]
    return [int(item) for item in _items(cell) if item.isdigit()]


def _dates(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, format="%Y-%m-%d", errors="coerce")


def _origins(claims: pd.DataFrame, sources: pd.DataFrame) -> pd.Series:
    """Each claim's origin: who reported it first, else the publisher of the source it is read in."""
    publisher = claims["source_id"].map(
        dict(zip(sources["source_id"], sources["publisher_org_id"], strict=True))
    )
    return claims["first_reported_by_org_id"].where(
        claims["first_reported_by_org_id"].notna(), publisher
    )


def problems(tables: dict[str, pd.DataFrame]) -> list[Problem]:
    """Every judgment that breaks an ICD 203 rule, located by file, row and column."""
    needed = ("judgments", "judgment_claims", "claims", "sources")
    if not all(name in tables for name in needed):
        return []  # a missing table is reported where it is read
    judgments, links, claims, sources = (tables[name] for name in needed)
    if not {"assessed_on", "confidence", "judgment"} <= set(judgments.columns):
        return []  # a missing column is reported where the file is read
    found: list[Problem] = []
    row_of = {jid: int(i) for i, jid in zip(judgments.index, judgments["judgment_id"], strict=True)}

    for jid, text in zip(judgments["judgment_id"], judgments["judgment"], strict=True):
        hit = _ESTIMATIVE.search(text) if isinstance(text, str) else None
        if hit:
            words = hit.group(0).strip()
            found.append(
                Problem(
                    "judgments.csv",
                    row_of[jid],
                    "judgment",
                    f"{jid!r} asks a question ({words!r} …) instead of stating a proposition"
                    if words.lower() == "whether"
                    else f"{jid!r} holds the estimative words {words!r}",
                    "a proposition that can be true or false, its likelihood only in estimative_term",
                )
            )

    found += _sentence_problems(judgments, links, row_of)

    cited = links.merge(
        claims[["claim_id", "source_id"]].assign(origin=_origins(claims, sources)),
        on="claim_id",
        how="inner",  # a claim that does not exist is reported as a broken foreign key
    ).merge(sources[["source_id", "published_latest"]], on="source_id", how="left")

    # high confidence: two origins that do not relay one another
    origins = cited.groupby("judgment_id")["origin"].agg(lambda o: sorted(set(o.dropna())))
    for jid, confidence in zip(judgments["judgment_id"], judgments["confidence"], strict=True):
        these = origins.get(jid, [])
        if confidence == "high" and len(these) < 2:
            only = f" ({these[0]})" if these else ""
            found.append(
                Problem(
                    "judgments.csv",
                    row_of[jid],
                    "confidence",
                    f"high confidence for {jid!r}, but its claims trace to one origin{only}; "
                    "a relay counts with the outlet it relays",
                    "claims from at least two sources that do not relay one another, "
                    "or confidence moderate or low",
                )
            )

    # nothing published after the judgment was assessed. A source whose latest date is left open
    # (an undated page) is refused only when its earliest date is later: refusing it outright
    # would bar every undated page, and bounding it by the newest source would turn each source
    # added later into a fault of every judgment that cites one (the brief flags those instead).
    assessed = dict(zip(judgments["judgment_id"], _dates(judgments["assessed_on"]), strict=True))
    earliest = cited["source_id"].map(
        dict(zip(sources["source_id"], sources["published_earliest"], strict=True))
    )
    cited = cited.assign(
        published_earliest=earliest,
        published=_dates(cited["published_latest"]),
        not_before=_dates(earliest),
    )
    for (jid, source_id), rows in cited.groupby(["judgment_id", "source_id"], sort=True):
        on = assessed.get(jid)
        if on is None or pd.isna(on):
            continue  # a missing or malformed date is the schema's to report
        when, latest = rows["published"].iloc[0], rows["published_latest"].iloc[0]
        not_before, first = rows["not_before"].iloc[0], rows["published_earliest"].iloc[0]
        claims_named = ", ".join(repr(c) for c in sorted(rows["claim_id"]))
        cites = f"{jid!r} cites {claims_named} from source {source_id!r}"
        if pd.isna(when) and pd.isna(not_before):
            message = f"{cites}, which has no publication date"
        elif pd.notna(when) and when > on:
            message = (
                f"{cites}, which may have been published as late as {latest}, "
                f"after the judgment was assessed on {on:%Y-%m-%d}"
            )
        elif pd.isna(when) and not_before > on:
            message = (
                f"{cites}, which was published no earlier than {first}, "
                f"after the judgment was assessed on {on:%Y-%m-%d}"
            )
        else:
            continue
        found.append(
            Problem(
                "judgments.csv",
                row_of[str(jid)],
                "assessed_on",
                message,
                "claims from sources published on or before assessed_on, or a later assessed_on",
            )
        )
    return found


def _sentence_problems(
    judgments: pd.DataFrame, links: pd.DataFrame, row_of: dict[str, int]
) -> list[Problem]:
    """Each claim cites sentences its judgment's rationale has; each sentence that names a source
    in brackets cites a claim."""
    if "sentences" not in links.columns or "rationale" not in judgments.columns:
        return []  # a missing column is reported where the file is read
    found: list[Problem] = []
    sentences = {
        jid: rationale_sentences(text)
        for jid, text in zip(judgments["judgment_id"], judgments["rationale"], strict=True)
    }
    cited: dict[str, set[int]] = {}
    for i, jid, claim, cell in zip(
        links.index, links["judgment_id"], links["claim_id"], links["sentences"], strict=True
    ):
        if jid not in sentences:
            continue  # a judgment that does not exist is reported as a broken foreign key
        n = len(sentences[jid])
        numbers = sentence_numbers(cell)
        cited.setdefault(jid, set()).update(numbers)
        past = [k for k in numbers if not 1 <= k <= n]
        if past:
            found.append(
                Problem(
                    "judgment_claims.csv",
                    int(i),
                    "sentences",
                    f"{jid!r} cites {claim!r} in sentence {past[0]}, but its rationale has "
                    f"{count_of_sentences(n)}",
                    f"sentence numbers from 1 to {n}, separated by ';'",
                )
            )
    for jid, these in sentences.items():
        for k, text in enumerate(these, 1):
            hit = _ATTRIBUTION.search(text)
            if hit and k not in cited.get(jid, set()):
                found.append(
                    Problem(
                        "judgments.csv",
                        row_of[jid],
                        "rationale",
                        f"sentence {k} of {jid!r} names a source {hit.group(0)!r} but no claim "
                        "in judgment_claims.csv cites it",
                        f"a row in judgment_claims.csv for {jid!r} whose sentences include {k}",
                    )
                )
    return found


def count_of_sentences(n: int) -> str:
    return "one sentence" if n == 1 else f"{n} sentences"


# ----------------------------------------------------------------------------- what sources cover


@dataclass(frozen=True)
class Coverage:
    """The Central Asian states and the sides a source (or a judgment) speaks of. No state named
    means the whole region; no side named means both."""

    countries: frozenset[str]
    sides: frozenset[str]

    def meets(self, countries: Iterable[str], sides: Iterable[str]) -> bool:
        countries, sides = frozenset(countries), frozenset(sides)
        country_ok = not self.countries or not countries or bool(self.countries & countries)
        side_ok = not self.sides or not sides or bool(self.sides & sides)
        return country_ok and side_ok


def _by_key(frame: pd.DataFrame, key: str, columns: tuple[str, ...]) -> dict[str, set[str]]:
    """For each key, the Central Asian codes or sides its columns name."""
    out: dict[str, set[str]] = {}
    for values in zip(frame[key], *(frame[c] for c in columns), strict=True):
        named = {item for cell in values[1:] for item in _items(cell)}
        out[str(values[0])] = named
    return out


def source_coverage(
    tables: dict[str, pd.DataFrame], only: set[str] | None = None
) -> dict[str, Coverage]:
    """Which states and sides each source (or each of `only`) speaks of, through the records its
    claims support: persons (origin, citizenship, side), figures (country scope, side),
    provisions, cases and events (country)."""
    claims = tables["claims"]
    if only is not None:
        claims = claims[claims["source_id"].isin(sorted(only))]
    links = {
        "person_id": (
            _by_key(tables["persons"], "person_id", ("country_of_origin", "citizenships")),
            _by_key(tables["persons"], "person_id", ("side",)),
        ),
        "figure_id": (
            _by_key(tables["figures"], "figure_id", ("country_scope",)),
            _by_key(tables["figures"], "figure_id", ("side",)),
        ),
        "provision_id": (_by_key(tables["legal_provisions"], "provision_id", ("country",)), {}),
        "case_id": (_by_key(tables["legal_cases"], "case_id", ("jurisdiction",)), {}),
        "event_id": (_by_key(tables["events"], "event_id", ("country",)), {}),
    }
    countries: dict[str, set[str]] = {}
    sides: dict[str, set[str]] = {}
    for row in claims[["source_id", *links]].itertuples(index=False):
        source = str(row[0])
        countries.setdefault(source, set())
        sides.setdefault(source, set())
        for column, value in zip(links, row[1:], strict=True):
            if not isinstance(value, str):
                continue
            by_country, by_side = links[column]
            countries[source] |= by_country.get(value, set()) & set(CENTRAL_ASIA)
            named_sides = by_side.get(value, set())
            sides[source] |= set(SIDES) if "both" in named_sides else named_sides & set(SIDES)
    return {
        source: Coverage(frozenset(countries[source]), frozenset(sides[source]))
        for source in countries
    }


def judgment_coverage(countries: object, sides: object) -> Coverage:
    return Coverage(frozenset(_items(countries)), frozenset(_items(sides)))
