"""The data package's files, read without pandas: the descriptor, every file's SHA-256 and the
newest publication date. A render needs these for its manifest before the data is loaded."""

from __future__ import annotations

import csv
import datetime
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import DataDirError

DESCRIPTOR = "datapackage.json"


def read_descriptor(data_dir: Path) -> dict[str, Any]:
    if not data_dir.is_dir():
        raise DataDirError(f"data directory not found: {data_dir}")
    path = data_dir / DESCRIPTOR
    if not path.is_file():
        raise DataDirError(f"no {DESCRIPTOR} in {data_dir}")
    try:
        descriptor: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataDirError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(descriptor.get("resources"), list):
        raise DataDirError(f"{path} has no 'resources' list")
    return descriptor


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
    a file it cannot read raises OSError, ValueError or KeyError, and validation says why."""
    descriptor = read_descriptor(data_dir)
    paths = [str(res["path"]) for res in descriptor["resources"]] + [DESCRIPTOR]
    newest: datetime.date | None = None
    sources = next(r for r in descriptor["resources"] if r["name"] == "sources")
    with (data_dir / sources["path"]).open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            if row.get("archived_path"):
                paths.append(row["archived_path"])
            if row.get("published_latest"):
                date = datetime.date.fromisoformat(row["published_latest"])
                newest = date if newest is None or date > newest else newest
    hashes = {rel: sha256(data_dir / rel) for rel in sorted(set(paths))}
    return Description(str(descriptor.get("version", "")), hashes, newest)
