"""The data package as its ecosystem reads it: the Frictionless reference tooling, the official
Data Package v2 JSON Schema profiles, csvkit; and the sizes and hashes the descriptor records,
kept right by `ca-brief package refresh`, `source add` and `card apply`."""

from __future__ import annotations

import csv
import hashlib
import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from ca_combatants import dataset
from ca_combatants.cli import main
from ca_combatants.datafiles import list_pattern, stale_resources
from ca_combatants.intake import refresh_package
from ca_combatants.paths import DEFAULT_DATA_DIR

from .conftest import read_rows, write_rows

V2 = "https://datapackage.org/profiles/2.0/datapackage.json"
BIN = Path(sys.executable).parent


def descriptor(data_dir: Path = DEFAULT_DATA_DIR) -> dict[str, Any]:
    return json.loads((data_dir / "datapackage.json").read_text(encoding="utf-8"))


def frictionless(data_dir: Path) -> dict[str, Any]:
    """`frictionless validate datapackage.json --json`, run in the data folder as a user would."""
    proc = subprocess.run(
        [str(BIN / "frictionless"), "validate", "datapackage.json", "--json"],
        cwd=data_dir,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    report: dict[str, Any] = json.loads(proc.stdout)
    assert proc.returncode == (0 if report["valid"] else 1), proc.stderr
    return report


def frictionless_errors(report: dict[str, Any]) -> list[tuple[str, str]]:
    found = [(e["type"], e["note"]) for e in report.get("errors", [])]
    for task in report["tasks"]:
        found += [(e["type"], f"{task['name']}: {e['note']}") for e in task["errors"]]
    return found


def profile_errors(doc: dict[str, Any], version: str = "2.0") -> list[str]:
    """The official Data Package JSON Schema profile (as dplib-py ships it, the same file as
    datapackage.org/profiles/<version>/datapackage.json) applied to the descriptor."""
    path = metadata.distribution("dplib-py").locate_file(
        f"dplib/profiles/{version}/datapackage.json"
    )
    profile = json.loads(Path(str(path)).read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(profile)(profile)
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message[:120]}"
        for e in validator.iter_errors(doc)
    ]


# ----------------------------------------------------------------------------- the standard


def test_frictionless_validate_is_clean_on_every_resource() -> None:
    report = frictionless(DEFAULT_DATA_DIR)
    assert frictionless_errors(report) == []
    assert report["valid"]
    # every table and every archived text was read and checked, not skipped
    names = {task["name"] for task in report["tasks"]}
    assert names == {r["name"] for r in descriptor()["resources"]}
    assert all(task["valid"] for task in report["tasks"])


def test_frictionless_reports_a_changed_file_and_a_bad_value(data_copy: Path) -> None:
    """The clean run above can fail: frictionless checks the recorded hash and the values."""
    text = data_copy / "sources" / "000_11896b78d8c2897a.txt"
    text.write_bytes(text.read_bytes() + b"\n")
    header, rows = read_rows(data_copy / "persons.csv")
    rows[0]["citizenships"] = "KZ;XX"
    write_rows(data_copy / "persons.csv", header, rows)
    report = frictionless(data_copy)
    assert not report["valid"]
    kinds = {kind for kind, _ in frictionless_errors(report)}
    assert {"hash-count", "byte-count", "constraint-error"} <= kinds, frictionless_errors(report)


def test_the_official_v2_profile_reports_no_error() -> None:
    doc = descriptor()
    assert doc["$schema"] == V2
    assert profile_errors(doc) == []
    assert profile_errors(doc, "1.0") == []  # a v1 reader accepts it too


def test_the_profile_check_can_fail() -> None:
    doc = descriptor()
    doc["resources"][1]["schema"]["foreignKeys"] = []  # what the descriptor had before v2
    doc["resources"][3]["schema"]["fields"][0]["type"] = "text"
    errors = profile_errors(doc)
    assert len(errors) == 2, errors
    assert any(e.startswith("resources/1/schema/foreignKeys") for e in errors)


