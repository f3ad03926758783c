"""The data package's files, read without pandas: the descriptor (checked to be one this code
can follow), every file's SHA-256 and the newest publication date, and whether this exact
package has passed validation before. A render needs these for its manifest before the data is
loaded; a batch, to skip validating it again.

Every file the package names is resolved (symlinks followed) and must lie inside the data folder.

The descriptor is a Frictionless Data Package v2: its resources are the tables (each with a
Table Schema) and the archived texts (files, with no schema); each records its file's `bytes` and
`hash`, which stale_resources compares with the files (`ca-brief package refresh` records them)."""

from __future__ import annotations

import csv
import datetime
import functools
import hashlib
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import Any, NoReturn

from .cache import cache_dir
from .errors import DataDirError, Problem
from .paths import PACKAGE_DIR

DESCRIPTOR = "datapackage.json"
OUTSIDE = "a data package must not read outside its folder"
FIELD_TYPES = ("string", "integer", "number", "boolean", "date", "list")

# The tables and columns the validator's rules and the typed Dataset read by name: a descriptor
# may describe more, never less.
NEEDED_FIELDS: dict[str, tuple[str, ...]] = {
    "sources": ("source_id", "source_kind", "publisher_org_id", "published_earliest",
                "published_latest", "archived_path", "sha256"),
    "organisations": ("org_id",),
    "places": ("place_id",),
    "persons": ("person_id",),
    "events": ("event_id", "event_date"),
    "figures": ("figure_id", "value_low", "value_best", "value_high", "qualifier"),
    "legal_provisions": ("provision_id", "penalty_min_years", "penalty_max_years"),
    "legal_cases": ("case_id",),
    "tactics": ("tactic_id",),
    "tactic_evidence": ("tactic_id",),
    "claims": ("claim_id", "source_id", "quote", "statement_date", "person_id",
               "speaker_person_id", "event_id", "figure_id", "provision_id", "case_id",
               "org_id", "speaker_org_id", "first_reported_by_org_id", "place_id"),
    "discrepancies": ("discrepancy_id",),
    "discrepancy_claims": ("discrepancy_id", "claim_id"),
    "judgments": ("judgment_id", "confidence"),
    "judgment_claims": ("judgment_id", "claim_id", "sentences"),
}  # fmt: skip


def is_table(resource: dict[str, Any]) -> bool:
    """A table (a CSV with a Table Schema); the other resources are files, such as the archived
    texts, that the package lists with their size and hash."""
    return "schema" in resource


def tables_of(descriptor: dict[str, Any]) -> list[dict[str, Any]]:
    return [res for res in descriptor["resources"] if is_table(res)]


def is_list(spec: dict[str, Any]) -> bool:
    """A field whose cells hold items joined by its `delimiter`: Table Schema v2's `list` type,
    or (what the published v2.0 profile accepts) a string field with a delimiter, whose items
    `x-itemEnum` names and whose `pattern` is derived from them (see list_pattern)."""
    return spec.get("type") == "list" or "delimiter" in spec


def list_pattern(items: list[str], delimiter: str) -> str:
    """The regular expression a list field's cells match: allowed items joined by the delimiter."""
    item = "(?:" + "|".join(re.escape(i) for i in sorted(items)) + ")"
    return f"^{item}(?:{re.escape(delimiter)}{item})*$"


def file_facts(path: Path) -> tuple[int, str]:
    """Size in bytes and the Data Package v2 hash ("sha256:<hex>") of a file."""
    return path.stat().st_size, "sha256:" + sha256(path)


