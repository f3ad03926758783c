"""Sentences against the statute: for each state, the penalty ranges of its provisions on fighting
abroad as reported, and the sentences its courts handed down, kind by kind.

No source makes this comparison; it is the analysts'. A sentence that is not imprisonment
(restricted freedom, corrective labour, a conditional term) keeps its kind: its length is the
length of that sentence, never read as years in prison."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from .params import COUNTRY_NAMES
from .records import cases_in_scope
from .scope import Scope, format_date

KIND_LABELS = {
    "prison": "prison",
    "penal_colony": "penal colony",
    "restricted_freedom": "restricted freedom",
    "corrective_labour": "corrective labour",
    "conditional": "conditional (suspended) sentence",
}
CUSTODIAL = frozenset({"prison", "penal_colony"})
# Later steps in a case that undo its verdict, told by an event (an editorial mapping: the
# legal_cases table records the verdict as handed down, the event what happened to it)
SET_ASIDE_BY = {"case_kg_askar": "ev_2023_08_30_askar_verdict_cancelled"}
# Figures that report a range of sentences handed down under a provision, not one case
REPORTED_SENTENCE_RANGES = {"fig_uz_154_earlier_sentences": "prov_uz_154"}
RELATIONS = {
    "within": "within the reported range",
    "below_minimum": "below the reported minimum",
    "above_maximum": "above the reported maximum",
    "other_kind": "a different kind of penalty from the one reported for the article",
    "article_not_named": "the article is not named, so no range to compare with",
}

_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?$")
_SMALL = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def _count(n: int, unit: str) -> str:
    word = _SMALL[n] if n < 10 else str(n)
    return f"{word} {unit}{'' if n == 1 else 's'}"


def term_text(duration: str | None) -> str:
    """'P4Y1M20D' -> 'four years, one month and 20 days'; '' for no term."""
    if not duration:
        return ""
    m = _DURATION.match(duration)
    if m is None:
        raise ValueError(f"not an ISO 8601 duration of years, months and days: {duration!r}")
    parts = [
        _count(int(v), unit)
        for v, unit in zip(m.groups(), ("year", "month", "day"), strict=True)
        if v and int(v)
    ]
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _float(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)  # type: ignore[arg-type]


def _text(value: object) -> str | None:
    return None if value is None or pd.isna(value) else str(value)


@dataclass(frozen=True)
class StatuteRange:
    """One provision as reported: its penalty range in years."""

    provision_id: str
    country: str
    label: str  # "UZ art. 154", "KG article not named"
    offence: str
    penalty_kind: str  # imprisonment, fine_or_correctional_labour
    min_years: float | None  # None where the source gives only a maximum
    max_years: float
    superseded: bool
    claim_ids: tuple[str, ...]


@dataclass(frozen=True)
class Sentence:
    """One sentence handed down by a Central Asian court, as reported."""

    case_id: str
    country: str
    person_id: str | None
    provision_id: str | None  # None where the source does not name the article
    kind: str  # a key of KIND_LABELS
    kind_label: str
    custodial: bool
    term_years: float  # the length of this kind of sentence, not years of prison
    term_text: str  # "four years, one month and 20 days"
    probation_text: str  # "" when none
    decided: str  # "by 8 January 2025", "May 2023", "undated"
    relation: str  # a key of RELATIONS
    relation_text: str
    set_aside: bool  # the verdict was later cancelled (as known by the brief's date)
    claim_ids: tuple[str, ...]


@dataclass(frozen=True)
class ReportedSentenceRange:
    """A range of sentences a source reports for a provision without listing the cases."""

    figure_id: str
    country: str
    provision_id: str
    low_years: float
    high_years: float
    value_text: str
    claim_ids: tuple[str, ...]


@dataclass(frozen=True)
class CountrySentences:
    country: str
    country_name: str
    statutes: tuple[StatuteRange, ...]
    sentences: tuple[Sentence, ...]
    reported_ranges: tuple[ReportedSentenceRange, ...]


@dataclass(frozen=True)
class ExcludedCase:
    """A conviction in scope that is not compared with a statute, and why."""

    case_id: str
    reason: str
    claim_ids: tuple[str, ...]


@dataclass(frozen=True)
class SentencesResult:
    countries: tuple[CountrySentences, ...]  # every selected state with a statute or a sentence
    no_statute: tuple[str, ...]  # selected states with no statute recorded (names)
    excluded: tuple[ExcludedCase, ...]

    @property
    def sentences(self) -> tuple[Sentence, ...]:
        return tuple(s for c in self.countries for s in c.sentences)

    @property
    def has_sentences(self) -> bool:
        return bool(self.sentences)


def _statute_label(row: pd.Series) -> str:
    article = f"art. {row['article']}" if pd.notna(row["article"]) else "article not named"
    detail = ""
    if str(row["offence"]).startswith("Recruiting"):
        detail = " (recruiting)"
    elif row["penalty_kind"] != "imprisonment":
        detail = " (fine or labour)"
    old = " (2001 text)" if row["text_status"] == "superseded" else ""
    return f"{row['country']} {article}{detail}{old}"


def _relation(kind: str, years: float, statute: StatuteRange | None) -> str:
    if statute is None:
        return "article_not_named"
    if statute.penalty_kind != "imprisonment" or kind not in CUSTODIAL:
        return "other_kind"
    if statute.min_years is not None and years < statute.min_years:
        return "below_minimum"
    if years > statute.max_years:
        return "above_maximum"
    return "within"


def _in_period(scope: Scope, start: object, end: object, precision: object) -> bool:
    """Whether a date (with its precision) may fall within the brief's period."""
    first, last = scope.params.period_start, scope.params.period_end
    if not first and not last:
        return True
    if pd.isna(end):  # undated: not placed in any period
        return False
    lower = None if precision == "on_or_before" else pd.Timestamp(start)
    if first and pd.Timestamp(end) < pd.Timestamp(first):
        return False
    return not (last and lower is not None and lower > pd.Timestamp(last))


