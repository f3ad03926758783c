"""Prosecutions over time: reported counts by counter, never summed; convictions by state and
year of verdict; and the chart of both."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import pytest

from ca_combatants import figures
from ca_combatants.dataset import load
from ca_combatants.params import parse_params
from ca_combatants.paths import DEFAULT_DATA_DIR
from ca_combatants.prosecutions import CaseCount, ProsecutionsResult, analyse
from ca_combatants.scope import Scope


@cache
def dataset():  # type: ignore[no-untyped-def]
    return load(DEFAULT_DATA_DIR)


def scope(**values: object) -> Scope:
    return Scope(dataset(), parse_params(values))


def test_kazakh_counts_are_kept_by_counter_and_year() -> None:
    result = analyse(scope())
    counts = {(c.year, c.counted_by_short): c for c in result.case_counts}
    assert set(counts) == {(2023, "KNB"), (2024, "Mediazona"), (2025, "Mediazona")}
    assert counts[(2023, "KNB")].value == 10
    assert counts[(2023, "KNB")].claim_ids == ("cl_or_knb_10_cases",)
    assert (counts[(2025, "Mediazona")].value, counts[(2025, "Mediazona")].value_text) == (
        700,
        "about 700",
    )
    # "dozens a year" has no number: kept as words, never given one
    dozens = counts[(2024, "Mediazona")]
    assert dozens.value is None and dozens.value_text == "dozens a year"
    assert result.shared_years() == {}


def test_convictions_by_state_and_year_with_their_sources() -> None:
    result = analyse(scope())
    groups = {(c.country, c.reported): c for c in result.convictions}
    kg = groups[("KG", "")]
    assert kg.year == 2023 and kg.convictions == 1 and kg.set_aside == ("case_kg_askar",)
    assert "cl_web_themoscowtimes_2023_05_17_01" in kg.claim_ids
    uz = {reported: c for (country, reported), c in groups.items() if country == "UZ"}
    assert sum(c.convictions for c in uz.values()) == 6
    # only I.Zh.'s verdict is dated to its year by its source: the others are not put in a year
    assert uz[""].case_ids == ("case_uz_i_zh",) and uz[""].year == 2025
    by_8_january = uz["reported by 8 January 2025"]
    assert set(by_8_january.case_ids) == {"case_uz_student_22", "case_uz_andijan_39"}
    assert set(uz["reported by 7 July 2025"].case_ids) == {"case_uz_o_r", "case_uz_sh_k"}
    assert uz["undated, probably 2025"].case_ids == ("case_uz_mma_fighter",)
    # drawn at the day they were reported by: on the edge of 2025, not inside it
    assert 2024.5 <= by_8_january.position < 2024.6
    # every conviction has at least one claim of its own among the point's claims
    assert all(len(c.claim_ids) >= c.convictions for c in uz.values())
    # Russian convictions for ordinary crimes are not prosecutions at home
    assert all(c.country != "RU" for c in result.convictions)


def test_a_count_of_the_years_before_one_says_so() -> None:
    counts = {c.figure_id: c for c in analyse(scope()).case_counts}
    assert counts["fig_kz_criminal_cases_before_2025"].when == "before 2025"
    assert counts["fig_kz_criminal_cases_2025"].when == "2025"


def test_one_country_the_ukraine_side_and_a_period() -> None:
    kz = analyse(scope(countries=["KZ"]))
    assert kz.convictions == () and len(kz.case_counts) == 3
    uz = analyse(scope(countries=["UZ"]))
    assert uz.case_counts == () and {c.country for c in uz.convictions} == {"UZ"}
    ukraine = analyse(scope(side="ukraine"))
    # the KNB's count is of all Kazakhs in the war; Mediazona's are of those on Russia's side
    assert [c.figure_id for c in ukraine.case_counts] == ["fig_knb_criminal_cases"]
    assert ukraine.convictions == ()
    early = analyse(scope(period_end="2024-06-30"))
    assert [c.year for c in early.convictions] == [2023]
    assert 2025 not in [c.year for c in early.case_counts]


def test_before_any_count_or_verdict_the_result_is_empty_and_there_is_no_chart() -> None:
    result = analyse(scope(as_of="2023-04-01"))
    assert result.is_empty
    assert figures.prosecutions_over_time(result, 1, str) is None


def test_two_counters_for_one_year_are_two_points_never_a_sum(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def count(counter: str, value: float) -> CaseCount:
        return CaseCount(
            f"fig_{counter}", "KZ", 2025, value, f"{value:g}", "exact", "Cases", counter, counter,
            "2025", (f"cl_{counter}",),
        )  # fmt: skip

    result = ProsecutionsResult((count("Mediazona", 700), count("KNB", 650)), ())
    assert result.shared_years() == {("KZ", 2025): ["Mediazona", "KNB"]}
    figures.apply_theme()
    boxes = _measured(monkeypatch)
    figure = figures.prosecutions_over_time(result, 2, str)
    assert figure is not None
    _apart(boxes[0])
    texts = re.findall(r"<text [^>]*>([^<]*)</text>", figure.svg)
    assert "700 (Mediazona)" in texts and "650 (KNB)" in texts
    assert not any("1350" in t or "1,350" in t for t in texts)
    assert "counted by Mediazona" in figure.alt and "counted by KNB" in figure.alt


def _measured(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The boxes of each drawn chart's labels and titles, filled as charts are drawn."""
    measured: list[Any] = []
    real = figures._to_svg

    def keep(fig: Any) -> str:
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        measured.append(
            [t.get_window_extent(renderer) for ax in fig.axes for t in [*ax.texts, ax.title]]
        )
        return real(fig)

    monkeypatch.setattr(figures, "_to_svg", keep)
    return measured


