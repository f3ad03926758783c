"""`ca-brief export sqlite FILE`: the whole data package as one SQLite database, for `sqlite3`,
Datasette or any tool that reads SQLite.

Each table becomes a table of the same name with its columns typed as the descriptor says
(integer and boolean as INTEGER, number as REAL, string and date as TEXT, dates in ISO 8601),
its primary key and its foreign keys. A list field (items joined by ';') stays as the CSV has
it and is also split into a join table `<table>__<field>` (the row's key, `position`, `item`),
so `WHERE item = 'KZ'` needs no string matching. The archived texts are in `archived_texts`
(source_id, path, text), and `package` holds the descriptor itself.

The package is validated first; only a valid package is exported. The database is written to a
temporary file beside FILE and renamed over it once complete, so a failed export leaves an
existing FILE as it was. The standard library's sqlite3 writes it: every statement is a few
lines of SQL built from the descriptor, composite keys and join tables included, and a library
would add a runtime dependency for no less code."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sqlite3
import sys
from pathlib import Path
from typing import Any

from .datafiles import is_list, read_descriptor, tables_of
from .errors import DataDirError
from .paths import DEFAULT_DATA_DIR

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
SQL_TYPES = {"integer": "INTEGER", "boolean": "INTEGER", "number": "REAL"}
_TRUE = ("true", "True", "TRUE", "1")


class ExportError(Exception):
    """The export cannot be made: one line saying why and what to do; nothing was written."""

    def __init__(self, message: str, code: int = EXIT_USAGE):
        self.code = code
        super().__init__(message)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _keys(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def _cell(value: Any, spec: dict[str, Any]) -> Any:
    """A validated CSV cell as the SQLite value of its field's type (None when empty)."""
    if not isinstance(value, str):  # pandas' NA: the cell is empty
        return None
    ftype = spec.get("type", "string")
    if ftype == "integer":
        return int(value)
    if ftype == "number":
        return float(value)
    if ftype == "boolean":
        return int(value in spec.get("trueValues", _TRUE))
    return str(value)


def _list_table(table: str, field: str) -> str:
    return f"{table}__{field}"


def schema_sql(descriptor: dict[str, Any]) -> list[str]:
    """CREATE TABLE statements for every table, its list fields' join tables and the texts."""
    statements = []
    for res in tables_of(descriptor):
        schema, name = res["schema"], res["name"]
        pk = _keys(schema.get("primaryKey"))
        cols = []
        for spec in schema["fields"]:
            col = f"{_q(spec['name'])} {SQL_TYPES.get(spec.get('type', 'string'), 'TEXT')}"
            if spec.get("constraints", {}).get("required") or spec["name"] in pk:
                col += " NOT NULL"
            if spec.get("type") == "boolean":
                col += f" CHECK ({_q(spec['name'])} IN (0, 1))"
            cols.append(col)
        if pk:
            cols.append(f"PRIMARY KEY ({', '.join(_q(k) for k in pk)})")
        for fk in schema.get("foreignKeys", []):
            ref = fk["reference"]
            target = ref.get("resource") or name  # no resource: the table itself
            cols.append(
                f"FOREIGN KEY ({', '.join(_q(k) for k in _keys(fk['fields']))}) "
                f"REFERENCES {_q(target)} ({', '.join(_q(k) for k in _keys(ref['fields']))})"
            )
        statements.append(f"CREATE TABLE {_q(name)} (\n  " + ",\n  ".join(cols) + "\n)")
        for spec in schema["fields"]:
            if not is_list(spec) or not pk:
                continue
            types = {
                f["name"]: SQL_TYPES.get(f.get("type", "string"), "TEXT") for f in schema["fields"]
            }
            key_cols = [f"{_q(k)} {types[k]} NOT NULL" for k in pk]
            statements.append(
                f"CREATE TABLE {_q(_list_table(name, spec['name']))} (\n  "
                + ",\n  ".join(
                    [
                        *key_cols,
                        '"position" INTEGER NOT NULL',
                        '"item" TEXT NOT NULL',
                        f'PRIMARY KEY ({", ".join(_q(k) for k in pk)}, "position")',
                        f"FOREIGN KEY ({', '.join(_q(k) for k in pk)}) "
                        f"REFERENCES {_q(name)} ({', '.join(_q(k) for k in pk)})",
                    ]
                )
                + "\n)"
            )
    statements.append(
        'CREATE TABLE "archived_texts" (\n  "source_id" TEXT NOT NULL PRIMARY KEY,\n'
        '  "path" TEXT NOT NULL,\n  "text" TEXT NOT NULL,\n'
        '  FOREIGN KEY ("source_id") REFERENCES "sources" ("source_id")\n)'
    )
    statements.append(
        'CREATE TABLE "package" (\n  "key" TEXT NOT NULL PRIMARY KEY,\n  "value" TEXT\n)'
    )
    return statements


def _unique_targets(descriptor: dict[str, Any]) -> list[str]:
    """A UNIQUE index on each referenced column that is not its table's primary key: SQLite
    enforces a foreign key only on a key."""
    resources = {r["name"]: r for r in tables_of(descriptor)}
    out = set()
    for name, res in resources.items():
        for fk in res["schema"].get("foreignKeys", []):
            target = fk["reference"].get("resource") or name
            cols = _keys(fk["reference"]["fields"])
            if cols != _keys(resources[target]["schema"].get("primaryKey")):
                index = f"{target}__{'_'.join(cols)}__unique"
                out.add(
                    f"CREATE UNIQUE INDEX {_q(index)} ON {_q(target)} "
                    f"({', '.join(_q(c) for c in cols)})"
                )
    return sorted(out)


