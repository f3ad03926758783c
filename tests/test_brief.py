"""The brief's parameters, analysis and prose, checked against the data and the articles."""

from __future__ import annotations

import ast
import io
import json
import re
from functools import cache
from html import unescape
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from ca_combatants import figures
from ca_combatants.attribution import attribution
from ca_combatants.brief import Brief
from ca_combatants.dataset import load
from ca_combatants.params import BriefParams, ParamsError, parse_params
from ca_combatants.paths import DEFAULT_DATA_DIR, NOTEBOOK
from ca_combatants.scope import Scope, format_date
from ca_combatants.sections import SECTION_ORDER
from ca_combatants.sections.scope_and_numbers import case_counts, death_counts


@cache
def dataset():  # type: ignore[no-untyped-def]
    return load(DEFAULT_DATA_DIR)


def scope(**values: object) -> Scope:
    return Scope(dataset(), parse_params(values))


# ----------------------------------------------------------------------------- parameters


def test_unknown_parameter_is_an_error() -> None:
    with pytest.raises(
        ParamsError,
        match=r"unknown parameter 'colour'; allowed parameters: as_of, changes_since, countries, data_dir",
    ):
        parse_params({"colour": "red"})


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"side": "russian"},
            "parameter 'side': bad value 'russian' (Input should be 'russia', 'ukraine' or 'both'); allowed: russia, ukraine or both",
        ),
        ({"countries": ["KZ", "RU"]}, "parameter 'countries': bad value 'RU'"),
        ({"countries": []}, "parameter 'countries': bad value [] (at least one country is needed)"),
        ({"as_of": "2023-02-30"}, "parameter 'as_of': bad value '2023-02-30'"),
        (
            {"period_start": "2023-05-01", "period_end": "2023-01-01"},
            "period_start 2023-05-01 is after period_end 2023-01-01",
        ),
        ({"paper_size": "A3"}, "allowed: A4 or Letter"),
    ],
)
def test_bad_parameter_message_names_parameter_value_and_allowed(
    values: dict[str, object], message: str
) -> None:
    with pytest.raises(ParamsError) as info:
        parse_params(values)
    assert message in str(info.value)


def test_countries_accept_papermill_and_command_line_forms() -> None:
    assert parse_params({"countries": '["KZ"]'}).countries == ["KZ"]
    assert parse_params({"countries": "kg, kz"}).countries == ["KZ", "KG"]
    assert parse_params({}).countries == ["KZ", "KG", "TJ", "UZ", "TM"]


def test_notebook_parameters_cell_holds_the_model_defaults_as_literals() -> None:
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", []))
    source = "".join(cell["source"])
    values = {}
    for node in ast.parse(source).body:
        assert isinstance(node, ast.AnnAssign), (
            "the parameters cell holds annotated assignments only"
        )
        values[node.target.id] = ast.literal_eval(node.value)  # type: ignore[arg-type, attr-defined]
    assert values == BriefParams().model_dump(mode="json")
    assert all("#" in line for line in source.splitlines()[1:]), "every parameter has a comment"
    assert all(
        not c.get("outputs") and c.get("execution_count") is None
        for c in nb["cells"]
        if c["cell_type"] == "code"
    )


# ----------------------------------------------------------------------------- analysis, hand-checked against the articles