def test_the_package_describes_itself() -> None:
    doc = descriptor()
    assert doc["keywords"] and all(isinstance(k, str) and k for k in doc["keywords"])
    assert doc["contributors"] and all(c.get("title") for c in doc["contributors"])
    assert doc["created"].endswith("Z") and doc["created"][:4] >= "2026"
    # the package's sources are the rows of sources.csv, with their addresses
    _, sources = read_rows(DEFAULT_DATA_DIR / "sources.csv")
    assert [s["title"] for s in doc["sources"]] == [s["title"] for s in sources]
    assert [s.get("path", "") for s in doc["sources"]] == [s["url"] for s in sources]


def test_every_resource_has_its_files_bytes_and_sha256() -> None:
    for res in descriptor()["resources"]:
        raw = (DEFAULT_DATA_DIR / res["path"]).read_bytes()
        assert res["bytes"] == len(raw), res["name"]
        assert res["hash"] == "sha256:" + hashlib.sha256(raw).hexdigest(), res["name"]


def test_every_archived_text_is_a_resource() -> None:
    _, sources = read_rows(DEFAULT_DATA_DIR / "sources.csv")
    archived = [s for s in sources if s["archived_path"]]
    texts = {r["path"]: r for r in descriptor()["resources"] if "schema" not in r}
    assert set(texts) == {s["archived_path"] for s in archived}
    assert set(texts) == {f"sources/{p.name}" for p in (DEFAULT_DATA_DIR / "sources").iterdir()}
    for s in archived:
        res = texts[s["archived_path"]]
        assert res["name"] == f"text_{s['source_id']}"
        assert res["mediatype"] == "text/plain" and res["encoding"] == "utf-8"
        assert res["hash"] == f"sha256:{s['sha256']}" and res["bytes"] == int(s["archived_bytes"])


def test_list_fields_carry_the_pattern_of_their_items() -> None:
    lists = [
        (res["name"], spec)
        for res in descriptor()["resources"]
        for spec in res.get("schema", {}).get("fields", [])
        if "delimiter" in spec
    ]
    assert {(name, spec["name"]) for name, spec in lists} == {
        ("persons", "citizenships"),
        ("figures", "country_scope"),
        ("judgments", "countries"),
        ("judgments", "sides"),
    }
    for _, spec in lists:
        assert spec["type"] == "string"  # the v2.0 profile has no `list` type
        assert spec["constraints"]["pattern"] == list_pattern(spec["x-itemEnum"], ";")


def test_the_loader_accepts_the_descriptor_and_a_v2_list_type(data_copy: Path) -> None:
    ds = dataset.load(DEFAULT_DATA_DIR)
    assert set(ds.tables) == {r["name"] for r in descriptor()["resources"] if "schema" in r}
    header, rows = read_rows(data_copy / "persons.csv")
    rows[0]["citizenships"] = "KZ;XX"
    write_rows(data_copy / "persons.csv", header, rows)
    one = ["list holds a value outside the allowed set: 'KZ;XX'"]
    assert [p.message for p in dataset.check(data_copy).problems] == one  # not the pattern too
    # the v2 prose's `list` type (which the published profile lacks) is read the same way
    doc = descriptor(data_copy)
    persons = next(r for r in doc["resources"] if r["name"] == "persons")
    spec = next(f for f in persons["schema"]["fields"] if f["name"] == "citizenships")
    spec["type"] = "list"
    del spec["constraints"]
    (data_copy / "datapackage.json").write_text(json.dumps(doc), encoding="utf-8")
    assert [p.message for p in dataset.check(data_copy).problems] == one


# ----------------------------------------------------------------------------- kept right


