"""Malformed data packages: every fault is a located message (DataError) or one line
(DataDirError), never a traceback; no file outside the data folder is read; values that cannot
be right are refused; rows are numbered by their physical line."""

from __future__ import annotations

import json
import random
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from ca_combatants import datafiles, dataset
from ca_combatants.errors import DataDirError, DataError
from ca_combatants.paths import DEFAULT_DATA_DIR

from .conftest import read_rows, write_rows

EditCell = Callable[[Path, str, str, str, str], int]


def problems(data_dir: Path) -> list[str]:
    """The problems check() finds, as validate prints them."""
    return [str(p) for p in dataset.check(data_dir).problems]


def descriptor(data_dir: Path) -> dict:
    return json.loads((data_dir / "datapackage.json").read_text(encoding="utf-8"))


def write_descriptor(data_dir: Path, value: object) -> None:
    (data_dir / "datapackage.json").write_text(json.dumps(value), encoding="utf-8")


def refused(data_dir: Path) -> str:
    """check() and load() both refuse the package with one line; that line."""
    with pytest.raises(DataDirError) as info:
        dataset.check(data_dir)
    with pytest.raises(DataDirError):
        dataset.load(data_dir)
    message = str(info.value)
    assert "\n" not in message
    return message


def line_of(path: Path, key: str) -> int:
    """The physical line on which the row with this key starts, found in the file's text."""
    lines = path.read_text(encoding="utf-8").split("\n")
    return next(i for i, line in enumerate(lines, 1) if line.startswith(f"{key},"))


# ----------------------------------------------------------------------------- tracebacks before


@pytest.mark.parametrize("change", ["renamed", "removed"])
def test_a_key_column_renamed_or_removed_is_reported(data_copy: Path, change: str) -> None:
    path = data_copy / "claims.csv"
    header, rows = read_rows(path)
    if change == "renamed":
        header[header.index("source_id")] = "src_id"
        rows = [{("src_id" if k == "source_id" else k): v for k, v in r.items()} for r in rows]
    else:
        header.remove("source_id")
        rows = [{k: v for k, v in r.items() if k != "source_id"} for r in rows]
    write_rows(path, header, rows)
    found = problems(data_copy)
    assert any(
        p.startswith("claims.csv:1: column 'source_id': column is missing from the header")
        for p in found
    ), found
    with pytest.raises(DataError):
        dataset.load(data_copy)


LAST_RESOURCE = (
    len(
        json.loads((DEFAULT_DATA_DIR / "datapackage.json").read_text(encoding="utf-8"))["resources"]
    )
    - 1
)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda d: [d], "top level: is a JSON list (expected an object)"),
        (lambda d: {**d, "resources": {}}, "'resources': missing or not a list"),
        (
            lambda d: {**d, "resources": [*d["resources"][:-1], 7]},
            f"resources[{LAST_RESOURCE}]: is not an object",
        ),
    ],
    ids=["list", "resources-not-list", "resource-not-object"],
)
def test_a_descriptor_of_the_wrong_shape_is_one_line(
    data_copy: Path,
    edit: Callable[[dict], object],
    expected: str,
) -> None:
    write_descriptor(data_copy, edit(descriptor(data_copy)))
    assert expected in refused(data_copy)


@pytest.mark.parametrize("path", [None, 5, "", ["tactics.csv"]], ids=repr)
def test_a_resource_without_a_usable_path_is_one_line(data_copy: Path, path: object) -> None:
    desc = descriptor(data_copy)
    tactics = next(r for r in desc["resources"] if r["name"] == "tactics")
    if path is None:
        del tactics["path"]
    else:
        tactics["path"] = path
    write_descriptor(data_copy, desc)
    assert f"resource 'tactics': 'path' is {path!r} (expected the CSV file's path" in refused(
        data_copy
    )


def test_a_descriptor_that_names_a_field_the_rules_read_no_longer(data_copy: Path) -> None:
    desc = descriptor(data_copy)
    claims = next(r for r in desc["resources"] if r["name"] == "claims")
    claims["schema"]["fields"] = [f for f in claims["schema"]["fields"] if f["name"] != "quote"]
    write_descriptor(data_copy, desc)
    assert "resource 'claims': no field 'quote', which the validator reads" in refused(data_copy)