def _rows(table: str) -> list[dict[str, str]]:
    import csv

    with (DEFAULT_DATA_DIR / f"{table}.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _sources_by(as_of: str | None) -> set[str]:
    """Sources published by as_of, read from the CSV (undated ones only when as_of is unset)."""
    return {
        r["source_id"]
        for r in _rows("sources")
        if as_of is None or (r["published_latest"] and r["published_latest"] <= as_of)
    }


def _expected_combatants(as_of: str | None = None) -> list[dict[str, str]]:
    """Central Asian combatants on either side that a claim of a source published by as_of
    mentions: the rule of the scope, worked out from the CSV files without pandas."""
    central_asia = {"KZ", "KG", "TJ", "UZ", "TM"}
    visible = _sources_by(as_of)
    mentioned = {
        c[col]
        for c in _rows("claims")
        if c["source_id"] in visible
        for col in ("person_id", "speaker_person_id")
        if c[col]
    }
    return [
        p
        for p in _rows("persons")
        if p["person_id"] in mentioned
        and p["is_combatant"] == "true"
        and p["side"] in ("russia", "ukraine")
        and (
            p["country_of_origin"] in central_asia
            or central_asia & set(p["citizenships"].split(";"))
        )
    ]


def test_default_scope_counts_every_combatant_in_the_articles() -> None:
    s = scope()
    expected = _expected_combatants()
    by_side: dict[str, int] = {}
    for p in expected:
        by_side[p["side"]] = by_side.get(p["side"], 0) + 1
    assert s.combatants["side"].value_counts().to_dict() == by_side
    # hand-checked against the articles: these are among them, whatever later sources add
    assert {
        "per_baurzhan_urazov",
        "per_uzbek_truck_driver",
        "per_margulan_bekenov",
        "per_askar_kubanychbek_uulu",
        "per_zhasulan_dyuisembin",
        "per_almaz_kudaabek_uulu",
        "per_abu_yunus",
        "per_shavkat_muhammad",
    } <= set(s.combatants["person_id"])
    counts = case_counts(s).set_index(["code", "side_code"])["cases"]
    # the table counts individuals: two records of one case (same_case) count once
    counted = {str(p) for p in s.individuals["person_id"]}
    for code, side in (("KG", "russia"), ("TJ", "russia"), ("TM", "ukraine")):
        assert counts.get((code, side), 0) == sum(
            1
            for p in expected
            if p["side"] == side and p["country_of_origin"] == code and p["person_id"] in counted
        )


def test_as_of_between_the_two_articles_uses_global_voices_only() -> None:
    s = scope(as_of="2023-04-01")
    assert "orda_2023_04" not in set(s.sources["source_id"]) and "gv_2023_03_23" in set(
        s.sources["source_id"]
    )
    expected = sorted(p["person_id"] for p in _expected_combatants("2023-04-01"))
    assert sorted(s.combatants["person_id"]) == expected
    # Global Voices' people are there; Orda's (published later in April) are not
    assert {"per_baurzhan_urazov", "per_zhasulan_dyuisembin"} <= set(expected)
    assert "per_margulan_bekenov" not in expected
    # the 2025 counts of the dead are not yet known
    assert death_counts(s)["as_of_date_start"].max() <= pd.Timestamp("2023-04-01")


def test_empty_selection_is_empty_not_an_error() -> None:
    s = scope(countries=["TM"], side="russia", as_of="2023-01-01")
    assert s.combatants.empty and s.provisions.empty
    assert set(s.sources["source_id"]) == _sources_by("2023-01-01")
    assert "web_babel_2022_09_22" in set(s.sources["source_id"])


def test_channels_by_case_count_distinct_people() -> None:
    from ca_combatants.channels import analyse as channels

    counts = {r.name: r.n_cases for r in channels(scope()).rows}
    combatants = {p["person_id"] for p in _expected_combatants()}
    tactics = {t["tactic_id"]: t["name"] for t in _rows("tactics")}
    people: dict[str, set[str]] = {}
    for e in _rows("tactic_evidence"):
        if e["person_id"] in combatants:
            people.setdefault(tactics[e["tactic_id"]], set()).add(e["person_id"])
    for name in ("Private military companies", "Recruitment from prisons"):
        assert counts[name] == len(people[name])
    # among them, by hand: the Redut captive, Bekenov and the 30-year-old Kyrgyz prisoner
    assert {"per_balakliya_captive_redut", "per_margulan_bekenov", "per_kg_prisoner_30"} <= people[
        "Private military companies"
    ]


def test_death_counts_are_listed_not_summed() -> None:
    d = death_counts(scope())
    charted = d[d["value"].notna() & d["country_scope"].notna()]
    expected = sorted(
        int(float(f["value_best"] or f["value_low"]))
        for f in _rows("figures")
        if f["figure_category"] == "deaths"
        and f["country_scope"]
        and (f["value_best"] or f["value_low"])
    )
    assert sorted(charted["value"].astype(int)) == expected
    # one row per count: the seeds' and the later ones, none added together
    assert {10, 35, 93, 72, 66} <= set(expected) and sum(expected) not in set(expected)
    assert (
        "(an assertion, not a count)"
        in d.set_index("figure_id").at["fig_prigozhin_thousands", "counter"]
    )


def test_format_date_keeps_precision() -> None:
    assert format_date("2023-03-18", "approximate") == "around 18 March 2023"
    assert format_date("2022-11", "month") == "November 2022"
    assert format_date("2021-09", "season") == "autumn 2021"
    assert format_date("2023-04-16", "on_or_before") == "by 16 April 2023"


def test_second_hand_report_names_both_outlets() -> None:
    s = scope()
    assert (
        attribution(s.lookups, s.redactor, "cl_or_knb_10_cases")
        == "National Security Committee of Kazakhstan (KNB), as reported by KazTag and relayed by Orda.kz"
    )


# ----------------------------------------------------------------------------- prose numbers equal the data


def independent_counts(params: dict[str, object]) -> dict[str, int]:
    """The brief's headline numbers, recomputed from the raw CSV files without the package."""
    p = parse_params(params)

    def read(name: str) -> pd.DataFrame:
        return pd.read_csv(DEFAULT_DATA_DIR / f"{name}.csv", dtype=str, keep_default_na=False)

    sources, claims, persons = read("sources"), read("claims"), read("persons")
    newest = sources["published_latest"].replace("", None).dropna().max()
    as_of = str(p.as_of) if p.as_of else newest
    visible_sources = set(
        sources.loc[sources["published_latest"].replace("", newest) <= as_of, "source_id"]
    )
    visible = claims[claims["source_id"].isin(visible_sources)]
    mentioned = set(visible["person_id"]) | set(visible["speaker_person_id"])
    sides = {"russia", "ukraine"} if p.side == "both" else {p.side}
    chosen = persons[
        (persons["is_combatant"] == "true")
        & persons["person_id"].isin(mentioned)
        & persons["side"].isin(sides)
        & (
            persons["country_of_origin"].isin(p.countries)
            | persons["citizenships"].map(lambda v: bool(set(v.split(";")) & set(p.countries)))
        )
    ]
    # two records of one case (the identity links' same_case) are one individual
    links = read("person_identity_links")
    in_scope = set(chosen["person_id"])
    twice = {
        a
        for a, b, relation in zip(
            links["person_id"], links["other_person_id"], links["relation"], strict=True
        )
        if relation == "same_case" and a in in_scope and b in in_scope
    }
    chosen = chosen[~chosen["person_id"].isin(twice)]
    return {
        "n_sources": len(visible_sources),
        "n_total": len(chosen),
        "n_russia": int((chosen["side"] == "russia").sum()),
        "n_ukraine": int((chosen["side"] == "ukraine").sum()),
        "n_named": int((chosen["name"] != "").sum()),
        # a name of initials only ("I.Zh.") is counted apart from the names
        "n_initials": int(chosen["name"].str.fullmatch(r"(?:[A-Z][a-z]?\.)+").sum()),
        "n_named_by_name": int(
            ((chosen["name"] != "") & ~chosen["name"].str.fullmatch(r"(?:[A-Z][a-z]?\.)+")).sum()
        ),
        "n_killed": int((chosen["status"] == "killed").sum()),
        "n_claims": len(visible),
        "n_quoted": int((visible["quote"] != "").sum()),
        **{f"claims_{sid}": int((visible["source_id"] == sid).sum()) for sid in visible_sources},
    }


NUMBER_WORDS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def as_number(text: str) -> int:
    """A number as the prose writes it: 'no', 'one' … 'nine' (any case), or digits with commas."""
    word = text.strip().lower()
    return NUMBER_WORDS.index(word) if word in NUMBER_WORDS else int(word.replace(",", ""))


def test_numbers_are_written_as_an_editor_writes_them() -> None:
    """One to nine in words, 10 and above in digits, in every number the prose checks."""
    html = "\n".join(Brief(BriefParams(), dataset()).render_section(s) for s in SECTION_ORDER)
    spans = re.findall(
        r'<span class="num" data-key="[^"]+" data-value="([^"]+)">([^<]+)</span>', html
    )
    prose = [(int(float(v)), t) for v, t in spans if t.strip().lower() in NUMBER_WORDS]
    assert prose, "no number in words"
    for value, text in spans:
        n = int(float(value))
        if n >= 10:
            assert text.replace(",", "").isdigit(), text


PARAM_SETS = [
    {},
    {"countries": ["KZ"], "side": "russia"},
    {"as_of": "2023-04-01", "side": "ukraine"},
    {"countries": ["KG", "TJ"], "as_of": "2023-04-25"},
]


@pytest.mark.parametrize(
    "params",
    PARAM_SETS,
    ids=["default", "KZ-russia", "ukraine-as-of-2023-04-01", "KG+TJ-as-of-2023-04-25"],
)
def test_every_checked_number_in_the_prose_equals_the_data(params: dict[str, object]) -> None:
    brief = Brief(parse_params(params), dataset())
    html = "\n".join(brief.render_section(s) for s in SECTION_ORDER)
    shown = {
        m.group(1): (m.group(2), m.group(3))
        for m in re.finditer(
            r'<span class="num" data-key="([^"]+)" data-value="([^"]+)">([^<]+)</span>', html
        )
    }
    expected = independent_counts(params)
    checked = {k: v for k, v in expected.items() if k in shown}
    assert len(checked) >= 8
    for key, value in checked.items():
        data_value, text = shown[key]
        assert int(float(data_value)) == value, key
        assert as_number(text) == value, key
    # and every number shown is what the scope's own tables hold
    counts = case_counts(brief.scope).set_index(["code", "side_code"])["cases"]
    for key, (data_value, _) in shown.items():
        if m := re.fullmatch(r"cases_([A-Z]{2})_(russia|ukraine)", key):
            assert int(data_value) == counts[(m.group(1), m.group(2))]


def test_every_citation_resolves_to_a_reference() -> None:
    brief = Brief(BriefParams(), dataset())
    html = "\n".join(brief.render_section(s) for s in SECTION_ORDER)
    targets = set(re.findall(r'href="#(ref-[^"]+)"', html))
    anchors = set(re.findall(r'id="(ref-[^"]+)"', html))
    assert targets and targets <= anchors
    assert len(brief.cited_sources()) >= 20


SELECTIONS = {
    "default": {},
    "KZ": {"countries": ["KZ"]},
    "ukraine": {"side": "ukraine"},
    "redacted-early": {"redact_private_persons": True, "as_of": "2023-04-01"},
    "empty-TM": {"countries": ["TM"], "side": "russia", "as_of": "2023-01-01"},
}


@pytest.mark.parametrize("values", SELECTIONS.values(), ids=SELECTIONS.keys())
def test_references_list_exactly_the_sources_the_sections_cite(values: dict[str, Any]) -> None:
    """The references are worked out from the sections' results: each one listed is cited in
    the text, and each citation printed leads to one."""
    brief = Brief(parse_params(values), dataset())
    text = "\n".join(brief.render_section(s) for s in SECTION_ORDER if s != "references")
    cited = set(re.findall(r'href="#ref-([^"]+)"', text))
    listed = set(re.findall(r'id="ref-([^"]+)"', brief.render_section("references")))
    assert cited == listed == brief.cited_sources()


def test_a_section_rendered_alone_has_its_citations_in_the_references() -> None:
    """Nothing is collected while templates render: a brief that renders only one section, then
    the references, lists every source that section cites, and the same references as a brief
    that renders every section."""
    whole = Brief(BriefParams(), dataset())
    whole_references = [whole.render_section(s) for s in SECTION_ORDER][-1]
    for section in ("two_sides", "case_files"):
        alone = Brief(BriefParams(), dataset())
        html = alone.render_section(section)
        numbers = dict(re.findall(r'href="#ref-([^"]+)"[^>]*>\[(\d+)\]', html))
        assert numbers
        references = Brief(BriefParams(), dataset()).render_section("references")
        listed = dict(re.findall(r'<li id="ref-([^"]+)" value="(\d+)"', references))
        assert numbers.items() <= listed.items()  # same source, same number
        assert references == whole_references


def test_contested_statement_gives_each_side() -> None:
    brief = Brief(parse_params({"countries": ["KZ"]}), dataset())
    html = brief.render_section("recruitment_tactics")
    # the section names what is contested and points to the register, which gives each side
    assert "whether Margulan Bekenov was abducted or volunteered" in html
    assert 'href="#sources_and_discrepancies"' in html
    register = brief.render_section("sources_and_discrepancies")
    assert "Mother (news of 20 April): purportedly kidnapped" in register
    assert "Foreign Ministry: voluntarily signed a contract" in register


# ----------------------------------------------------------------------------- redaction


def private_names() -> list[str]:
    s = scope(redact_private_persons=True)
    return s.private_name_strings()


def test_redaction_removes_every_private_name_and_keeps_public_figures() -> None:
    brief = Brief(parse_params({"redact_private_persons": True}), dataset())
    html = "\n".join(brief.render_section(s) for s in SECTION_ORDER)
    names = private_names()
    assert "Margulan Bekenov" in names and "Жасулан Дуйсембiн" in names and "Margulan" in names
    leaked = [n for n in names if re.search(rf"(?<!\w){re.escape(n)}(?!\w)", html)]
    assert leaked == []
    for public in (
        "Aibek Smadiyarov",
        "Sergei Sobyanin",
        "Kudaabek uulu Almaz",
    ):
        assert public in html
    # a public figure named as a private person's father would name the son: coded too
    assert "Samigullo" not in html and "Urazov" not in html
    assert "P0" in html


def test_redaction_is_stable_across_selections() -> None:
    a = Brief(parse_params({"redact_private_persons": True}), dataset()).scope.person_name(
        "per_margulan_bekenov"
    )
    b = Brief(
        parse_params({"redact_private_persons": True, "countries": ["KZ"], "side": "russia"}),
        dataset(),
    ).scope.person_name("per_margulan_bekenov")
    assert a == b and "Bekenov" not in a


def test_charts_carry_captions_alt_text_and_numbers() -> None:
    brief = Brief(BriefParams(), dataset())
    html = "\n".join(brief.render_section(s) for s in SECTION_ORDER)
    figures = re.findall(
        r'<figure class="chart" id="figure-(\d+)"><img src="data:image/svg\+xml;base64,[^"]+" alt="([^"]+)"><figcaption><span class="label">Figure (\d+)\.</span>',
        html,
    )
    assert len(figures) >= 2
    assert (
        [int(f[0]) for f in figures]
        == list(range(1, len(figures) + 1))
        == [int(f[2]) for f in figures]
    )
    assert all(len(f[1]) > 40 for f in figures)


def test_charts_are_cropped_as_bbox_inches_tight_would_crop_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Charts are drawn once and cropped by their viewBox; the box must be the one matplotlib's
    two-pass `bbox_inches="tight"` gives, and the drawing the same."""
    pairs: list[tuple[str, str]] = []
    cropped_svg = figures._to_svg

    def both(fig: Any) -> str:
        buf = io.StringIO()
        fig.savefig(
            buf,
            format="svg",
            bbox_inches="tight",
            dpi=200,
            metadata={"Date": None, "Creator": None},
        )
        pairs.append((buf.getvalue(), cropped_svg(fig)))
        return pairs[-1][1]

    monkeypatch.setattr(figures, "_to_svg", both)
    brief = Brief(BriefParams(), dataset())
    for section in SECTION_ORDER:
        brief.render_section(section)
    assert len(pairs) >= 2

    def size(svg: str) -> list[float]:
        found = re.search(r'<svg [^>]*width="([\d.]+)pt" height="([\d.]+)pt"', svg)
        assert found, svg[:400]
        return [float(v) for v in found.groups()]

    def texts(svg: str) -> list[str]:
        return re.findall(r"<text [^>]*>([^<]*)</text>", svg)

    for tight, cropped in pairs:
        assert size(cropped) == pytest.approx(size(tight), abs=0.75)
        assert texts(cropped) == texts(tight) and len(texts(cropped)) > 3


def test_one_count_of_the_dead_is_spoken_of_in_the_singular() -> None:
    brief = Brief(parse_params({"countries": ["KG"], "side": "ukraine"}), dataset())
    text = re.sub(r"<[^>]+>", "", unescape(brief.render_section("scope_and_numbers")))
    assert "The sources give one count of Central Asian dead" in text
    assert "1 counts" not in text and "one counts" not in text


def test_empty_selection_brief_says_what_is_empty() -> None:
    brief = Brief(
        parse_params({"countries": ["TM"], "side": "russia", "as_of": "2023-01-01"}), dataset()
    )
    html = unescape("\n".join(brief.render_section(s) for s in SECTION_ORDER))
    assert "record no individual from Turkmenistan on Russia's side" in html
    assert "Turkmenistan: no statute on fighting abroad is known to this dataset" in html
    assert "<figure" not in html.split('id="scope_and_numbers"')[1].split("</section>")[0]


def test_data_dir_default_does_not_depend_on_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert BriefParams().data_path == DEFAULT_DATA_DIR


# ----------------------------------------------------------------------------- scale

COPIES = 20


@pytest.fixture(scope="module")
def synthetic_brief(tmp_path_factory: pytest.TempPathFactory) -> Brief:
    """The default brief on the real data repeated COPIES times (every key suffixed per copy)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "synthetic", DEFAULT_DATA_DIR.parent / "bench" / "synthetic.py"
    )
    assert spec and spec.loader
    synthetic = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(synthetic)
    data = synthetic.build(DEFAULT_DATA_DIR, tmp_path_factory.mktemp("big") / "data", COPIES)
    brief = Brief(parse_params({"data_dir": str(data)}))
    brief.sections()
    return brief


