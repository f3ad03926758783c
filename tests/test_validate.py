"""`ca-brief validate` on the real data package and on deliberately broken copies of it."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from ca_combatants import dataset
from ca_combatants.cli import main
from ca_combatants.datafiles import validated_before
from ca_combatants.errors import Problem
from ca_combatants.intake import refresh_package
from ca_combatants.paths import DEFAULT_DATA_DIR

from .conftest import read_rows, write_rows

EditCell = Callable[[Path, str, str, str, str], int]


def run_validate(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = main(["validate", str(data_dir)])
    out = capsys.readouterr().out
    return code, [line.removeprefix(f"{data_dir}/") for line in out.splitlines() if line.strip()]


def assert_reported(data_dir: Path, capsys: pytest.CaptureFixture[str], line: str) -> None:
    """validate exits 2 (the input is wrong) and reports exactly this line, among any others."""
    code, lines = run_validate(data_dir, capsys)
    assert code == 2
    assert line in lines


def test_real_dataset_is_valid_and_counted(capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = run_validate(DEFAULT_DATA_DIR, capsys)
    assert code == 0
    version = json.loads((DEFAULT_DATA_DIR / "datapackage.json").read_text(encoding="utf-8"))[
        "version"
    ]
    assert lines[0].endswith(f"valid (data version {version})")
    counts = {name: int(n) for name, n in (line.split() for line in lines[1:])}
    resources = json.loads((DEFAULT_DATA_DIR / "datapackage.json").read_text(encoding="utf-8"))[
        "resources"
    ]
    # each table's count is its number of records, as the csv module reads them (the archived
    # texts the package also lists are files, not tables)
    tables = [r for r in resources if "schema" in r]
    assert counts == {r["name"]: len(read_rows(DEFAULT_DATA_DIR / r["path"])[1]) for r in tables}


def test_every_quote_occurs_verbatim_in_its_archived_source() -> None:
    """Independent of the validator: read the texts and look for each quote ourselves."""
    _, sources = read_rows(DEFAULT_DATA_DIR / "sources.csv")
    _, claims = read_rows(DEFAULT_DATA_DIR / "claims.csv")
    texts = {
        s["source_id"]: " ".join(
            (DEFAULT_DATA_DIR / s["archived_path"]).read_text(encoding="utf-8").split()
        )
        for s in sources
        if s["archived_path"]
    }
    quoted = [c for c in claims if c["quote"]]
    assert len(quoted) >= 100
    missing = [
        c["claim_id"] for c in quoted if " ".join(c["quote"].split()) not in texts[c["source_id"]]
    ]
    assert missing == []
    # and every claim on an archived source has a quote; no web page claim has one
    assert all(bool(c["quote"]) == (c["source_id"] in texts) for c in claims)


def test_archived_sources_are_the_seed_files_unchanged() -> None:
    import hashlib

    _, sources = read_rows(DEFAULT_DATA_DIR / "sources.csv")
    archived = [s for s in sources if s["archived_path"]]
    assert archived
    for s in archived:
        assert (
            hashlib.sha256((DEFAULT_DATA_DIR / s["archived_path"]).read_bytes()).hexdigest()
            == s["sha256"]
        )


# (table, key, column, bad value, expected problem line with {row} for the row's line number)
CELL_CASES = [
    (
        "sources",
        "gv_2023_03_23",
        "published_latest",
        "2023-02-30",
        "sources.csv:{row}: column 'published_latest': not a valid date: '2023-02-30' (expected an existing calendar date YYYY-MM-DD)",
    ),
    (
        "events",
        "ev_2023_04_16_knb_cases",
        "event_date",
        "2023-02-30",
        "events.csv:{row}: column 'event_date': not a valid date: '2023-02-30' (expected an existing date YYYY, YYYY-MM or YYYY-MM-DD)",
    ),
    (
        "events",
        "ev_2023_04_16_knb_cases",
        "event_date",
        "2023-04",
        "events.csv:{row}: column 'event_date': '2023-04' does not agree with precision 'day' (expected the form YYYY-MM-DD)",
    ),
    (
        "persons",
        "per_abu_yunus",
        "side",
        "rusia",
        "persons.csv:{row}: column 'side': value not allowed: 'rusia' (expected one of: russia, ukraine, both, none, unknown, not_applicable)",
    ),
    (
        "persons",
        "per_abu_yunus",
        "country_of_origin",
        "XX",
        "persons.csv:{row}: column 'country_of_origin': value not allowed: 'XX' (expected one of: an ISO 3166-1 alpha-2 code)",
    ),
    (
        "persons",
        "per_abu_yunus",
        "citizenships",
        "TM;RUS",
        "persons.csv:{row}: column 'citizenships': list holds a value outside the allowed set: 'TM;RUS' (expected items separated by ';', each an ISO 3166-1 alpha-2 code)",
    ),
    (
        "persons",
        "per_abu_yunus",
        "is_public_figure",
        "yes",
        "persons.csv:{row}: column 'is_public_figure': not a boolean: 'yes' (expected true or false)",
    ),
    (
        "sources",
        "orda_2023_04",
        "reliability_grade",
        "G",
        "sources.csv:{row}: column 'reliability_grade': value not allowed: 'G' (expected one of: A, B, C, D, E, F)",
    ),
    (
        "claims",
        "cl_or_art_172",
        "source_id",
        "no_such_source",
        "claims.csv:{row}: column 'source_id': 'no_such_source' does not exist in sources.source_id (expected an existing source_id)",
    ),
    (
        "claims",
        "cl_or_art_172",
        "person_id",
        "per_nobody",
        "claims.csv:{row}: column 'person_id': 'per_nobody' does not exist in persons.person_id (expected an existing person_id)",
    ),
    (
        "claims",
        "cl_or_art_172",
        "statement",
        "",
        "claims.csv:{row}: column 'statement': required value is missing (expected a value)",
    ),
    (
        "claims",
        "cl_or_art_172",
        "information_credibility",
        "high",
        "claims.csv:{row}: column 'information_credibility': not an integer: 'high' (expected an integer)",
    ),
    (
        "claims",
        "cl_or_art_172",
        "information_credibility",
        "7",
        "claims.csv:{row}: column 'information_credibility': value above the maximum: '7' (expected <= 6)",
    ),
    (
        "claims",
        "cl_or_art_172",
        "quote",
        "Article 172 provides for imprisonment of 5 to 10 years",
        "claims.csv:{row}: column 'quote': does not occur in sources/004_7ece349a03daa91a.txt: 'Article 172 provides for imprisonment of 5 to 10 years' (expected a verbatim passage of the archived text (whitespace-normalised))",
    ),
    (
        "claims",
        "cl_or_art_172",
        "statement_date",
        "2023-05-02",
        "claims.csv:{row}: column 'statement_date': 2023-05-02 is after its source orda_2023_04 was published (expected on or before 2023-04-30)",
    ),
    (
        "claims",
        "cl_web_babel_kz_172",
        "quote",
        "Kazakhstan punishes it with 5 to 9 years",
        "claims.csv:{row}: column 'quote': given, but source web_babel_2022_09_22 is a web page that is not archived (expected empty)",
    ),
    (
        "claims",
        "cl_or_art_172",
        "quote",
        "",
        "claims.csv:{row}: column 'quote': missing, but source orda_2023_04 is archived (expected a verbatim passage of the archived text)",
    ),
    (
        "figures",
        "fig_bbc_2023_total",
        "value_high",
        "90",
        "figures.csv:{row}: column 'value_low': 93 is greater than value_high 90 (expected value_low <= value_best <= value_high)",
    ),
    (
        "legal_provisions",
        "prov_kz_172",
        "penalty_min_years",
        "12",
        "legal_provisions.csv:{row}: column 'penalty_min_years': 12 exceeds penalty_max_years 9 (expected min <= max)",
    ),
    (
        "sources",
        "gv_2023_03_23",
        "sha256",
        "0" * 64,
        "sources.csv:{row}: column 'sha256': sources/000_11896b78d8c2897a.txt has SHA-256 410211312bf1…, not 000000000000… (expected the archived file unchanged)",
    ),
    (
        "persons",
        "per_abu_yunus",
        "person_id",
        "per_zhasulan_dyuisembin",
        "persons.csv:{row}: column 'person_id': duplicate key 'per_zhasulan_dyuisembin' (expected unique values)",
    ),
]


@pytest.mark.parametrize(
    ("table", "key", "column", "value", "expected"),
    CELL_CASES,
    ids=[f"{c[0]}.{c[2]}={c[3][:12]!s}" for c in CELL_CASES],
)
def test_broken_cell_is_reported_exactly(
    data_copy: Path,
    edit_cell: EditCell,
    capsys: pytest.CaptureFixture[str],
    table: str,
    key: str,
    column: str,
    value: str,
    expected: str,
) -> None:
    row = edit_cell(data_copy, table, key, column, value)
    code, lines = run_validate(data_copy, capsys)
    assert code == 2
    assert expected.format(row=row) in lines, "\n".join(lines)


def test_untraced_record_is_reported(data_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = data_copy / "places.csv"
    header, rows = read_rows(path)
    rows.append({**rows[0], "place_id": "pl_nowhere", "name": "Nowhere"})
    write_rows(path, header, rows)
    code, lines = run_validate(data_copy, capsys)
    assert code == 2
    assert lines[:1] == [
        f"places.csv:{len(rows) + 1}: column 'place_id': 'pl_nowhere' is not supported by any claim (expected at least one claim citing a source)"
    ]


def test_judgment_without_claims_is_refused(
    data_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = data_copy / "judgment_claims.csv"
    header, rows = read_rows(path)
    write_rows(path, header, [r for r in rows if r["judgment_id"] != "kj_08"])
    _, judgments = read_rows(data_copy / "judgments.csv")
    line = 2 + next(i for i, r in enumerate(judgments) if r["judgment_id"] == "kj_08")
    assert_reported(
        data_copy,
        capsys,
        f"judgments.csv:{line}: column 'judgment_id': 'kj_08' cites no claim (expected at least one row in judgment_claims.csv)",
    )


def test_duplicate_composite_key(data_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = data_copy / "judgment_claims.csv"
    header, rows = read_rows(path)
    write_rows(path, header, [*rows, rows[0]])
    code, lines = run_validate(data_copy, capsys)
    assert code == 2
    dup = f"judgment_claims.csv:{len(rows) + 2}: column 'claim_id+judgment_id': duplicate key ({rows[0]['claim_id']}, {rows[0]['judgment_id']}) (expected each key once)"
    assert [line for line in lines if "duplicate" in line] == [dup]


def test_every_problem_is_reported_at_once(
    data_copy: Path, edit_cell: EditCell, capsys: pytest.CaptureFixture[str]
) -> None:
    edit_cell(data_copy, "persons", "per_abu_yunus", "side", "rusia")
    edit_cell(data_copy, "figures", "fig_bbc_2023_total", "unit", "people")
    (data_copy / "places.csv").write_text("")
    code, lines = run_validate(data_copy, capsys)
    assert code == 2
    files = {line.split(":")[0] for line in lines if ".csv" in line}
    assert {"persons.csv", "figures.csv", "places.csv"} <= files


# ----------------------------------------------------------------------------- file-level faults


def test_not_utf8(data_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = data_copy / "tactics.csv"
    path.write_bytes(path.read_bytes().replace(b"Fliers", "Fl\xefers".encode("latin-1")))
    line = 1 + path.read_bytes().split(b"\xef")[0].count(b"\n")
    code, lines = run_validate(data_copy, capsys)
    assert code == 2
    assert any(
        out.startswith(f"tactics.csv:{line}: not valid UTF-8 (byte 0xef at offset") for out in lines
    ), lines


def test_empty_file(data_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (data_copy / "tactics.csv").write_bytes(b"")
    assert_reported(
        data_copy,
        capsys,
        "tactics.csv: file is empty (expected a header row (tactic_id, name, tactic_category, …) and data rows)",
    )


def test_header_only(data_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = data_copy / "tactics.csv"
    path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    code, lines = run_validate(data_copy, capsys)
    assert code == 2
    assert "tactics.csv: file has a header but no rows (expected at least one data row)" in lines


def test_duplicated_column(data_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = data_copy / "tactics.csv"
    lines_in = path.read_text(encoding="utf-8").splitlines()
    path.write_text(
        "\n".join([lines_in[0] + ",name"] + [line + ",x" for line in lines_in[1:]]) + "\n",
        encoding="utf-8",
    )
    assert_reported(
        data_copy,
        capsys,
        "tactics.csv:1: column 'name': column appears more than once in the header (expected each column once)",
    )


def test_missing_column(data_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = data_copy / "tactics.csv"
    header, rows = read_rows(path)
    header.remove("description")
    write_rows(path, header, [{k: v for k, v in r.items() if k != "description"} for r in rows])
    code, lines = run_validate(data_copy, capsys)
    assert code == 2
    assert (
        "tactics.csv:1: column 'description': column is missing from the header "
        "(expected the columns of datapackage.json: tactic_id, name, tactic_category, description)"
    ) in lines


def test_unexpected_column(data_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = data_copy / "tactics.csv"
    header, rows = read_rows(path)
    write_rows(path, [*header, "colour"], [{**r, "colour": "red"} for r in rows])
    assert_reported(
        data_copy,
        capsys,
        "tactics.csv:1: column 'colour': column is not described in datapackage.json (expected only: tactic_id, name, tactic_category, description)",
    )


def test_row_with_extra_field(data_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = data_copy / "tactics.csv"
    text = path.read_text(encoding="utf-8").splitlines()
    text[3] += ",surplus"
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    assert_reported(
        data_copy,
        capsys,
        "tactics.csv:4: row has a different number of fields than the header (expected 4 fields)",
    )


def test_missing_archived_file(data_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (data_copy / "sources" / "000_11896b78d8c2897a.txt").unlink()
    _, sources = read_rows(data_copy / "sources.csv")
    line = 2 + next(
        i for i, s in enumerate(sources) if s["archived_path"] == "sources/000_11896b78d8c2897a.txt"
    )
    assert_reported(
        data_copy,
        capsys,
        f"sources.csv:{line}: column 'archived_path': archived file 'sources/000_11896b78d8c2897a.txt' not found (expected a file under data/)",
    )


def test_byte_order_mark_is_tolerated(data_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = data_copy / "tactics.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    refresh_package(data_copy)  # a file changed by hand: its recorded size and hash with it
    code, lines = run_validate(data_copy, capsys)
    assert code == 0, lines


def test_missing_folder_is_a_usage_error_without_traceback(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "ca_combatants.cli", "validate", str(tmp_path / "absent")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"error: data directory not found: {tmp_path / 'absent'}"
    assert "Traceback" not in proc.stdout + proc.stderr


def test_invalid_data_exits_2_without_traceback(data_copy: Path, edit_cell: EditCell) -> None:
    edit_cell(data_copy, "persons", "per_abu_yunus", "side", "rusia")
    refresh_package(data_copy)  # the one problem is the bad value, not the changed hash
    proc = subprocess.run(
        [sys.executable, "-m", "ca_combatants.cli", "validate", str(data_copy)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "INVALID, 1 problem(s)" in proc.stderr


def test_load_raises_with_every_problem(data_copy: Path, edit_cell: EditCell) -> None:
    edit_cell(data_copy, "persons", "per_abu_yunus", "side", "rusia")
    edit_cell(data_copy, "persons", "per_shavkat_muhammad", "side", "rusia")
    with pytest.raises(dataset.DataError) as info:
        dataset.load(data_copy)
    assert len(info.value.problems) == 2


# ----------------------------------------------------------------------------- validated before


def _assert_same_dataset(a: dataset.Dataset, b: dataset.Dataset) -> None:
    assert a.tables.keys() == b.tables.keys() and a.version == b.version
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name])
    assert a.source_texts == b.source_texts and a.source_texts


def test_a_package_validated_before_is_loaded_without_validating_again(
    data_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CA_BRIEF_CACHE_DIR", str(tmp_path / "cache"))
    validated = dataset.load(data_copy)
    (stamp,) = (tmp_path / "cache" / "validated").iterdir()  # one empty mark, nothing else
    assert not stamp.read_bytes()

    def not_again(*_: object) -> None:
        raise AssertionError("validated again")

    monkeypatch.setattr(dataset, "_rule_problems", not_again)
    _assert_same_dataset(dataset.load(data_copy), validated)
    assert validated_before(data_copy)  # what a batch asks, without pandas


def test_the_switch_off_gives_the_same_frames(
    data_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CA_BRIEF_CACHE_DIR", str(tmp_path / "cache"))
    dataset.load(data_copy)
    stamped = dataset.load(data_copy)
    monkeypatch.setenv("CA_BRIEF_CACHE_DIR", "")
    _assert_same_dataset(dataset.load(data_copy), stamped)


def test_any_change_to_the_data_is_validated_again(
    data_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edit_cell: EditCell
) -> None:
    monkeypatch.setenv("CA_BRIEF_CACHE_DIR", str(tmp_path / "cache"))
    dataset.load(data_copy)
    edit_cell(data_copy, "persons", "per_abu_yunus", "side", "rusia")
    assert not validated_before(data_copy)
    with pytest.raises(dataset.DataError) as info:
        dataset.load(data_copy)
    assert len(info.value.problems) == 1
    # an archived text is data too: a quote no longer in it is caught
    edit_cell(data_copy, "persons", "per_abu_yunus", "side", "russia")
    dataset.load(data_copy)
    archived = next((data_copy / "sources").rglob("*.txt"))
    archived.write_text(archived.read_text(encoding="utf-8") + " ", encoding="utf-8")
    with pytest.raises(dataset.DataError) as info:
        dataset.load(data_copy)
    assert any(p.column == "sha256" for p in info.value.problems)


def test_loading_without_a_cache_validates_every_time(
    data_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CA_BRIEF_CACHE_DIR", "")
    calls: list[int] = []
    real_rules = dataset._rule_problems

    def counted(*args: Any) -> list[Problem]:
        calls.append(1)
        return real_rules(*args)

    monkeypatch.setattr(dataset, "_rule_problems", counted)
    first, second = dataset.load(data_copy), dataset.load(data_copy)
    assert calls == [1, 1]
    assert not validated_before(data_copy)
    _assert_same_dataset(first, second)


def test_validated_columns_get_their_table_schema_types() -> None:
    fields = [
        {"name": "n", "type": "integer"},
        {"name": "x", "type": "number"},
        {"name": "ok", "type": "boolean"},
        {"name": "day", "type": "date"},
        {"name": "when", "type": "string", "x-precisionField": "when_precision"},
    ]
    strings = pd.DataFrame(
        {
            "n": ["+5", "-3", "007", None],
            "x": ["+2.5", ".5", "1e3", None],
            "ok": ["true", "0", "1", None],
            "day": ["2024-02-29", "2023-01-31", None, "1999-12-31"],
            "when": ["2023", "2024-02", "2023-06-15", None],
        },
        dtype=pd.StringDtype("pyarrow"),
    )
    typed = dataset._typed(strings, {"schema": {"fields": fields}})
    assert typed["n"].tolist()[:3] == [5, -3, 7] and typed["n"].dtype == "Int64"
    assert typed["x"].tolist()[:3] == [2.5, 0.5, 1000.0] and typed["x"].dtype == "Float64"
    assert typed[["n", "x"]].iloc[3].isna().all()
    assert typed["ok"].tolist() == [True, False, True, False]
    as_dates = pd.to_datetime(["2024-02-29", "2023-01-31", None, "1999-12-31"])
    pd.testing.assert_series_equal(typed["day"], pd.Series(as_dates, name="day"))
    starts = pd.to_datetime(["2023-01-01", "2024-02-01", "2023-06-15", None])
    ends = pd.to_datetime(["2023-12-31", "2024-02-29", "2023-06-15", None])
    pd.testing.assert_series_equal(typed["when_start"], pd.Series(starts, name="when_start"))
    pd.testing.assert_series_equal(typed["when_end"], pd.Series(ends, name="when_end"))


@pytest.mark.parametrize("ragged", [False, True])
def test_a_large_file_is_read_whole_with_physical_lines(tmp_path: Path, ragged: bool) -> None:
    resource = {"path": "big.csv", "schema": {"fields": [{"name": "a"}, {"name": "b"}]}}
    rows = [f"key{i:07d},value {i}" for i in range(400_000)]  # about 8 MB
    rows[250_000] = 'key0250000,"a value on\ntwo lines"'  # a quoted newline far into the file
    if ragged:
        rows[300_000] += ",surplus"
    (tmp_path / "big.csv").write_text("a,b\n" + "\n".join(rows) + "\n", encoding="utf-8")
    df, problems = dataset.read_table(tmp_path, resource)
    assert df is not None
    if ragged:
        assert len(df) == 399_999
        assert [(p.row, p.message) for p in problems] == [
            (300_003, "row has a different number of fields than the header")
        ]
    else:
        assert len(df) == 400_000 and not problems
        assert df["b"].loc[250_002] == "a value on\ntwo lines"
        assert df.index[-1] == 400_002  # the last row starts on the file's last line


# ------------------------------------------------------------------ a discrepancy's resolution


def _resolve(data_dir: Path, disc: str, **cells: str) -> int:
    """Set a discrepancy's status columns; return the file line of its row."""
    path = data_dir / "discrepancies.csv"
    header, rows = read_rows(path)
    index = next(i for i, r in enumerate(rows) if r["discrepancy_id"] == disc)
    rows[index].update(cells)
    write_rows(path, header, rows)
    return index + 2  # no discrepancy's text spans lines