def test_a_descriptor_nested_100000_levels_deep_is_one_line(data_copy: Path) -> None:
    (data_copy / "datapackage.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    assert "nested too deeply" in refused(data_copy)


def test_a_nul_byte_in_a_header(data_copy: Path) -> None:
    path = data_copy / "tactics.csv"
    path.write_bytes(path.read_bytes().replace(b"name", b"na\0me", 1))
    assert (
        "tactics.csv:1: holds a NUL byte (expected text (is this a spreadsheet's own format?))"
        in problems(data_copy)
    )


def test_old_mac_line_endings(data_copy: Path) -> None:
    path = data_copy / "tactics.csv"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r"))
    assert (
        "tactics.csv:1: a line ends in a carriage return alone (old Mac line endings) "
        "(expected lines ending in LF or CRLF)"
    ) in problems(data_copy)


def test_windows_line_endings_are_read(data_copy: Path) -> None:
    path = data_copy / "tactics.csv"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert problems(data_copy) == []


def test_an_unreadable_file(data_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "tactics.csv":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    assert (
        "tactics.csv: cannot be read: Permission denied (expected a file the user may read)"
        in problems(data_copy)
    )


def test_a_csv_that_is_a_directory(data_copy: Path) -> None:
    (data_copy / "tactics.csv").unlink()
    (data_copy / "tactics.csv").mkdir()
    assert "tactics.csv: is a directory (expected a CSV file at data/tactics.csv)" in problems(
        data_copy
    )


def test_an_archived_text_that_is_a_directory(data_copy: Path) -> None:
    text = data_copy / "sources" / "000_11896b78d8c2897a.txt"
    text.unlink()
    text.mkdir()
    found = problems(data_copy)
    assert any(
        p.startswith("sources.csv:2: column 'archived_path': archived file") for p in found
    ), found


def test_a_descriptor_that_is_a_directory(data_copy: Path) -> None:
    (data_copy / "datapackage.json").unlink()
    (data_copy / "datapackage.json").mkdir()
    assert refused(data_copy) == f"no datapackage.json in {data_copy}"


def test_a_file_cut_short_inside_a_quoted_value(data_copy: Path) -> None:
    path = data_copy / "claims.csv"
    text = path.read_text(encoding="utf-8")
    # a row in the second half whose statement (the fourth value) is quoted
    row = re.compile(r"^cl_[a-z0-9_]+,[^,\n]*,[^,\n]*,\"", re.M).search(text, len(text) // 2)
    assert row is not None
    line = text[: row.start()].count("\n") + 1
    path.write_text(text[: row.end() + 10], encoding="utf-8")  # cut inside the statement
    found = problems(data_copy)
    assert any(p.startswith(f"claims.csv:{line}: not a readable CSV row") for p in found), found


def test_a_very_long_value_is_read(data_copy: Path, edit_cell: EditCell) -> None:
    edit_cell(data_copy, "tactics", "tac_street_and_community", "description", "x" * 3_000_000)
    assert problems(data_copy) == []
    path = data_copy / "tactics.csv"  # and where a row is ragged, read again in Python
    path.write_text(path.read_text(encoding="utf-8") + "a,b\n", encoding="utf-8")
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert (
        f"tactics.csv:{lines}: row has a different number of fields than the header (expected 4 fields)"
        in problems(data_copy)
    )


def test_random_damage_gives_problems_never_a_traceback(data_copy: Path) -> None:
    rng = random.Random(16)
    pristine = {p: p.read_bytes() for p in data_copy.glob("*.csv")}
    for _ in range(16):
        path = rng.choice(sorted(pristine))
        raw = bytearray(pristine[path])
        how = rng.choice(["truncate", "flip", '"', "\n", "\r", "\0", ","])
        at = rng.randrange(len(raw))
        if how == "truncate":
            del raw[at:]
        elif how == "flip":
            raw[at] = rng.randrange(256)
        else:
            raw.insert(at, ord(how))
        path.write_bytes(bytes(raw))
        try:
            dataset.check(data_copy)  # any problem is fine; an exception is not
        finally:
            path.write_bytes(pristine[path])


# ----------------------------------------------------------------------------- outside the folder


def _point_tactics_at(data_copy: Path, path: str) -> None:
    desc = descriptor(data_copy)
    next(r for r in desc["resources"] if r["name"] == "tactics")["path"] = path
    write_descriptor(data_copy, desc)


def test_a_resource_path_that_leaves_the_folder(data_copy: Path) -> None:
    elsewhere = data_copy.parent.parent / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    shutil.copy(data_copy / "tactics.csv", elsewhere / "tactics.csv")
    _point_tactics_at(data_copy, "../../elsewhere/tactics.csv")
    message = refused(data_copy)
    assert message.startswith(datafiles.OUTSIDE + ": resource 'tactics' has path")
    with pytest.raises(DataDirError, match=datafiles.OUTSIDE):
        datafiles.describe(data_copy)


def test_an_absolute_resource_path(data_copy: Path) -> None:
    _point_tactics_at(data_copy, "/etc/passwd")
    assert refused(data_copy).startswith(datafiles.OUTSIDE)


def test_a_symlink_to_a_file_outside(data_copy: Path, tmp_path: Path) -> None:
    outside = tmp_path / "tactics.csv"
    shutil.move(data_copy / "tactics.csv", outside)
    (data_copy / "tactics.csv").symlink_to(outside)
    assert refused(data_copy).startswith(datafiles.OUTSIDE)


def test_a_symlink_inside_the_folder_is_followed(data_copy: Path) -> None:
    shutil.move(data_copy / "tactics.csv", data_copy / "sources" / "tactics.csv")
    (data_copy / "tactics.csv").symlink_to(Path("sources") / "tactics.csv")
    assert problems(data_copy) == []


@pytest.mark.parametrize("link", [False, True], ids=["dotdot", "symlink"])
def test_an_archived_text_outside_the_folder(
    data_copy: Path, tmp_path: Path, edit_cell: EditCell, link: bool
) -> None:
    outside = tmp_path / "article.txt"
    shutil.copy(data_copy / "sources" / "000_11896b78d8c2897a.txt", outside)
    if link:
        rel = "sources/000_11896b78d8c2897a.txt"
        (data_copy / rel).unlink()
        (data_copy / rel).symlink_to(outside)
    else:
        rel = "../article.txt"
    row = edit_cell(data_copy, "sources", "gv_2023_03_23", "archived_path", rel)
    expected = (
        f"sources.csv:{row}: column 'archived_path': {datafiles.OUTSIDE}: {rel!r} "
        "(expected a path under the data folder, such as sources/NAME.txt)"
    )
    assert expected in problems(data_copy)
    with pytest.raises(DataDirError, match=datafiles.OUTSIDE):
        datafiles.describe(data_copy)


# ----------------------------------------------------------------------------- values that cannot be right


VALUE_CASES = [
    ("figures", "fig_migrants_russia_2022", "value_best", "-3350000",
     "value below the minimum: '-3350000' (expected >= 0)"),
    ("sources", "gv_2023_03_23", "published_latest", "2099-03-23",
     "2099-03-23 is in the future (expected a date on or before today, {today})"),
    ("sources", "gv_2023_03_23", "published_earliest", "9999-12-31",
     "9999-12-31 is in the future (expected a date on or before today, {today})"),
    ("figures", "fig_migrants_russia_2022", "as_of_date", "9999",
     "9999 is in the future (expected a date on or before today, {today})"),
    ("events", "ev_2023_04_16_knb_cases", "event_date", "1066-04-16",
     "1066-04-16 is before 1900 (expected a date from 1900-01-01 on)"),
    ("claims", "cl_or_art_172", "statement", "   ",
     "value is only whitespace (expected a value)"),
    ("claims", "cl_or_art_172", "notes", "\t ",
     "value is only whitespace (expected a value, or an empty cell)"),
    ("legal_cases", None, "case_count", "99999999999999999999",
     "integer too large: '99999999999999999999' (expected an integer from -9223372036854775808 to 9223372036854775807)"),
    ("figures", "fig_migrants_russia_2022", "value_best", "1e999",
     "number too large: '1e999' (expected a number below 1.8e308)"),
    ("persons", "per_abu_yunus", "label", "Abu \u202eYunus",
     "bidirectional control U+202E at character 5 of the value (expected text without direction controls)"),
    ("persons", "per_abu_yunus", "label", "\u2066Abu Yunus",
     "bidirectional control U+2066 at character 1 of the value (expected text without direction controls)"),
    ("persons", "per_abu_yunus", "label", "Abu\u200fYunus",
     "bidirectional control U+200F at character 4 of the value (expected text without direction controls)"),
    ("tactics", "tac_street_and_community", "name", "Fliers\x07",
     "control or unassigned character U+0007 at character 7 of the value (expected printable text)"),
    ("claims", "cl_or_art_172", "notes", "Fine \U0001f600",
     "character U+1F600 at character 6 of the value (grinning face) is not in the brief's fonts "
     "(expected characters that DejaVu Sans and Serif draw (Latin, Cyrillic, punctuation))"),
    ("places", None, "name", "\u6771\u4eac",
     "character U+6771 at character 1 of the value (cjk unified ideograph-6771) is not in the brief's fonts "
     "(expected characters that DejaVu Sans and Serif draw (Latin, Cyrillic, punctuation))"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("table", "key", "column", "value", "expected"),
    VALUE_CASES,
    ids=[f"{c[0]}.{c[2]}={c[3][:12]!r}" for c in VALUE_CASES],
)
def test_a_value_that_cannot_be_right_is_refused(
    data_copy: Path,
    edit_cell: EditCell,
    table: str,
    key: str | None,
    column: str,
    value: str,
    expected: str,
) -> None:
    import datetime

    if key is None:
        _, rows = read_rows(data_copy / f"{table}.csv")
        key = next(iter(rows[-1].values()))
    row = edit_cell(data_copy, table, key, column, value)
    line = f"{table}.csv:{row}: column '{column}': " + expected.format(
        today=datetime.date.today().isoformat()
    )
    assert line in problems(data_copy)
    with pytest.raises(DataError):  # and load refuses it, rather than crash when typing it
        dataset.load(data_copy)


def test_the_cyrillic_and_turkic_letters_of_the_region_are_accepted(
    data_copy: Path, edit_cell: EditCell
) -> None:
    name = "Жасулан Дуйсембін, Қазақстан, Ўзбекистон, Oʻzbekiston, Тоҷикистон, Өмүр — №3 €5 ₸ ₽"
    edit_cell(data_copy, "persons", "per_abu_yunus", "label", name)
    assert problems(data_copy) == []


def test_the_drawable_characters_are_in_every_dejavu_face() -> None:
    import subprocess

    from fontTools.ttLib import TTFont

    faces = []
    for family in ("DejaVu Sans", "DejaVu Serif"):
        for style in ("", ":bold", ":italic", ":bold:italic"):
            found = subprocess.run(
                ["fc-match", "-f", "%{family}\t%{file}", family + style],
                capture_output=True,
                text=True,
                check=False,
            ).stdout
            if not found.startswith(family):
                pytest.skip(f"{family} is not installed")
            faces.append(found.split("\t")[1])
    assert len(set(faces)) == 8
    for face in faces:
        cmap = TTFont(face).getBestCmap()
        missing = [
            f"U+{c:04X}" for a, b in dataset.DRAWABLE for c in range(a, b + 1) if c not in cmap
        ]
        assert missing == [], face


# ----------------------------------------------------------------------------- physical lines


def test_a_quoted_newline_does_not_shift_later_line_numbers(
    data_copy: Path, edit_cell: EditCell
) -> None:
    path = data_copy / "claims.csv"
    header, rows = read_rows(path)
    first = next(i for i, r in enumerate(rows) if r["claim_id"] == "cl_or_art_172")
    words = rows[first]["quote"].split(" ")
    rows[first]["quote"] = " ".join(words[:3]) + "\n" + " ".join(words[3:])
    rows[first]["notes"] = "one\ntwo\nthree"
    later = rows[first + 5]["claim_id"]
    rows[first + 5]["topic"] = "weather"
    write_rows(path, header, rows)
    line = line_of(path, later)
    assert line > first + 5 + 2  # the physical line, not the record's number
    assert problems(data_copy) == [
        f"claims.csv:{line}: column 'topic': value not allowed: 'weather' "
        "(expected one of: recruitment, legal, sides, scope)"
    ]


def test_blank_lines_do_not_shift_later_line_numbers(data_copy: Path) -> None:
    path = data_copy / "tactics.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    lines.insert(3, "")
    lines.insert(3, "")
    lines[8] += ",surplus"
    path.write_text("\n".join(lines), encoding="utf-8")
    found = problems(data_copy)
    assert [p for p in found if p.startswith("tactics.csv")] == [
        "tactics.csv:9: row has a different number of fields than the header (expected 4 fields)"
    ]


def test_a_byte_order_mark_does_not_shift_line_numbers(
    data_copy: Path, edit_cell: EditCell
) -> None:
    row = edit_cell(data_copy, "tactics", "tac_street_and_community", "tactic_category", "x")
    path = data_copy / "tactics.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert any(
        p.startswith(f"tactics.csv:{row}: column 'tactic_category'") for p in problems(data_copy)
    )
