"""The registry of sections, and what each section gives its template."""

from __future__ import annotations

import dataclasses
import importlib
import json
import re
from functools import cache
from typing import Any

import pandas as pd
import pytest

from ca_combatants import brief as brief_module
from ca_combatants import notebook_cells
from ca_combatants.brief import Brief
from ca_combatants.dataset import Dataset, load
from ca_combatants.params import BriefParams, parse_params
from ca_combatants.paths import DEFAULT_DATA_DIR, NOTEBOOK, TEMPLATES_DIR
from ca_combatants.sections import BY_NAME, SECTION_ORDER, SECTIONS, SectionSpec
from ca_combatants.sections._common import SectionResult


@cache
def dataset() -> Dataset:
    return load(DEFAULT_DATA_DIR)


def test_the_notebook_has_one_cell_per_section_in_the_registry_order() -> None:
    text = NOTEBOOK.read_text(encoding="utf-8")
    cells = json.loads(text)["cells"]
    shown = [notebook_cells.section_of(c) for c in cells if notebook_cells.section_of(c)]
    assert shown == [s.name for s in SECTIONS]
    for cell in cells:
        if name := notebook_cells.section_of(cell):
            assert "".join(cell["source"]) == f'brief.section("{name}")'
    # the notebook is as `python -m ca_combatants.notebook_cells` writes it
    assert notebook_cells.dumps(notebook_cells.with_section_cells(json.loads(text))) == text


def test_a_new_section_gets_its_notebook_cell_in_its_place(monkeypatch: pytest.MonkeyPatch) -> None:
    new = SectionSpec("changes_since", "Changes since", included=lambda p: False)
    at = SECTION_ORDER.index("key_judgments") + 1
    monkeypatch.setattr(notebook_cells, "SECTIONS", (*SECTIONS[:at], new, *SECTIONS[at:]))
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    cells = notebook_cells.with_section_cells(nb)["cells"]
    names = [notebook_cells.section_of(c) for c in cells]
    assert names[names.index("key_judgments") + 1] == "changes_since"
    assert [c["id"] for c in cells if notebook_cells.section_of(c) == "cover"] == ["cell-03"]
    assert len(cells) == len(nb["cells"]) + 1


def test_each_section_has_its_module_template_and_tables_once() -> None:
    for spec in SECTIONS:
        module = importlib.import_module(f"ca_combatants.sections.{spec.name}")
        assert callable(module.analyse), spec.name
        assert (TEMPLATES_DIR / spec.template).is_file(), spec.template
    tables = [t.key for s in SECTIONS for t in s.tables]
    assert len(tables) == len(set(tables))
    # annex letters follow the registry's order, from A
    letters = [s.annex for s in SECTIONS if s.annex]
    assert letters == [chr(ord("A") + i) for i in range(len(letters))] == ["A", "B", "C", "D"]
    annexes = [s.name for s in SECTIONS if s.annex]
    assert annexes.index("recruitment_channels") == annexes.index("case_files") + 1
    assert SECTION_ORDER[0] == "cover" and SECTION_ORDER[-1] == "references"


def _frames_in(value: Any, path: str = "a") -> list[str]:
    """Where a pandas object sits in a section result."""
    if isinstance(value, (pd.DataFrame, pd.Series, pd.Index)):
        return [path]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [
            p
            for f in dataclasses.fields(value)
            for p in _frames_in(getattr(value, f.name), f"{path}.{f.name}")
        ]
    if isinstance(value, (list, tuple)):
        return [p for i, v in enumerate(value) for p in _frames_in(v, f"{path}[{i}]")]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _frames_in(v, f"{path}[{k!r}]")]
    return []


@pytest.mark.parametrize("values", [{}, {"countries": ["TM"], "as_of": "2023-01-01"}])
def test_every_analysis_is_a_frozen_dataclass_of_plain_rows(values: dict[str, Any]) -> None:
    brief = Brief(parse_params(values), dataset())
    for name, result in brief.analyses.items():
        assert isinstance(result, SectionResult), name
        with pytest.raises(dataclasses.FrozenInstanceError):
            result.charts = ()  # type: ignore[misc]
        assert _frames_in(result) == [], f"{name} gives its template pandas objects"


