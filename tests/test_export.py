"""`ca-brief export sqlite FILE`: the package as one SQLite database, keys enforced, written
in one step."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ca_combatants import export
from ca_combatants.cli import main
from ca_combatants.paths import DEFAULT_DATA_DIR

from .conftest import read_rows, write_rows


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sqlite3.Connection]:
    path = tmp_path_factory.mktemp("export") / "package.db"
    assert main(["export", "sqlite", str(path), "--data-dir", str(DEFAULT_DATA_DIR)]) == 0
    con = sqlite3.connect(path)
    con.execute("PRAGMA foreign_keys = ON")
    yield con
    con.close()


def tables() -> list[dict]:
    doc = json.loads((DEFAULT_DATA_DIR / "datapackage.json").read_text(encoding="utf-8"))
    return [r for r in doc["resources"] if "schema" in r]


def test_every_table_arrives_whole(db: sqlite3.Connection) -> None:
    for res in tables():
        _, rows = read_rows(DEFAULT_DATA_DIR / res["path"])
        (n,) = db.execute(f'SELECT count(*) FROM "{res["name"]}"').fetchone()
        assert n == len(rows), res["name"]
    (n,) = db.execute("SELECT count(*) FROM archived_texts").fetchone()
    assert n == len(list((DEFAULT_DATA_DIR / "sources").iterdir()))


def test_claims_join_their_sources(db: sqlite3.Connection) -> None:
    _, claims = read_rows(DEFAULT_DATA_DIR / "claims.csv")
    _, sources = read_rows(DEFAULT_DATA_DIR / "sources.csv")
    title = {s["source_id"]: s["title"] for s in sources}
    joined = db.execute(
        "SELECT c.claim_id, s.title, s.reliability_grade FROM claims c "
        "JOIN sources s ON s.source_id = c.source_id ORDER BY c.rowid"
    ).fetchall()
    assert [(cid, t) for cid, t, _ in joined] == [
        (c["claim_id"], title[c["source_id"]]) for c in claims
    ]
    # a quote is in its archived text, as the validator checks: here in SQL
    (quoted,) = db.execute(
        "SELECT count(*) FROM claims c JOIN archived_texts t USING (source_id) "
        "WHERE c.quote IS NOT NULL"
    ).fetchone()
    assert quoted == sum(1 for c in claims if c["quote"])


def test_foreign_and_primary_keys_are_enforced(db: sqlite3.Connection) -> None:
    claim = db.execute("SELECT * FROM claims LIMIT 1").fetchone()
    cols = [d[0] for d in db.execute("SELECT * FROM claims LIMIT 1").description]
    bad = dict(zip(cols, claim, strict=True)) | {"claim_id": "cl_new", "source_id": "no_such"}
    marks = ", ".join("?" * len(cols))
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        db.execute(f"INSERT INTO claims VALUES ({marks})", list(bad.values()))
    again = dict(zip(cols, claim, strict=True))  # the same claim_id twice
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        db.execute(f"INSERT INTO claims VALUES ({marks})", list(again.values()))
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        db.execute("INSERT INTO persons__citizenships VALUES ('per_nobody', 0, 'KZ')")
    db.rollback()
    # the database says which keys it has, for Datasette and any other reader
    fks = db.execute('SELECT "table", "to" FROM pragma_foreign_key_list(\'claims\')').fetchall()
    assert ("sources", "source_id") in fks


def test_list_fields_become_join_tables(db: sqlite3.Connection) -> None:
    _, persons = read_rows(DEFAULT_DATA_DIR / "persons.csv")
    expected = sorted(
        (p["person_id"], i, item)
        for p in persons
        if p["citizenships"]
        for i, item in enumerate(p["citizenships"].split(";"))
    )
    assert sorted(db.execute("SELECT * FROM persons__citizenships").fetchall()) == expected
    kz = db.execute(
        "SELECT count(DISTINCT person_id) FROM persons__citizenships WHERE item = 'KZ'"
    ).fetchone()[0]
    assert kz == sum(1 for p in persons if "KZ" in p["citizenships"].split(";"))


def test_columns_have_their_types(db: sqlite3.Connection) -> None:
    types = dict(
        db.execute("SELECT typeof(archived_bytes), count(*) FROM sources GROUP BY 1").fetchall()
    )
    _, sources = read_rows(DEFAULT_DATA_DIR / "sources.csv")
    assert types.get("integer") == sum(1 for s in sources if s["archived_bytes"])
    assert types.get("null") == sum(1 for s in sources if not s["archived_bytes"])
    flags = {v for (v,) in db.execute("SELECT DISTINCT is_public_figure FROM persons")}
    assert flags <= {0, 1} and flags


def test_datasette_serves_the_database_and_runs_joins_through_its_json_api(
    tmp_path: Path,
) -> None:
    """The exported file opened with Datasette's Python API, queried as a browser or a script
    would query `datasette package.db`: a SQL join, and the labels Datasette finds through the
    foreign keys; each answer checked against the CSV files."""
    import asyncio

    from datasette.app import Datasette

    path = tmp_path / "package.db"
    assert main(["export", "sqlite", str(path), "--data-dir", str(DEFAULT_DATA_DIR)]) == 0
    _, claims = read_rows(DEFAULT_DATA_DIR / "claims.csv")
    _, sources = read_rows(DEFAULT_DATA_DIR / "sources.csv")
    _, orgs = read_rows(DEFAULT_DATA_DIR / "organisations.csv")
    _, figures = read_rows(DEFAULT_DATA_DIR / "figures.csv")
    _, register = read_rows(DEFAULT_DATA_DIR / "discrepancies.csv")
    org_name = {o["org_id"]: o["name"] for o in orgs}
    publisher = {s["source_id"]: org_name[s["publisher_org_id"]] for s in sources}
    case = "case_kg_askar"  # a conviction several outlets report
    expected = [
        {"claim_id": c["claim_id"], "publisher": publisher[c["source_id"]]}
        for c in claims
        if c["case_id"] == case
    ]
    assert len({e["publisher"] for e in expected}) >= 2

    async def ask() -> tuple[Any, Any, Any]:
        datasette = Datasette(files=[str(path)])
        await datasette.invoke_startup()
        joined = await datasette.client.get(
            "/package.json",
            params={
                "sql": "SELECT c.claim_id, o.name AS publisher FROM claims c "
                "JOIN sources s ON s.source_id = c.source_id "
                "JOIN organisations o ON o.org_id = s.publisher_org_id "
                "WHERE c.case_id = :case ORDER BY c.rowid",
                "case": case,
                "_shape": "array",
            },
        )
        labelled = await datasette.client.get(
            "/package/figures.json",
            params={"figure_category": "criminal_cases", "_labels": "on", "_shape": "array"},
        )
        status = await datasette.client.get(
            "/package.json",
            params={
                "sql": "SELECT status, count(*) AS n FROM discrepancies GROUP BY status",
                "_shape": "array",
            },
        )
        return joined, labelled, status

    joined, labelled, status = asyncio.run(ask())
    assert joined.status_code == labelled.status_code == status.status_code == 200
    assert joined.json() == expected
    # Datasette reads the foreign keys: each count's counter comes with its organisation's name
    counted = {
        f["figure_id"]: (f["value_text"], org_name[f["counted_by_org_id"]])
        for f in figures
        if f["figure_category"] == "criminal_cases"
    }
    assert {
        f["figure_id"]: (f["value_text"], f["counted_by_org_id"]["label"]) for f in labelled.json()
    } == counted
    assert (
        "10 criminal cases",
        "National Security Committee of Kazakhstan (KNB)",
    ) in counted.values()
    statuses: dict[str, int] = {}
    for d in register:
        statuses[d["status"]] = statuses.get(d["status"], 0) + 1
    assert {r["status"]: r["n"] for r in status.json()} == statuses


def test_a_failed_export_leaves_the_existing_file(
    data_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "package.db"
    target.write_bytes(b"the previous export")
    header, rows = read_rows(data_copy / "claims.csv")
    rows[0]["source_id"] = "no_such_source"
    write_rows(data_copy / "claims.csv", header, rows)
    assert main(["export", "sqlite", str(target), "--data-dir", str(data_copy)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: the data package is invalid (1 problem(s), the first: ")
    assert "'no_such_source' does not exist in sources.source_id" in err
    assert err.rstrip().endswith(f"{target} was not changed")
    assert target.read_bytes() == b"the previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "package.db"]  # no temp file


def test_a_write_that_fails_midway_leaves_the_existing_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "package.db"
    assert main(["export", "sqlite", str(target)]) == 0
    before = target.read_bytes()

    def full_disk(descriptor: object) -> list[str]:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(export, "_unique_targets", full_disk)
    assert main(["export", "sqlite", str(target)]) == 1
    assert "database or disk is full" in capsys.readouterr().err
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["package.db"]


def test_a_bad_target_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "sqlite", str(tmp_path / "absent" / "x.db")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"error: folder {tmp_path / 'absent'} does not exist; create it or choose another; "
        f"{tmp_path / 'absent' / 'x.db'} was not changed"
    )
    assert main(["export", "sqlite", str(tmp_path)]) == 2
    assert "is a folder; give the database file's name" in capsys.readouterr().err
