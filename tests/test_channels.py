"""How people were recruited: each channel's individuals counted once, however many claims or
person records show them, for several selections; and the chart."""

from __future__ import annotations

import re
from functools import cache

import pytest

from ca_combatants import figures
from ca_combatants.channels import analyse
from ca_combatants.dataset import load
from ca_combatants.params import parse_params
from ca_combatants.paths import DEFAULT_DATA_DIR
from ca_combatants.scope import Scope


@cache
def dataset():  # type: ignore[no-untyped-def]
    return load(DEFAULT_DATA_DIR)


def scope(**values: object) -> Scope:
    return Scope(dataset(), parse_params(values))


EXPECTED_DEFAULT = {  # distinct individuals in the default brief, by channel
    "tac_pay": 7,
    "tac_pmc": 4,
    "tac_prison": 4,
    "tac_fast_track_citizenship": 3,
    "tac_migrant_status_pressure": 3,
    "tac_detention_contract_offer": 2,
    "tac_alleged_abduction": 1,
    "tac_mobilisation": 1,
    "tac_veteran_contract": 1,
    "tac_contract_advertisement": 1,
    "tac_enlistment_office": 1,
    "tac_debt": 1,
    "tac_job_at_military_unit": 1,
    "tac_occupied_republic_forces": 1,
}


def test_counts_per_channel_in_the_default_brief() -> None:
    result = analyse(scope())
    counts = {r.tactic_id: r.n_cases for r in result.rows if r.n_cases}
    assert counts == EXPECTED_DEFAULT
    assert [r.tactic_id for r in result.rows] == dataset().tactics["tactic_id"].tolist()
    assert result.n_individuals == 14


def test_one_man_shown_by_two_claims_is_one_case() -> None:
    pay = analyse(scope()).row("tac_pay")
    ermekov = [c for c in pay.cases if c.person_id == "per_erlan_ermekov"]
    # his contract 'for money' and his mother's payments: two claims, one case
    assert len(ermekov) == 1
    assert ermekov[0].claim_ids == (
        "cl_web_rferl_2023_02_kg_prisoners_03",
        "cl_web_rferl_2023_02_kg_prisoners_04",
    )
    prison = analyse(scope()).row("tac_prison")
    assert [c.person_id for c in prison.cases].count("per_fathullo_narzulloyev") == 1


def test_two_records_of_one_case_are_one_individual() -> None:
    """The Moscow Times' unnamed 32-year-old and Askar Kubanychbek uulu are one case (an identity
    link): the old Table 3 counted them as two for fast-track citizenship, and Table 6 dropped
    the pay that only the Moscow Times reports."""
    result = analyse(scope())
    citizenship = result.row("tac_fast_track_citizenship")
    askar = [c for c in citizenship.cases if "per_askar_kubanychbek_uulu" in c.record_ids]
    assert len(askar) == 1 and set(askar[0].record_ids) == {
        "per_kg_mercenary_32",
        "per_askar_kubanychbek_uulu",
    }
    assert citizenship.n_cases == 3
    pay = result.row("tac_pay")
    assert "per_askar_kubanychbek_uulu" in {c.person_id for c in pay.cases}
    assert "cl_web_themoscowtimes_2023_05_17_02" in next(
        c.claim_ids for c in pay.cases if c.person_id == "per_askar_kubanychbek_uulu"
    )
    # before Jamestown named him, the Moscow Times' record stands alone and is counted once
    june = analyse(scope(as_of="2023-06-01")).row("tac_fast_track_citizenship")
    assert {c.person_id for c in june.cases} == {"per_erlan_ermekov", "per_kg_mercenary_32"}


def test_records_that_may_be_one_man_are_counted_apart_and_flagged() -> None:
    prison = analyse(scope()).row("tac_prison")
    people = {c.person_id for c in prison.cases}
    assert {"per_erlan_ermekov", "per_kg_prisoner_30"} <= people
    assert prison.n_possibly_same == 1
    assert analyse(scope()).row("tac_pay").n_possibly_same == 0


def test_reports_include_general_claims_once_each() -> None:
    result = analyse(scope())
    prison = result.row("tac_prison")
    assert len(prison.claim_ids) == len(set(prison.claim_ids)) == prison.n_reports
    # claims about migrants in general show the channel, in no one's case
    assert "cl_gv_similar_cases" in prison.claim_ids
    centre = result.row("tac_migration_centre")
    assert centre.n_cases == 0 and "cl_or_sakharovo_booklet" in centre.claim_ids


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            {"countries": ["KG"]},
            {
                "tac_prison": 3,
                "tac_pmc": 2,
                "tac_pay": 2,
                "tac_fast_track_citizenship": 2,
                "tac_occupied_republic_forces": 1,
            },
        ),
        ({"side": "ukraine"}, {}),
        (
            {"as_of": "2023-04-01"},
            {
                "tac_pay": 3,
                "tac_pmc": 2,
                "tac_prison": 2,
                "tac_fast_track_citizenship": 1,
                "tac_migrant_status_pressure": 1,
                "tac_veteran_contract": 1,
            },
        ),
    ],
)
def test_counts_for_other_selections(values: dict[str, object], expected: dict[str, int]) -> None:
    result = analyse(scope(**values))
    assert {r.tactic_id: r.n_cases for r in result.rows if r.n_cases} == expected
    for row in result.rows:  # every case in scope, every claim visible
        for case in row.cases:
            assert all(scope(**values).lookups.is_visible(c) for c in case.claim_ids)


def test_the_ukraine_side_shows_no_channel_and_no_chart() -> None:
    result = analyse(scope(side="ukraine"))
    assert result.n_individuals == 0 and result.in_cases == ()
    assert figures.recruitment_channels(result, 1, str) is None


def test_the_chart_counts_individuals_and_stars_a_possible_duplicate() -> None:
    figures.apply_theme()
    figure = figures.recruitment_channels(analyse(scope()), 5, str)
    assert figure is not None
    assert "Pay and benefits: 7" in figure.alt and "Fast-track Russian citizenship: 3" in figure.alt
    assert "Recruitment from prisons: 4 (two of these records may be one person)" in figure.alt
    texts = re.findall(r"<text [^>]*>([^<]*)</text>", figure.svg)
    assert any(t.endswith("prisons*") for t in texts)
    assert "may be one man" in figure.caption
