"""The data package's files, read without pandas: the descriptor, every file's SHA-256 and the
newest publication date, and whether this exact package has passed validation before. A render
needs these for its manifest before the data is loaded; a batch, to skip validating it again."""

from __future__ import annotations

import csv
import datetime
import functools
import hashlib
import json
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from .cache import cache_dir
from .errors import DataDirError
from .paths import PACKAGE_DIR

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
    sources = next(r for r in descriptor["resources"] if r["name"] == "sources")
    with (data_dir / sources["path"]).open(encoding="utf-8-sig", newline="") as f:
        rows = csv.reader(f)
        header = next(rows)
        archived, published = header.index("archived_path"), header.index("published_latest")
        # only two columns, and dates compared as text: a large package is read twice as fast
        dates = {""}
        for row in rows:
            if len(row) == len(header):  # a ragged row is validation's to report
                paths.append(row[archived])
                dates.add(row[published])
    newest = max(dates)
    hashes = {rel: sha256(data_dir / rel) for rel in sorted(set(paths) - {""})}
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