def test_a_resolved_discrepancy_needs_its_date_and_claim(
    data_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    row = _resolve(data_copy, "disc_bekenov_abduction_place", status="resolved")
    code, lines = run_validate(data_copy, capsys)
    assert code == 2
    assert [line for line in lines if line.startswith("discrepancies.csv")] == [
        f"discrepancies.csv:{row}: column 'resolved_by_claim_id': missing although status is "
        "'resolved' (expected the claim_id (claims.csv) of the claim that settles it)",
        f"discrepancies.csv:{row}: column 'resolved_on': missing although status is 'resolved' "
        "(expected the date the resolution became known, YYYY-MM-DD)",
    ]


def test_an_open_discrepancy_has_no_resolution(
    data_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    row = _resolve(
        data_copy,
        "disc_bekenov_abduction_place",
        resolved_on="2023-05-01",
        resolved_by_claim_id="cl_web_rferl_2023_04_bekenov_02",
    )
    code, lines = run_validate(data_copy, capsys)
    assert code == 2
    assert [line for line in lines if line.startswith("discrepancies.csv")] == [
        f"discrepancies.csv:{row}: column 'resolved_by_claim_id': "
        "'cl_web_rferl_2023_04_bekenov_02' given although status is 'open' (expected an empty "
        "cell, or status 'resolved' if 'cl_web_rferl_2023_04_bekenov_02' settles it)",
        f"discrepancies.csv:{row}: column 'resolved_on': '2023-05-01' given although status is "
        "'open' (expected an empty cell, or status 'resolved' if '2023-05-01' settles it)",
    ]


def test_a_resolution_cannot_predate_its_source_or_name_a_claim_that_does_not_exist(
    data_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    row = _resolve(
        data_copy,
        "disc_bekenov_abduction_place",
        status="resolved",
        resolved_on="2023-04-01",
        resolved_by_claim_id="cl_web_rferl_2023_04_bekenov_02",
    )
    other = _resolve(
        data_copy,
        "disc_tj_prisoner_counts",
        status="resolved",
        resolved_on="2023-04-01",
        resolved_by_claim_id="cl_no_such_claim",
    )
    code, lines = run_validate(data_copy, capsys)
    assert code == 2
    assert other < row  # problems are listed in the order of the file
    assert [line for line in lines if line.startswith("discrepancies.csv")] == [
        f"discrepancies.csv:{other}: column 'resolved_by_claim_id': 'cl_no_such_claim' does not "
        "exist in claims.claim_id (expected an existing claim_id)",
        f"discrepancies.csv:{row}: column 'resolved_on': 2023-04-01 is before source "
        "web_rferl_2023_04_bekenov of claim cl_web_rferl_2023_04_bekenov_02 was published "
        "(2023-04-20) (expected a date on or after 2023-04-20)",
    ]


def test_a_resolved_discrepancy_with_its_date_and_claim_is_valid(
    data_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _resolve(
        data_copy,
        "disc_bekenov_abduction_place",
        status="resolved",
        resolved_on="2023-04-30",
        resolved_by_claim_id="cl_web_rferl_2023_04_bekenov_02",
    )
    refresh_package(data_copy)
    code, lines = run_validate(data_copy, capsys)
    assert code == 0, "\n".join(lines)
    # and a status other than the two is refused by the schema
    _resolve(data_copy, "disc_bekenov_abduction_place", status="settled")
    refresh_package(data_copy)
    code, lines = run_validate(data_copy, capsys)
    assert code == 2
    assert any(
        line.startswith("discrepancies.csv:") and "column 'status'" in line and "settled" in line
        for line in lines
    ), lines