def write_database(data_dir: Path, path: Path) -> dict[str, int]:
    """Write the package into a new SQLite file at path (which must not exist); rows per table."""
    from . import dataset

    descriptor = read_descriptor(data_dir)
    result = dataset.check(data_dir)
    if not result.ok:
        first = result.problems[0] if result.problems else "a table could not be read"
        raise ExportError(
            f"the data package is invalid ({len(result.problems)} problem(s), the first: "
            f"{data_dir}/{first}); run `ca-brief validate {data_dir}` and fix them first"
        )
    counts: dict[str, int] = {}
    con = sqlite3.connect(path)
    try:
        with con:
            for statement in schema_sql(descriptor) + _unique_targets(descriptor):
                con.execute(statement)
            for res in tables_of(descriptor):
                name, fields = res["name"], res["schema"]["fields"]
                pk = _keys(res["schema"].get("primaryKey"))
                df = result.tables[name]
                marks = ", ".join("?" * len(fields))
                columns = ", ".join(_q(f["name"]) for f in fields)
                rows = [
                    tuple(_cell(v, spec) for v, spec in zip(record, fields, strict=True))
                    for record in df[[f["name"] for f in fields]].itertuples(index=False)
                ]
                con.executemany(f"INSERT INTO {_q(name)} ({columns}) VALUES ({marks})", rows)
                counts[name] = len(rows)
                for i, spec in enumerate(fields):
                    if not is_list(spec) or not pk:
                        continue
                    delim = spec.get("delimiter", ",")
                    key_at = [next(j for j, f in enumerate(fields) if f["name"] == k) for k in pk]
                    items = [
                        (*(row[j] for j in key_at), n, item.strip())
                        for row in rows
                        if row[i]
                        for n, item in enumerate(str(row[i]).split(delim))
                        if item.strip()
                    ]
                    table = _list_table(name, spec["name"])
                    con.executemany(
                        f"INSERT INTO {_q(table)} VALUES ({', '.join('?' * (len(pk) + 2))})",
                        items,
                    )
                    counts[table] = len(items)
            sources = result.tables["sources"]
            texts = [
                (sid, rel, (data_dir / rel).read_text(encoding="utf-8-sig"))
                for sid, rel in zip(sources["source_id"], sources["archived_path"], strict=True)
                if isinstance(rel, str) and rel
            ]
            con.executemany('INSERT INTO "archived_texts" VALUES (?, ?, ?)', texts)
            counts["archived_texts"] = len(texts)
            con.executemany(
                'INSERT INTO "package" VALUES (?, ?)',
                [
                    ("name", str(descriptor.get("name", ""))),
                    ("version", str(descriptor.get("version", ""))),
                    ("datapackage.json", json.dumps(descriptor, ensure_ascii=False)),
                ],
            )
            bad = con.execute("PRAGMA foreign_key_check").fetchall()
            if bad:
                table, rowid, parent, _ = bad[0]
                raise ExportError(
                    f"{len(bad)} row(s) break a foreign key, the first in table {table!r} "
                    f"(row {rowid}) referring to {parent!r}; run `ca-brief validate {data_dir}`",
                    EXIT_FAILED,
                )
    finally:
        con.close()
    return counts


def export_sqlite(data_dir: Path, target: Path) -> dict[str, int]:
    """The package as one SQLite database at target, replaced in one step; rows per table."""
    if target.is_dir():
        raise ExportError(f"{target} is a folder; give the database file's name, e.g. data.db")
    if not target.parent.is_dir():
        raise ExportError(f"folder {target.parent} does not exist; create it or choose another")
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        counts = write_database(data_dir, tmp)
        with tmp.open("rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    return counts


def _export_sqlite(args: argparse.Namespace) -> int:
    data_dir, target = Path(args.data_dir), Path(args.file)
    try:
        counts = export_sqlite(data_dir, target)
    except ExportError as exc:
        print(f"error: {exc}; {target} was not changed", file=sys.stderr)
        return exc.code
    except DataDirError as exc:
        print(f"error: {exc}; {target} was not changed", file=sys.stderr)
        return EXIT_USAGE
    except (OSError, sqlite3.Error) as exc:
        print(f"error: cannot write {target}: {exc}; {target} was not changed", file=sys.stderr)
        return EXIT_FAILED
    lists = sum(1 for name in counts if "__" in name)
    print(
        f"{target}: {len(counts) - lists} tables and {lists} list tables, "
        f"{sum(counts.values())} rows (open with: sqlite3 {target})"
    )
    return EXIT_OK


def add_commands(subparsers: Any) -> None:
    """`export sqlite`, under the given argparse subparsers."""
    e = subparsers.add_parser("export", help="write the data package in another format")
    e_sub = e.add_subparsers(dest="export_command", required=True)
    s = e_sub.add_parser(
        "sqlite",
        help="the whole package as one SQLite database (keys enforced; for sqlite3 or Datasette)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    s.add_argument("file", help="the database to write (replaced in one step if it exists)")
    s.add_argument(
        "--data-dir",
        dest="data_dir",
        default=str(DEFAULT_DATA_DIR),
        help="data package folder (default: the repository's data/)",
    )
    s.set_defaults(func=_export_sqlite)