# what a template must not do: compute on frames, or ask the scope
_LOGIC = re.compile(
    r"itertuples|iterrows|groupby|\.iloc|\.loc\b|\.empty\b|\.unique\(|value_counts|"
    r"\bscope\.[a-z_]|\bhas\(|\bsum\(start"
)


def test_templates_receive_rows_and_make_no_pandas_or_scope_calls() -> None:
    found = [
        f"{path.name}:{n}: {m.group(0)}"
        for path in sorted((TEMPLATES_DIR / "sections").glob("*.j2"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        for m in [_LOGIC.search(line.replace('class="empty"', ""))]
        if m
    ]
    assert found == []


def test_a_section_can_be_absent_for_a_selection(monkeypatch: pytest.MonkeyPatch) -> None:
    """A section that says it is absent is not analysed or shown, and the sections after it
    are numbered without it."""
    absent = dataclasses.replace(BY_NAME["key_judgments"], included=lambda p: not p.countries)
    sections = tuple(absent if s.name == "key_judgments" else s for s in SECTIONS)
    monkeypatch.setattr(brief_module, "SECTIONS", sections)
    monkeypatch.setattr(brief_module, "BY_NAME", {s.name: s for s in sections})
    brief = Brief(BriefParams(), dataset())
    assert "key_judgments" not in brief.section_names
    assert brief.render_section("key_judgments") == ""
    assert "<h2>1. Scope and numbers</h2>" in brief.render_section("scope_and_numbers")
    assert "key_judgments" not in brief.analyses
    expected = [s.name for s in SECTIONS if s.name != "key_judgments" and s.included(BriefParams())]
    assert [s.name for s in brief.sections()] == expected


# ----------------------------------------------------------------------------- editorial choices


def test_editorial_choices_are_read_from_the_data() -> None:
    from ca_combatants import editorial

    ds = dataset()
    assert editorial.featured(ds, "legal_exposure")[0] == "cl_gv_mass_unlikely"
    assert editorial.channel_evidence(ds)["tac_pmc"] == [
        "cl_gv_wagner_description",
        "cl_or_molkino_wagner",
        "cl_or_google_wagner",
    ]
    assert editorial.short_labels(ds)["ev_2022_09_21_mobilisation"] == "Mobilisation"
    general = Brief(BriefParams(), ds).analysis("legal_exposure").general  # type: ignore[attr-defined]
    told = {c.claim_id for c in general}
    assert "cl_gv_mass_unlikely" in told <= set(editorial.featured(ds, "legal_exposure"))


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        (
            "claim_id",
            "cl_not_a_claim",
            "column 'claim_id': 'cl_not_a_claim' does not exist in claims.claim_id",
        ),
        ("label", "", "column 'label': empty for use 'short_label' (expected a label)"),
        ("use", "highlight", "column 'use'"),
    ],
)
def test_a_bad_editorial_choice_names_file_row_and_column(
    data_copy: Any, edit_cell: Any, column: str, value: str, message: str
) -> None:
    from ca_combatants.dataset import check

    key = "ed_law_mass_unlikely" if column != "label" else "ed_label_mobilisation"
    line = edit_cell(data_copy, "editorial", key, column, value)
    problems = [str(p) for p in check(data_copy).problems]
    assert any(p.startswith(f"editorial.csv:{line}: ") and message in p for p in problems), problems


def test_the_two_sides_count_routes_by_individual_as_the_channels_table_does() -> None:
    from ca_combatants import channels

    brief = Brief(parse_params({}), dataset())
    a = brief.analysis("two_sides")
    routes = channels.analyse(brief.scope)
    for column in a.columns:
        people = {c.person_id for r in routes.rows for c in r.cases if c.side == column.side}
        assert column.n_with_path == len(people)
        top = max(r.cases_by_side().get(column.side, 0) for r in routes.rows)
        if column.top_path:
            assert column.top_path.n == top
    russia = next(c for c in a.columns if c.side == "Russia")
    assert russia.n_with_path <= russia.n and russia.n_with_path == routes.n_individuals - sum(
        c.n_with_path for c in a.columns if c.side != "Russia"
    )
    # a same-case pair of records is one individual, with the evidence of both
    links = dataset().tables["person_identity_links"]
    pair = links[links["relation"] == "same_case"].iloc[0]
    ids = {c.person_id for r in routes.rows for c in r.cases}
    assert not {pair["person_id"], pair["other_person_id"]} <= ids