@pytest.mark.parametrize(
    ("section", "shown", "full", "omitted", "cap", "where"),
    [
        (
            "scope_and_numbers",
            "deaths_shown",
            "n_ca_counts",
            "deaths_omitted",
            "DEATH_COUNTS_MAX",
            "figures.csv",
        ),
        ("recruitment_tactics", "taxonomy", None, "tactics_omitted", "TACTICS_MAX", "tactics.csv"),
        ("case_files", "chronology", None, "chronology_omitted", "EVENTS_MAX", "events.csv"),
        (
            "legal_exposure",
            "provisions",
            None,
            "provisions_omitted",
            "PROVISIONS_MAX",
            "legal_provisions.csv",
        ),
        (
            "legal_exposure",
            "measures",
            None,
            "measures_omitted",
            "CLAIMS_PER_ITEM_MAX",
            "events.csv",
        ),
        ("case_files", "files", None, "omitted", "CASE_FILES_MAX", "persons.csv"),
        (
            "sources_and_discrepancies",
            "sources",
            None,
            "sources_omitted",
            "SOURCES_MAX",
            "sources.csv",
        ),
        (
            "sources_and_discrepancies",
            "groups",
            None,
            "groups_omitted",
            "DISCREPANCIES_MAX",
            "discrepancies.csv",
        ),
    ],
)
def test_long_lists_are_capped_with_a_count_and_a_pointer_to_the_data(
    synthetic_brief: Brief,
    section: str,
    shown: str,
    full: str | None,  # a field counting the whole list, where the result has one
    omitted: str,
    cap: str,
    where: str,
) -> None:
    from ca_combatants.sections import _common

    limit = getattr(_common, cap)
    real = Brief(parse_params({}), dataset()).analysis(section)
    # every copy is in scope, so the full list is COPIES times the real one's
    real_total = getattr(real, full) if full else len(getattr(real, shown)) + getattr(real, omitted)
    big = synthetic_brief.analysis(section)
    assert len(getattr(big, shown)) == limit
    n_omitted = getattr(big, omitted)
    assert n_omitted == COPIES * real_total - limit
    html = synthetic_brief.render_section(section)
    key = {"omitted": "case_files_omitted", "groups_omitted": "discrepancies_omitted"}.get(
        omitted, omitted
    )
    note = re.search(
        rf'<p class="note"><span class="num" data-key="{key}" data-value="{n_omitted}">[\d,]+</span>[^<]*data/{re.escape(where)}',
        html,
    )
    assert note, f"no count of the {n_omitted} left out, pointing to data/{where}"