def validate(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = main(["validate", str(data_dir)])
    captured = capsys.readouterr()
    lines = (captured.out + captured.err).splitlines()
    return code, [line.removeprefix(f"{data_dir}/") for line in lines if line.strip()]


def test_refresh_leaves_the_real_package_as_it_is(data_copy: Path) -> None:
    before = (data_copy / "datapackage.json").read_bytes()
    assert refresh_package(data_copy) == []
    assert (data_copy / "datapackage.json").read_bytes() == before


def test_a_table_edited_by_hand_is_stale_until_refreshed(
    data_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    header, rows = read_rows(data_copy / "tactics.csv")
    rows[0]["description"] += " Edited."
    write_rows(data_copy / "tactics.csv", header, rows)
    code, lines = validate(data_copy, capsys)
    assert code == 2
    size = (data_copy / "tactics.csv").stat().st_size
    recorded = next(
        r["bytes"] for r in descriptor(data_copy)["resources"] if r["name"] == "tactics"
    )
    assert lines[:-1] == [
        f"datapackage.json: resource 'tactics' (tactics.csv) changed since its size and hash "
        f"were recorded ({recorded} bytes then, {size} now) (expected the files' current size "
        "and hash: run `ca-brief package refresh` (--data-dir DIR for another folder))"
    ]
    assert lines[-1].endswith("INVALID, 1 problem(s)")
    assert main(["package", "refresh", "--data-dir", str(data_copy)]) == 0
    assert "tactics.csv: " in capsys.readouterr().out
    assert validate(data_copy, capsys)[0] == 0
    assert stale_resources(data_copy, descriptor(data_copy)) == []
    assert frictionless_errors(frictionless(data_copy)) == []


def test_a_hash_edited_by_hand_is_reported_even_at_the_same_size(
    data_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = descriptor(data_copy)
    doc["resources"][-1]["hash"] = "sha256:" + "0" * 64
    (data_copy / "datapackage.json").write_text(json.dumps(doc, indent=1), encoding="utf-8")
    code, lines = validate(data_copy, capsys)
    assert code == 2
    assert any(
        line.startswith(f"datapackage.json: resource '{doc['resources'][-1]['name']}'")
        for line in lines
    )


def test_source_add_and_card_apply_keep_sizes_and_hashes(
    data_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capture = tmp_path / "capture.txt"
    capture.write_text("A court in Bishkek sentenced him to ten years for mercenarism.\n")
    code = main(
        [
            "source", "add", "--data-dir", str(data_copy), "--file", str(capture),
            "--title", "Capture", "--publisher", "org_rferl", "--published", "2023-05",
            "--date-basis", "month in the capture", "--licence", "not stated",
            "--grade", "B", "--grade-rationale", "test",
        ]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    doc = descriptor(data_copy)
    assert stale_resources(data_copy, doc) == []
    text = next(r for r in doc["resources"] if r.get("name") == "text_rferl_2023_05")
    assert text["path"] == "sources/rferl_2023_05.txt"
    assert text["bytes"] == len(capture.read_bytes())
    assert doc["sources"][-1] == {"title": "Capture"}  # no URL for this capture
    card = data_copy / "cards" / "rferl_2023_05.yaml"
    card.write_text(
        "source_id: rferl_2023_05\nclaims:\n"
        "  - {topic: legal, statement: A court sentenced him to ten years for mercenarism.,\n"
        "     quote: sentenced him to ten years for mercenarism, information_credibility: 3}\n",
        encoding="utf-8",
    )
    assert main(["card", "apply", str(card), "--data-dir", str(data_copy)]) == 0, (
        capsys.readouterr().err
    )
    assert stale_resources(data_copy, descriptor(data_copy)) == []
    assert validate(data_copy, capsys)[0] == 0


# ----------------------------------------------------------------------------- csvkit


def test_every_table_opens_in_csvsql_without_flags() -> None:
    """csvkit's csvsql sniffs each file's dialect, infers its types and loads it into SQLite;
    every record arrives, with its id and its text as the csv module reads them."""
    tables = [r for r in descriptor()["resources"] if "schema" in r]
    for res in tables:
        path = DEFAULT_DATA_DIR / res["path"]
        header, rows = read_rows(path)
        key = res["schema"]["primaryKey"]
        keys = [key] if isinstance(key, str) else key
        text_col = max(header, key=lambda c: sum(len(r[c]) for r in rows))  # the longest text
        cols = ", ".join(f'"{c}"' for c in [*keys, text_col])
        proc = subprocess.run(
            [str(BIN / "csvsql"), "--query", f'SELECT {cols} FROM "{path.stem}"', str(path)],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert proc.returncode == 0, (res["path"], proc.stderr)
        assert "sniffing" not in proc.stderr, (res["path"], proc.stderr)
        out = list(csv.DictReader(proc.stdout.splitlines(keepends=True)))
        assert [tuple(r[c] for c in keys) for r in out] == [
            tuple(r[c] for c in keys) for r in rows
        ], res["path"]
        assert [r[text_col] for r in out] == [r[text_col] for r in rows], res["path"]