def test_ukraine_side_says_how_each_came_as_the_sources_state_it() -> None:
    a = Brief(parse_params({}), dataset()).analysis("two_sides")
    ukraine = next(c for c in a.columns if c.side == "Ukraine")
    text = " ".join(m.text for m in ukraine.came)
    assert "as a migrant worker" in text and "had lived in Ukraine before the war" in text
    assert all(m.claim_ids for m in ukraine.came)
    assert not text.startswith("Both")


# ----------------------------------------------------------------------------- a second reader's check


def test_each_statute_row_cites_the_sources_that_state_its_range() -> None:
    """A verdict under art. 154 is cited with its case in Table 5, not beside the 5-to-10-year
    range, which only Tashkent Times states."""
    brief = Brief(parse_params({}), dataset())
    claims = brief.scope.claims
    verdicts = set(claims.loc[claims["case_id"].notna(), "claim_id"])
    provisions = brief.analysis("legal_exposure").provisions  # type: ignore[attr-defined]
    for p in provisions:
        assert p.claim_ids
        assert not set(p.claim_ids) & verdicts or set(p.claim_ids) <= verdicts, p
    uz_154 = next(
        p
        for p in provisions
        if p.country_name == "Uzbekistan"
        and p.code == "Criminal Code"
        and p.article_label == "art. 154"
    )
    assert uz_154.claim_ids == ["cl_web_tt_uz_154"]


def test_table_6_names_every_force_any_record_of_the_side_names() -> None:
    """The Moscow Times' 32-year-old, counted as one with Askar Kubanychbek uulu, joined the
    LPR's forces: Table 6 names them though only one record of the man is counted."""
    brief = Brief(parse_params({}), dataset())
    records = brief.scope.combatants
    for column in brief.analysis("two_sides").columns:  # type: ignore[attr-defined]
        side = column.side.lower()
        named = {
            brief.scope.lookups.org_name(u)
            for u in records.loc[records["side"] == side, "unit_org_id"].dropna()
        }
        # a unit's other names, where the register records them, follow it in brackets
        assert named == {u.split(" (also reported as ")[0] for u in column.units}, column.side
    russia = next(c for c in brief.analysis("two_sides").columns if c.side == "Russia")  # type: ignore[attr-defined]
    assert "Forces of the 'Luhansk People's Republic'" in russia.units


def test_table_6_gives_every_name_the_sources_give_almaz_s_formation() -> None:
    """Global Voices, Orda and 24.kg name the formation Almaz leads three ways (a recorded
    discrepancy): Table 6 shows all three and points to the register, not one name alone."""
    brief = Brief(parse_params({}), dataset())
    ukraine = next(c for c in brief.analysis("two_sides").columns if c.side == "Ukraine")  # type: ignore[attr-defined]
    (legion,) = [u for u in ukraine.units if u.startswith("Turan Turkic Legion")]
    assert "The Turkic Peoples' Battalion" in legion and "Turan battalion" in legion
    assert "see the discrepancy register" in legion


def test_figure_1_gives_each_population_its_own_look(recwarn: pytest.WarningsRecorder) -> None:
    """Nine populations, and no two drawn alike: one colour per state or group of states, open
    marks for a state's prisoners; no yellow, which prints faintly on the white chart panel."""
    from ca_combatants import figures
    from ca_combatants.sections.scope_and_numbers import death_counts

    brief = Brief(parse_params({}), dataset())
    deaths = death_counts(brief.scope)
    charted = deaths[deaths["value"].notna() & deaths["country_scope"].notna()].copy()
    charted["value"] = charted["value"].astype(float)
    populations = sorted(charted["population"].unique())
    looks = figures.population_marks(populations)
    assert len(populations) >= 9
    assert len(set(looks.values())) == len(populations)
    assert all(colour.upper() != "#F0E442" for colour, _ in looks.values())
    assert looks["Kyrgyzstan, prisoners"] == (looks["Kyrgyzstan"][0], True)
    drawn = figures.deaths_over_time(charted, 1, lambda s: s)
    assert drawn is not None and "open marks count prisoners" in drawn.caption
    assert not [w for w in recwarn if "palette" in str(w.message)]