def test_a_section_analysed_on_demand_is_numbered_as_in_the_whole_brief() -> None:
    whole = Brief(parse_params({}), dataset())
    whole.sections()
    alone = Brief(parse_params({}), dataset())
    html = alone.render_section("legal_exposure")  # analyses the sections before it
    assert html == whole.render_section("legal_exposure")
    assert re.search(r"Figure \d+\.</span>", html) and re.search(r"Table \d+\.</span>", html)
    assert alone.figure_numbers.items() <= whole.figure_numbers.items()
    assert alone.render_section("methodology") == whole.render_section("methodology")
    assert alone.table_numbers == whole.table_numbers


def test_capped_claims_are_the_first_matches_in_table_order() -> None:
    from ca_combatants.sections._common import capped, first_matching

    early = scope(as_of="2023-03-01")
    claims = early.claims
    quoted = claims["quote"].notna()
    for limit in (0, 3, len(claims)):
        rows, omitted = first_matching(claims, quoted, limit)
        expected, expected_omitted = capped(claims[quoted], limit)
        pd.testing.assert_frame_equal(rows, expected)
        assert omitted == expected_omitted
    wanted = [*reversed(claims["claim_id"].tolist()[:5]), "cl_not_a_claim"]
    listed = early.lookups.claims_listed(wanted)
    pd.testing.assert_frame_equal(listed, claims[claims["claim_id"].isin(wanted)])
    hidden = set(dataset().claims["claim_id"]) - set(claims["claim_id"])
    assert hidden and early.lookups.claims_listed(sorted(hidden)).empty  # published after as_of