def stale_resources(data_dir: Path, descriptor: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(resource name, path, what is wrong) for each resource whose recorded `bytes` or `hash`
    differs from its file, or lacks them: a file changed without `ca-brief package refresh`."""
    stale = []
    for res in descriptor["resources"]:
        path = inside(data_dir, res["path"])
        if path is None:
            stale.append((res["name"], res["path"], f"is outside the folder ({OUTSIDE})"))
            continue
        if not path.is_file():
            if not is_table(res):  # a missing table is validation's to report
                stale.append((res["name"], res["path"], "is missing"))
            continue
        size, digest = file_facts(path)
        if "bytes" not in res or "hash" not in res:
            stale.append((res["name"], res["path"], "has no recorded bytes and hash"))
        elif res["bytes"] != size or res["hash"] != digest:
            stale.append(
                (
                    res["name"],
                    res["path"],
                    f"changed since its size and hash were recorded ({res['bytes']} bytes "
                    f"then, {size} now)",
                )
            )
    return stale


def stale_problems(data_dir: Path) -> list[Problem]:
    """The stale resources as problems of datapackage.json, each saying the command that fixes
    it (what `ca-brief validate` reports after the data's own problems)."""
    fix = "the files' current size and hash: run `ca-brief package refresh` (--data-dir DIR for another folder)"
    return [
        Problem(DESCRIPTOR, 0, "", f"resource '{name}' ({rel}) {what}", fix)
        for name, rel, what in stale_resources(data_dir, read_descriptor(data_dir))
    ]


def inside(data_dir: Path, rel: str) -> Path | None:
    """The file a package path names, with symlinks resolved; None if it lies outside data_dir."""
    root = data_dir.resolve()
    path = (root / rel).resolve()
    if PurePosixPath(rel).is_absolute() or not path.is_relative_to(root):
        return None
    return path


def read_descriptor(data_dir: Path) -> dict[str, Any]:
    """The parsed datapackage.json, or DataDirError (one line) saying what is wrong with it."""
    if not data_dir.is_dir():
        raise DataDirError(f"data directory not found: {data_dir}")
    path = data_dir / DESCRIPTOR
    if not path.is_file():
        raise DataDirError(f"no {DESCRIPTOR} in {data_dir}")
    if inside(data_dir, DESCRIPTOR) is None:
        raise DataDirError(f"{OUTSIDE}: {path} links to a file elsewhere")
    try:
        descriptor = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DataDirError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise DataDirError(f"{path} is not UTF-8 text (byte at offset {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise DataDirError(f"{path} is not valid JSON: {exc}") from None
    except RecursionError:
        raise DataDirError(f"{path} is nested too deeply to be a data package descriptor") from None
    _check_descriptor(data_dir, path, descriptor)
    return descriptor


def _check_descriptor(data_dir: Path, path: Path, descriptor: Any) -> None:
    """The descriptor has the shape this code follows: resources with a name, a path inside the
    folder and a schema of named fields, keys that name fields, constraints of the right kind."""

    def fail(where: str, what: str) -> NoReturn:
        raise DataDirError(f"{path}: {where}: {what}")

    if not isinstance(descriptor, dict):
        fail("top level", f"is a JSON {type(descriptor).__name__} (expected an object)")
    resources = descriptor.get("resources")
    if not isinstance(resources, list) or not resources:
        fail("'resources'", "missing or not a list (expected a list of tables)")
    fields_of: dict[str, set[str]] = {}  # the tables' fields
    names: set[str] = set()
    for i, res in enumerate(resources):
        at = f"resources[{i}]"
        if not isinstance(res, dict):
            fail(at, "is not an object (expected a table with name, path and schema)")
        name, rel, schema = res.get("name"), res.get("path"), res.get("schema")
        if not isinstance(name, str) or not name or name in names:
            fail(at, f"'name' is {name!r} (expected a name of its own)")
        names.add(name)
        at = f"resource '{name}'"
        if not isinstance(rel, str) or not rel.strip() or "\0" in rel:
            fail(at, f"'path' is {rel!r} (expected the CSV file's path, e.g. \"{name}.csv\")")
        if schema is None and res.get("type") != "table" and not rel.endswith(".csv"):
            continue  # a file the package lists (an archived text): stale_resources checks it
        if inside(data_dir, rel) is None:
            raise DataDirError(f"{OUTSIDE}: {at} has path {rel!r} in {path}")
        if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list):
            fail(at, "no 'schema' with a 'fields' list")
        fields_of[name] = set()
        for spec in schema["fields"]:
            if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
                fail(at, f"field {spec!r} has no name")
            _check_field(fail, f"{at} field '{spec['name']}'", spec)
            if spec["name"] in fields_of[name]:
                fail(at, f"field '{spec['name']}' is described twice")
            fields_of[name].add(spec["name"])
        for spec in schema["fields"]:
            prec = spec.get("x-precisionField")
            if prec is not None and prec not in fields_of[name]:
                fail(f"{at} field '{spec['name']}'", f"x-precisionField {prec!r} is not a field")
        pk = schema.get("primaryKey", [])
        for key in [pk] if isinstance(pk, str) else pk if isinstance(pk, list) else [pk]:
            if key not in fields_of[name]:
                fail(at, f"primaryKey {key!r} is not a field")
    tables = [res for res in resources if res["name"] in fields_of]
    for name, res in zip(fields_of, tables, strict=True):
        for fk in res["schema"].get("foreignKeys", []):
            ref = fk.get("reference") if isinstance(fk, dict) else None
            ok = (
                isinstance(ref, dict)
                and fk.get("fields") in fields_of[name]
                and ref.get("fields") in fields_of.get(ref.get("resource"), ())  # type: ignore[arg-type]
            )
            if not ok:
                fail(f"resource '{name}'", f"foreign key {fk!r} does not name existing fields")
    for name, needed in NEEDED_FIELDS.items():
        if name not in fields_of:
            fail("'resources'", f"no table '{name}' (expected every table the brief reads)")
        for col in needed:
            if col not in fields_of[name]:
                fail(f"resource '{name}'", f"no field '{col}', which the validator reads")


def _check_field(fail: Callable[[str, str], NoReturn], at: str, spec: dict[str, Any]) -> None:
    ftype = spec.get("type", "string")
    if ftype not in FIELD_TYPES:
        fail(at, f"type {ftype!r} (expected one of: {', '.join(FIELD_TYPES)})")
    cons = spec.get("constraints", {})
    if not isinstance(cons, dict):
        fail(at, "'constraints' is not an object")
    for key in ("minimum", "maximum"):
        if key in cons:
            value = cons[key]
            if ftype not in ("integer", "number"):
                fail(at, f"{key} is only checked on integer and number fields")
            if isinstance(value, bool) or not isinstance(value, int | float):
                fail(at, f"{key} {value!r} is not a number")
    for key in ("enum", "x-itemEnum", "trueValues", "falseValues"):
        value = cons.get(key) if key == "enum" else spec.get(key)
        if value is not None and not (
            isinstance(value, list) and value and all(isinstance(v, str) for v in value)
        ):
            fail(at, f"{key} is not a list of strings")
    if "pattern" in cons:
        try:
            re.compile(cons["pattern"])
        except (re.error, TypeError):
            fail(at, f"pattern {cons['pattern']!r} is not a regular expression")
    if "minLength" in cons and (
        isinstance(cons["minLength"], bool) or not isinstance(cons["minLength"], int)
    ):
        fail(at, "minLength is not an integer")
    if not isinstance(spec.get("delimiter", ","), str) or not spec.get("delimiter", ","):
        fail(at, "delimiter is not a character")
    if is_list(spec) and ftype not in ("list", "string"):
        fail(at, f"a list (it has a delimiter) of type {ftype!r} (expected string or list)")


def sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


@dataclass(frozen=True)
class Description:
    version: str
    file_hashes: dict[str, str]  # path under the data folder -> sha256, sorted by path
    newest_publication: datetime.date | None


def describe(data_dir: Path) -> Description:
    """Version, hashes and newest publication date of a data package. It does not validate:
    a file it cannot read raises OSError, ValueError or csv.Error, and validation says why; a
    path that leads outside the folder raises DataDirError."""
    descriptor = read_descriptor(data_dir)
    paths = [str(res["path"]) for res in descriptor["resources"]] + [DESCRIPTOR]
    sources = next(r for r in tables_of(descriptor) if r["name"] == "sources")
    csv.field_size_limit(2**31 - 1)  # a large quote is validation's to judge, not a csv.Error
    with (data_dir / sources["path"]).open(encoding="utf-8-sig", newline="") as f:
        rows = csv.reader(f)
        header = next(rows, [])
        if "archived_path" not in header or "published_latest" not in header:
            raise ValueError(f"{sources['path']} lacks archived_path or published_latest")
        archived, published = header.index("archived_path"), header.index("published_latest")
        # only two columns, and dates compared as text: a large package is read twice as fast
        dates = {""}
        for row in rows:
            if len(row) == len(header):  # a ragged row is validation's to report
                paths.append(row[archived])
                dates.add(row[published])
    newest = max(dates)
    hashes = {}
    for rel in sorted(set(paths) - {""}):
        path = inside(data_dir, rel)
        if path is None:
            raise DataDirError(f"{OUTSIDE}: {rel!r} in {data_dir}")
        hashes[rel] = sha256(path)
    return Description(
        str(descriptor.get("version", "")),
        hashes,
        datetime.date.fromisoformat(newest) if newest else None,
    )


# ----------------------------------------------------------------------------- validated before


@functools.cache
def _validator_identity() -> bytes:
    """The validator's code and the libraries it runs on: a change to any of them validates
    every package again."""
    digest = hashlib.sha256()
    for module in ("dataset.py", "datafiles.py", "errors.py", "judgment_rules.py"):
        digest.update((PACKAGE_DIR / module).read_bytes())
    for package in ("pandas", "pandera", "pyarrow"):
        digest.update(f"{package} {metadata.version(package)}\n".encode())
    digest.update(sys.version.encode())
    digest.update(datetime.date.today().isoformat().encode())  # "not in the future" moves daily
    return digest.digest()


def validation_stamp(data_dir: Path) -> Path | None:
    """Where the mark that this exact package passed this exact validator is kept (see
    dataset.load); None without a cache, or when the package cannot even be read (validation
    then says why). Needs no pandas."""
    folder = cache_dir("validated")
    if folder is None:
        return None
    try:
        files = describe(data_dir).file_hashes  # the descriptor, every table, every archived text
    except (OSError, ValueError, KeyError, StopIteration, csv.Error, DataDirError):
        return None
    digest = hashlib.sha256(_validator_identity())
    for rel, sha in files.items():
        digest.update(f"{rel}\0{sha}\n".encode())
    return folder / digest.hexdigest()


def validated_before(data_dir: Path) -> bool:
    stamp = validation_stamp(data_dir)
    return stamp is not None and stamp.is_file()
