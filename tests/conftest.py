from __future__ import annotations

import csv
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from ca_combatants.paths import DEFAULT_DATA_DIR


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A private copy of the real data package that a test may break."""
    target = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, target)
    return target


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def write_rows(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def physical_line(path: Path, index: int) -> int:
    """The line of the file on which record `index` (0 = the first after the header) starts:
    a quoted value may span lines."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        start = 1
        for n, _ in enumerate(reader):
            if n == index + 1:
                return start
            start = reader.line_num + 1
    raise IndexError(index)


@pytest.fixture
def edit_cell() -> Callable[[Path, str, str, str, str], int]:
    """Set one cell, found by its key; return the file line number of the row."""

    def edit(data_dir: Path, table: str, key: str, column: str, value: str) -> int:
        path = data_dir / f"{table}.csv"
        header, rows = read_rows(path)
        for i, row in enumerate(rows):
            if row[header[0]] == key:
                row[column] = value
                write_rows(path, header, rows)
                return physical_line(path, i)
        raise KeyError(key)

    return edit