def test_rows_by_key_give_each_row_as_the_frame_holds_it_across_blocks() -> None:
    """A row is converted with its block (lookups.ROW_BLOCK rows): rows on both sides of a block's
    edge, and in the last, short block, hold the values their frame does."""
    from ca_combatants.lookups import ROW_BLOCK, RowsByKey

    claims = dataset().claims
    copies = -(-(2 * ROW_BLOCK + 7) // len(claims))  # enough rows for three blocks
    frame = pd.concat([claims] * copies, ignore_index=True)
    frame["claim_id"] = [f"c{n}" for n in range(len(frame))]
    rows = RowsByKey(frame, "claim_id")
    for n in (0, ROW_BLOCK - 1, ROW_BLOCK, 2 * ROW_BLOCK, len(frame) - 1):
        expected = frame.iloc[n]
        got = rows[f"c{n}"]
        assert list(got) == list(frame.columns)
        for column, value in got.items():
            assert (pd.isna(value) and pd.isna(expected[column])) or value == expected[column]
    assert rows.get("not a claim") is None
    with pytest.raises(KeyError):
        rows["not a claim"]


def test_claims_grouped_by_a_column_are_the_visible_claims_about_each_key() -> None:
    early = scope(as_of="2023-03-01")
    figure_ids = early.ds.figures["figure_id"].tolist()
    grouped = early.lookups.claim_ids_for("figure_id", figure_ids)
    claims = early.claims
    for key, ids in zip(figure_ids, grouped, strict=True):
        assert ids == claims.loc[claims["figure_id"] == key, "claim_id"].tolist()
    assert any(grouped) and not all(grouped)  # some figures have visible claims, some not yet


def test_a_counted_case_keeps_its_sources_hedge_in_the_table() -> None:
    """Mediazona's 'about 700' criminal cases of 2025 is a count with a hedge: Table 5 says
    'about 700 cases', as Figure 3 and the data's case_count_qualifier do."""
    cases = dataset().tables["legal_cases"]
    hedged = cases[cases["case_count_qualifier"] == "approximately"]
    assert hedged["case_id"].tolist() == ["case_kz_2025_about_700"]
    html = Brief(parse_params({}), dataset()).render_section("legal_exposure")
    text = re.sub(r"<[^>]+>", "", unescape(html))
    assert "about 700 cases" in text
    assert not re.search(r"(?<!about )\b700 cases", text)