def _apart(boxes: list[Any]) -> None:
    assert len(boxes) >= 2
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b)


def test_the_chart_names_every_counter_and_keeps_the_house_width(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    figures.apply_theme()
    measured = _measured(monkeypatch)
    figure = figures.prosecutions_over_time(analyse(scope()), 3, str)
    assert figure is not None
    texts = " ".join(re.findall(r"<text [^>]*>([^<]*)</text>", figure.svg))
    for words in ("about 700", "(Mediazona)", "(KNB)", "dozens a year", "later set aside"):
        assert words in texts
    _apart(measured[0])
    assert "never added" in figure.caption
    assert "one conviction recorded, later set aside" in figure.alt
    assert "Uzbekistan, reported by 8 January 2025: two convictions recorded" in figure.alt
    width = float(re.search(r'width="([\d.]+)pt"', figure.svg).group(1))  # type: ignore[union-attr]
    assert width <= (figures.WIDTH_IN + 0.2) * 72


# ------------------------------------------------------------------------ the chart in the brief


@cache
def _rendered(selection: tuple[tuple[str, Any], ...]) -> tuple[str, Any]:
    from ca_combatants.brief import Brief

    brief = Brief(parse_params(dict(selection)), dataset())
    return brief.render_section("legal_exposure"), brief


def legal_exposure(**values: Any) -> tuple[str, Any]:
    """The Legal exposure section as a brief of this selection renders it, and the brief."""
    return _rendered(tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in values.items()))


def _figure(html: str, number: int) -> tuple[str, str, str]:
    """A rendered figure's SVG text labels (joined), alt text and caption (as HTML)."""
    import base64
    import html as html_module

    found = re.search(
        rf'<figure class="chart" id="figure-{number}"><img src="data:image/svg\+xml;base64,'
        r'([^"]+)" alt="([^"]*)"><figcaption>(.*?)</figcaption></figure>',
        html,
        re.S,
    )
    assert found, f"figure {number} is not in the section"
    svg = base64.b64decode(found[1]).decode("utf-8")
    labels = " ".join(" ".join(re.findall(r"<text [^>]*>([^<]*)</text>", svg)).split())
    return html_module.unescape(labels), html_module.unescape(found[2]), found[3]