def analyse(scope: Scope) -> SentencesResult:
    """The statutes and sentences of the selected states, within the scope."""
    provisions = scope.provisions
    statutes: dict[str, list[StatuteRange]] = {}
    claim_groups = scope.lookups.claim_ids_for("provision_id", provisions["provision_id"])
    ordered = provisions.assign(_claims=claim_groups).sort_values(
        ["country", "text_status", "provision_id"]
    )
    by_id: dict[str, StatuteRange] = {}
    for _, row in ordered.iterrows():
        statute = StatuteRange(
            provision_id=str(row["provision_id"]),
            country=str(row["country"]),
            label=_statute_label(row),
            offence=str(row["offence"]),
            penalty_kind=str(row["penalty_kind"]),
            min_years=_float(row["penalty_min_years"]),
            max_years=float(row["penalty_max_years"]),
            superseded=row["text_status"] == "superseded",
            claim_ids=tuple(row["_claims"]),
        )
        statutes.setdefault(statute.country, []).append(statute)
        by_id[statute.provision_id] = statute

    cases = cases_in_scope(scope)
    convictions = cases[cases["case_type"] == "conviction"]
    case_claims = dict(
        zip(
            convictions["case_id"].tolist(),
            scope.lookups.claim_ids_for("case_id", convictions["case_id"]),
            strict=True,
        )
    )
    sentences: dict[str, list[Sentence]] = {}
    excluded: list[ExcludedCase] = []
    for _, c in convictions.iterrows():
        case_id = str(c["case_id"])
        claims = tuple(case_claims[case_id])
        country = str(c["jurisdiction"])
        if country not in COUNTRY_NAMES:
            excluded.append(
                ExcludedCase(
                    case_id,
                    f"a conviction in {country} for {str(c['charge']).lower()}, not under a "
                    "Central Asian statute on fighting abroad",
                    claims,
                )
            )
            continue
        if country not in scope.params.countries:
            continue
        kind, years = _text(c["sentence_kind"]), _float(c["sentence_years"])
        if kind is None or years is None:
            excluded.append(
                ExcludedCase(case_id, "no sentence of a stated kind is reported", claims)
            )
            continue
        if not _in_period(
            scope, c["decided_date_start"], c["decided_date_end"], c["decided_precision"]
        ):
            continue
        provision_id = _text(c["provision_id"])
        charged = by_id.get(provision_id) if provision_id else None
        relation = _relation(kind, years, charged)
        set_aside_event = SET_ASIDE_BY.get(case_id)
        set_aside_claims = (
            scope.lookups.claims_about("event_id", set_aside_event) if set_aside_event else []
        )
        decided = (
            format_date(str(c["decided_date"]), str(c["decided_precision"]))
            if pd.notna(c["decided_date"])
            else "undated"
        )
        if c["decided_precision"] == "approximate" and decided.isdigit():
            # a year the analysts derived from the story, not one the source gives
            decided = f"undated; probably {decided}"
        sentences.setdefault(country, []).append(
            Sentence(
                case_id=case_id,
                country=country,
                person_id=_text(c["person_id"]),
                provision_id=provision_id,
                kind=kind,
                kind_label=KIND_LABELS.get(kind, kind.replace("_", " ")),
                custodial=kind in CUSTODIAL,
                term_years=years,
                term_text=term_text(_text(c["sentence_term"])),
                probation_text=term_text(_text(c["probation_term"])),
                decided=decided,
                relation=relation,
                relation_text=RELATIONS[relation],
                set_aside=bool(set_aside_claims),
                claim_ids=tuple(dict.fromkeys([*claims, *set_aside_claims])),
            )
        )

    ranges: dict[str, list[ReportedSentenceRange]] = {}
    figs = scope.figures[scope.figures["figure_id"].isin(list(REPORTED_SENTENCE_RANGES))]
    for _, f in figs.iterrows():
        provision_id = REPORTED_SENTENCE_RANGES[str(f["figure_id"])]
        if provision_id not in by_id or pd.isna(f["value_low"]) or pd.isna(f["value_high"]):
            continue
        if not _in_period(scope, f["as_of_date_start"], f["as_of_date_end"], f["as_of_precision"]):
            continue
        country = by_id[provision_id].country
        ranges.setdefault(country, []).append(
            ReportedSentenceRange(
                figure_id=str(f["figure_id"]),
                country=country,
                provision_id=provision_id,
                low_years=float(f["value_low"]),
                high_years=float(f["value_high"]),
                value_text=str(f["value_text"]),
                claim_ids=tuple(scope.lookups.claims_about("figure_id", str(f["figure_id"]))),
            )
        )

    countries = tuple(
        CountrySentences(
            country=code,
            country_name=COUNTRY_NAMES[code],
            statutes=tuple(statutes.get(code, [])),
            sentences=tuple(
                sorted(sentences.get(code, []), key=lambda s: (s.term_years, s.case_id))
            ),
            reported_ranges=tuple(ranges.get(code, [])),
        )
        for code in scope.params.countries
        if code in statutes or code in sentences
    )
    return SentencesResult(
        countries=countries,
        no_statute=tuple(COUNTRY_NAMES[c] for c in scope.params.countries if c not in statutes),
        excluded=tuple(excluded),
    )
