"""Legal exposure: statutes and penalties per state, the sentences handed down against them, and
the known prosecutions."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .. import channels, editorial, figures, prosecutions, sentencing
from ..citations import Citations
from ..records import cases_in_scope
from ..scope import Scope, format_date
from ._common import (
    CASE_FILES_MAX,
    CASES_MAX,
    CLAIMS_PER_ITEM_MAX,
    PROVISIONS_MAX,
    Chart,
    ClaimRow,
    SectionResult,
    capped,
    claim_rows,
    country_name,
    rows_of,
    told_before,
    with_claims,
    with_qualifier,
)

LEFT_OUT_TOLD = 3  # cases beyond a table's cap, told in brief beneath it (a PDF has no data file)

CASE_TYPES = {
    "criminal_case": "criminal case",
    "conviction": "conviction",
    "extradition": "extradition",
}


@dataclass(frozen=True)
class Provision:
    country_name: str
    code: str
    article_label: str  # "art. 172" or "article not named"
    text_status: str
    offence: str
    penalty_text: str
    additional_penalties: Any
    claim_ids: list[str]


@dataclass(frozen=True)
class Case:
    """One row of the prosecutions table: a conviction's sentence as the sentencing analysis
    reads it (kind, term, set aside as known by the brief's date), other steps as recorded."""

    state: str
    who: str
    case_file: int | None  # the case file that tells the person's record
    what: str  # "conviction: mercenarism on Russia's side"
    charge: str | None  # the charge in a sentence ("robbery and rape"); None when not stated
    named: bool  # the sources name the person (an unnamed one is described: 'the 30-year-old …')
    outcome: str
    claim_ids: list[str]


@dataclass(frozen=True)
class Measure:
    event_date: Any
    date_precision: str
    title: str
    description: Any
    claim_ids: list[str]


@dataclass(frozen=True)
class Penalty:
    """A penalty as the lead tells it: 'five to nine years', where, for what."""

    text: str
    where: str
    offence: str
    claim_ids: list[str]


@dataclass(frozen=True, kw_only=True)
class LegalExposure(SectionResult):
    provisions: tuple[Provision, ...]
    provisions_omitted: int
    missing_countries: list[str]
    n_countries_with_statute: int
    n_countries_selected: int
    countries_label: str
    heaviest: Penalty | None
    lighter: list[Penalty]
    lighter_claim_ids: list[str]
    home_cases: tuple[Case, ...]
    home_claim_ids: list[str]
    n_sentences: int
    n_outside_prison: int
    prison_low: str  # the shortest prison term, in words ("three years and one month")
    prison_high: str
    # the longest prison term's verdict was later set aside: where ("in Kyrgyzstan")
    prison_high_set_aside: str
    n_prison: int
    sentence_claim_ids: list[str]
    # rows, not a sum of their counts: counts from different counters and years never add up
    n_home_case_records: int
    russian_convictions: tuple[Case, ...]
    # the individuals recruited from prison (the channels' table counts them), and those of
    # them for whom no Russian sentence is recorded: the two counts differ, and the brief says why
    n_recruited_in_prison: int
    prison_without_sentence: list[str]
    cases_omitted: int
    cases_max: int  # the table's cap: the reason a case is told beneath it instead
    cases_told: tuple[Case, ...]  # the first of the cases left out of the table, told in brief
    cases_untold: int  # the rest, neither in the table nor told beneath it
    general: list[ClaimRow]
    measures: tuple[Measure, ...]
    measures_omitted: int
    # criminal cases by year as each counter reported them, and convictions by state and year:
    # its points' claims are cited in the chart's caption
    over_time: prosecutions.ProsecutionsResult
    over_time_claim_ids: list[str]  # every point's claims, for the sentence pointing to the chart


def _stating(verdicts: set[str], claim_ids: list[str]) -> list[str]:
    """The claims that state a provision's penalty: a verdict under it (a claim about a case) is
    cited with its case, not beside the statute's range; a provision known only from verdicts
    keeps them."""
    return [c for c in claim_ids if c not in verdicts] or claim_ids


def _general(scope: Scope) -> list[str]:
    earlier = told_before(scope, "legal_exposure")
    return [
        c
        for c in scope.lookups.claims_listed(editorial.featured(scope.ds, "legal_exposure"))[
            "claim_id"
        ].tolist()
        if c not in earlier
    ]


def told_claims(scope: Scope) -> list[str]:
    """The claims this section tells (each fact once: later sections point here)."""
    measures = scope.events[scope.events["event_type"] == "central_asian_measure"]
    ids = _general(scope)
    ids += [c for g in scope.lookups.claim_ids_for("event_id", measures["event_id"]) for c in g]
    return ids


def _years(value: Any, words: bool) -> str:
    number = f"{float(value):g}"
    small = ["", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    return small[int(number)] if words and number.isdigit() and 0 < int(number) < 10 else number


def _penalty_text(low: Any, high: Any, kind: str, words: bool = False) -> str:
    """'5 to 9 years' (in tables) or 'five to nine years' (in prose)."""
    hi = _years(high, words)
    years = f"up to {hi} years" if pd.isna(low) else f"{_years(low, words)} to {hi} years"
    return years if kind == "imprisonment" else f"{years} of correctional labour"


def _sentence_words(s: sentencing.Sentence) -> str:
    """'10 years in prison', 'four years of restricted freedom', 'five years, conditional'."""
    words = {
        "prison": f"{s.term_text} in prison",
        "penal_colony": f"{s.term_text} in a penal colony",
        "conditional": f"{s.term_text}, conditional",
    }.get(s.kind, f"{s.term_text} of {s.kind_label}")
    if s.probation_text:
        words += f", {s.probation_text}' probation"
    return words[:1].upper() + words[1:]


def _shown_cases(
    scope: Scope,
    cases: pd.DataFrame,
    sentences: dict[str, sentencing.Sentence],
    articles: dict[str, str],
) -> tuple[list[Case], list[str], int, list[Case]]:
    """The cases a table lists, with who, what and outcome; their claims; how many more; and the
    first few of those, told in brief beneath the table."""
    shown, omitted = capped(cases, CASES_MAX + LEFT_OUT_TOLD)
    shown = with_claims(scope, shown, "case_id")
    in_scope = scope.combatants["person_id"].tolist()
    file_of = {p: n for n, p in enumerate(in_scope[:CASE_FILES_MAX], 1)}
    # a case whose own record is not yet in scope is told under the linked record that is
    linked: dict[str, str | None] = {}
    for a, b in _same_case_pairs(scope):
        linked.setdefault(a, b if b in file_of else None)
        linked.setdefault(b, a if a in file_of else None)
    rows = []
    for c in shown.itertuples():
        person = c.person_id if isinstance(c.person_id, str) else None
        if person is not None and person not in file_of:
            person = linked.get(person) or person
        state = "Russia" if c.jurisdiction == "RU" else country_name(c.jurisdiction)
        kind = CASE_TYPES.get(c.case_type, str(c.case_type).replace("_", " "))
        sentence = sentences.get(str(c.case_id))
        what = f"{kind}: {c.charge}"
        if sentence is not None:
            article = articles.get(sentence.provision_id or "")
            what = f"{kind} ({article})" if article else kind
            outcome = f"{_sentence_words(sentence)} ({sentence.decided})"
            if sentence.set_aside:
                outcome += "; later set aside"
            ids = list(sentence.claim_ids)
        else:
            when = format_date(c.opened_date, c.opened_precision) if pd.notna(c.opened_date) else ""
            outcome = str(c.outcome) + (f" ({when})" if when and when not in str(c.outcome) else "")
            ids = list(c.claim_ids)
        count = int(c.case_count) if pd.notna(c.case_count) and int(c.case_count) > 1 else None
        rows.append(
            Case(
                state=state,
                who=scope.person_name(person)
                if person
                else with_qualifier(f"{count:,} cases", c.case_count_qualifier)  # "about 700"
                if count
                else "",
                case_file=file_of.get(person) if person else None,
                what=what,
                charge=None
                if str(c.charge).lower() in ("not stated", "nan")
                else str(c.charge)[:1].lower() + str(c.charge)[1:],
                named=bool(person) and _is_named(scope, str(person)),
                outcome=outcome[:1].upper() + outcome[1:],
                claim_ids=ids,
            )
        )
    listed, told = rows[:CASES_MAX], rows[CASES_MAX:]
    claim_ids = [c for row in listed for c in row.claim_ids]
    return listed, claim_ids, omitted + len(told), told


def _with_sources(figure: figures.Figure | None, sources: str) -> figures.Figure | None:
    """A chart with the citations of its caption (the drawing is the same whatever the brief's
    reference numbers, so the preview can keep it drawn)."""
    return None if figure is None else dataclasses.replace(figure, sources=sources)


def _is_named(scope: Scope, person_id: str) -> bool:
    persons = scope.ds.persons
    row = persons[persons["person_id"] == person_id]
    return not row.empty and bool(row["is_named"].iloc[0])


def _same_case_pairs(scope: Scope) -> list[tuple[str, str]]:
    links = scope.ds.tables.get("person_identity_links")
    if links is None or not len(links):
        return []
    same = links[links["relation"] == "same_case"]
    return list(
        zip(same["person_id"].astype(str), same["other_person_id"].astype(str), strict=True)
    )


def analyse(scope: Scope) -> LegalExposure:
    prov = scope.provisions.copy().astype(
        {"article": "string", "offence": "string", "country": "string"}
    )
    prov["country_name"] = prov["country"].map(country_name)
    prov["article_label"] = prov["article"].map(
        lambda a: f"art. {a}" if pd.notna(a) else "article not named"
    )
    detail = [
        " (recruiting)"
        if o.startswith("Recruiting")
        else (" (fine or labour)" if k != "imprisonment" else "")
        for o, k in zip(prov["offence"].tolist(), prov["penalty_kind"].tolist(), strict=True)
    ]
    prov["row_label"] = [
        f"{c} {a}{d}{' (2001 text)' if t == 'superseded' else ''}"
        for c, a, d, t in zip(
            prov["country"].tolist(),
            prov["article_label"].tolist(),
            detail,
            prov["text_status"].tolist(),
            strict=True,
        )
    ]
    prov["penalty_text"] = [
        _penalty_text(low, high, kind)
        for low, high, kind in zip(
            prov["penalty_min_years"].tolist(),
            prov["penalty_max_years"].tolist(),
            prov["penalty_kind"].tolist(),
            strict=True,
        )
    ]
    prov = prov.sort_values(["country", "text_status", "provision_id"]).reset_index(drop=True)
    missing = [c for c in scope.params.countries if c not in set(prov["country"].tolist())]
    # one rule for the table and the charts: the cases the records helper gives the scope
    cases = cases_in_scope(scope)
    sentenced = sentencing.analyse(scope)
    sentences = {x.case_id: x for x in sentenced.sentences}
    home_cases = cases[cases["jurisdiction"].isin(scope.params.countries)]
    russian_convictions = cases[cases["jurisdiction"] == "RU"]
    general = claim_rows(scope, scope.lookups.claims_frame(_general(scope)))
    current = prov[prov["text_status"] != "superseded"]
    prison = current[current["penalty_kind"] == "imprisonment"]
    lighter = current[current["penalty_kind"] != "imprisonment"]
    heaviest = (
        prison.loc[prison["penalty_max_years"].astype(float).idxmax()] if not prison.empty else None
    )
    measures = scope.events[scope.events["event_type"] == "central_asian_measure"]
    provisions, provisions_omitted = capped(prov, PROVISIONS_MAX)
    provisions = with_claims(scope, provisions, "provision_id")
    verdicts = set(scope.claims.loc[scope.claims["case_id"].notna(), "claim_id"].tolist())
    provisions["claim_ids"] = [_stating(verdicts, ids) for ids in provisions["claim_ids"]]
    articles = {
        str(p): f"art. {a}" if pd.notna(a) else "article not named"
        for p, a in zip(prov["provision_id"].tolist(), prov["article"].tolist(), strict=True)
    }
    home_shown, home_claims, home_omitted, home_told = _shown_cases(
        scope, home_cases, sentences, articles
    )
    russian_shown, _, russian_omitted, _ = _shown_cases(
        scope, russian_convictions, sentences, articles
    )
    prison_terms = sorted(
        (x for x in sentenced.sentences if x.custodial), key=lambda x: x.term_years
    )
    # the channels of the prison kind (a dataset may hold none): the individuals Table 3 counts
    from_prison = tuple(
        dict.fromkeys(
            c for r in channels.analyse(scope).rows if r.category == "prison" for c in r.cases
        )
    )
    sentenced_in_russia = set(russian_convictions["person_id"].dropna().astype(str))
    prison_without_sentence = [
        scope.person_name(c.person_id)
        for c in from_prison
        if not sentenced_in_russia.intersection(c.record_ids)
    ]
    measures_shown, measures_omitted = capped(measures, CLAIMS_PER_ITEM_MAX)
    measures_shown = with_claims(scope, measures_shown, "event_id")
    over_time = prosecutions.analyse(scope)
    cite = Citations(scope.lookups, scope.redacting).cite
    lighter_penalties = [
        Penalty(
            text=_penalty_text(r.penalty_min_years, r.penalty_max_years, r.penalty_kind, words=True)
            + (
                f" or a {r.additional_penalties}" if isinstance(r.additional_penalties, str) else ""
            ),
            where=f"{r.country_name}, {r.article_label}",
            offence=r.offence,
            claim_ids=_stating(
                verdicts, scope.lookups.claims_about("provision_id", str(r.provision_id))
            ),
        )
        for r in lighter.itertuples()
    ]
    return LegalExposure(
        provisions=rows_of(provisions, Provision),
        provisions_omitted=provisions_omitted,
        missing_countries=[country_name(c) for c in missing],
        n_countries_with_statute=int(prov["country"].nunique()),
        n_countries_selected=len(scope.params.countries),
        countries_label=", ".join(country_name(c) for c in scope.params.countries),
        heaviest=None
        if heaviest is None
        else Penalty(
            text=_penalty_text(
                heaviest["penalty_min_years"],
                heaviest["penalty_max_years"],
                heaviest["penalty_kind"],
                words=True,
            ),
            where=f"{heaviest['country_name']}, {heaviest['article_label']}",
            offence=heaviest["offence"],
            claim_ids=_stating(
                verdicts, scope.lookups.claims_about("provision_id", str(heaviest["provision_id"]))
            ),
        ),
        lighter=lighter_penalties,
        lighter_claim_ids=[c for p in lighter_penalties for c in p.claim_ids],
        home_cases=tuple(home_shown),
        home_claim_ids=home_claims,
        n_sentences=len(sentenced.sentences),
        n_outside_prison=sum(1 for x in sentenced.sentences if not x.custodial),
        n_prison=len(prison_terms),
        prison_low=prison_terms[0].term_text if prison_terms else "",
        prison_high=prison_terms[-1].term_text if prison_terms else "",
        prison_high_set_aside=f"in {country_name(prison_terms[-1].country)}"
        if prison_terms and prison_terms[-1].set_aside
        else "",
        sentence_claim_ids=list(dict.fromkeys(c for x in sentenced.sentences for c in x.claim_ids)),
        n_home_case_records=len(home_cases),
        russian_convictions=tuple(russian_shown),
        n_recruited_in_prison=len(from_prison),
        prison_without_sentence=prison_without_sentence,
        cases_omitted=home_omitted + russian_omitted,
        cases_max=CASES_MAX,
        cases_told=tuple(home_told),
        cases_untold=home_omitted + russian_omitted - len(home_told),
        general=general,
        measures=rows_of(measures_shown, Measure),
        measures_omitted=measures_omitted,
        over_time=over_time,
        over_time_claim_ids=list(
            dict.fromkeys(
                [c for point in over_time.case_counts for c in point.claim_ids]
                + [c for point in over_time.convictions for c in point.claim_ids]
            )
        ),
        charts=(  # in the order the template shows them
            Chart(
                "sentences_against_statute",
                sentenced.has_sentences,
                lambda n, r: figures.sentences_against_statute(sentenced, n, r),
            ),
            Chart(
                "prosecutions_over_time",
                not over_time.is_empty,
                lambda n, r: _with_sources(
                    figures.prosecutions_over_time(over_time, n, r),
                    r(figures.prosecutions_sources(over_time, cite)),
                ),
            ),
        ),
    )