def _expected_points() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The points the chart should draw, read from the CSV files themselves (not through the
    analysis): each Kazakh count of criminal cases, and convictions at home by state and year."""
    import pandas as pd

    from ca_combatants.params import COUNTRY_NAMES

    data = DEFAULT_DATA_DIR
    figs = pd.read_csv(data / "figures.csv", dtype=str)
    cases = pd.read_csv(data / "legal_cases.csv", dtype=str)
    claims = pd.read_csv(data / "claims.csv", dtype=str)
    orgs = pd.read_csv(data / "organisations.csv", dtype=str)
    counts = []
    for f in figs[figs["figure_category"] == "criminal_cases"].itertuples():
        if ";" in str(f.country_scope):
            continue
        org = orgs[orgs["org_id"] == f.counted_by_org_id]
        counts.append(
            {
                "state": COUNTRY_NAMES[f.country_scope],
                # a count of the years before one says so ("before 2025"), else its year
                "year": (re.findall(r"before \d{4}", str(f.measure)) or [str(f.as_of_date)[:4]])[0],
                "value_text": f.value_text,
                "counter": org["name"].iloc[0],
                "sources": set(claims[claims["figure_id"] == f.figure_id]["source_id"]),
            }
        )

    def when(date: str, precision: str) -> str:
        """A verdict's year, or what is known of its date when the sources give no year."""
        if precision == "on_or_before":
            day = pd.Timestamp(date)
            return f"reported by {day.day} {day.strftime('%B %Y')}"
        return f"undated, probably {date[:4]}" if precision == "approximate" else date[:4]

    convicted = cases[
        (cases["case_type"] == "conviction")
        & (cases["jurisdiction"] != "RU")
        & cases["decided_date"].notna()
    ]
    convicted = convicted.assign(
        year=[
            when(d, p)
            for d, p in zip(convicted["decided_date"], convicted["decided_precision"], strict=True)
        ]
    )
    convictions = [
        {
            "state": COUNTRY_NAMES[state],
            "year": year,
            "n": len(group),
            "sources": set(claims[claims["case_id"].isin(group["case_id"])]["source_id"]),
        }
        for (state, year), group in convicted.groupby(["jurisdiction", "year"])
    ]
    return counts, convictions


def test_the_default_brief_draws_prosecutions_over_time_in_legal_exposure() -> None:
    html, brief = legal_exposure()
    number = brief.figure_numbers.get("prosecutions_over_time")
    assert number, "the default brief has no chart of prosecutions over time"
    assert number == brief.figure_numbers["sentences_against_statute"] + 1
    labels, alt, caption = _figure(html, number)
    counts, convictions = _expected_points()
    # the data as it stands: Uzbek verdicts in four groups, three of them with no year given
    assert len(counts) == 3 and len(convictions) == 5
    # one point per count and per state and year: no more, no fewer
    assert alt.startswith("Two-panel chart of prosecutions by year. ")
    assert len(alt.split(". ", 1)[1].split("; ")) == len(counts) + len(convictions)
    for c in counts:
        assert c["value_text"] in labels
        assert f"{c['state']}, {c['year']}: {c['value_text']} (" in alt
        assert f"counted by {c['counter']}" in alt
        assert c["counter"] in caption
    words = {1: "one conviction", 2: "two convictions"}
    for v in convictions:
        assert f"{v['state']}, {v['year']}: {words[v['n']]} recorded" in alt
    # a verdict whose year is not given is labelled with what is known of its date
    assert "2, by 8 Jan 2025" in labels and "2, by 7 Jul 2025" in labels  # labels joined
    # counts from different counters are never summed, in the chart or its caption
    assert "not summed" in caption and "710" not in labels
    # every point's sources are cited in the caption, and listed among the brief's references
    cited = set(re.findall(r'href="#ref-([^"]+)"', caption))
    for point in counts + convictions:
        assert point["sources"] and point["sources"] <= cited, point
    assert cited <= brief.cited_sources()
    # the text points the reader to the chart
    assert f"Figure {number} draws the reported cases and the convictions by year" in html


def test_a_brief_before_any_count_has_no_chart_and_no_pointer_to_it() -> None:
    html, brief = legal_exposure(as_of="2023-04-01")
    assert "prosecutions_over_time" not in brief.figure_numbers
    assert "draws the reported cases" not in html and "<!--figure:" not in html


def test_one_panel_for_a_selection_with_counts_only() -> None:
    html, brief = legal_exposure(countries=["KZ"])
    labels, alt, caption = _figure(html, brief.figure_numbers["prosecutions_over_time"])
    assert alt.startswith("Chart of prosecutions by year. ")
    assert "Convictions" not in labels and "Above" not in caption
    assert "about 700 (Mediazona)" in labels and "10 criminal cases (KNB)" in labels
