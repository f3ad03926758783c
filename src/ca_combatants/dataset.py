"""Load the data package and validate it against its own descriptor (data/datapackage.json).

    load(data_dir)  -> Dataset       check() the package, then give each column its type
    check(data_dir) -> CheckResult   read_descriptor -> read_table for each table ->
                                     the descriptor's field rules -> the rules across tables

The descriptor is the only statement of types, required fields, enums and keys; this module
turns it into pandera checks and adds the rules a Table Schema cannot say (quotes occur in
their archived source, dates agree with their precision and are neither in the future nor
before 1900, text holds only what the brief's fonts draw, every record traces to a source).
Every problem names its file, the physical line of its row, its column and what is expected.
"""

from __future__ import annotations

import calendar
import contextlib
import csv
import ctypes
import datetime
import io
import stat
import sys
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy
import pandas as pd
import pyarrow as pyarrow
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from . import judgment_rules
from .datafiles import OUTSIDE, inside, is_list, read_descriptor, tables_of, validation_stamp
from .errors import DataError, Problem

if TYPE_CHECKING:
    import pandera.pandas as pa

_SEP = "\x1f"  # separates message and expectation inside a pandera error string
_PARTIAL_DATE_LENGTH = {"day": 10, "on_or_before": 10, "month": 7, "season": 7, "year": 4}
_TRUE = ("true", "True", "TRUE", "1")
_FALSE = ("false", "False", "FALSE", "0")
EARLIEST_DATE = datetime.date(1900, 1, 1)  # nothing the brief reports happened before
_INT64 = (-(2**63), 2**63 - 1)
_BOM = b"\xef\xbb\xbf"

csv.field_size_limit(2**31 - 1)  # a long quote is a value, not a csv.Error


@dataclass(frozen=True)
class Dataset:
    """The validated dataset: one DataFrame per table, plus the archived texts."""

    data_dir: Path
    version: str
    tables: dict[str, pd.DataFrame]
    source_texts: dict[str, str] = field(repr=False)  # by source_id, whitespace-normalised

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(name)

    def counts(self) -> dict[str, int]:
        return {name: len(df) for name, df in self.tables.items()}


@dataclass(frozen=True)
class CheckResult:
    """Outcome of checking a data package: problems, and the tables read (as strings, each
    indexed by the physical line of its rows)."""

    data_dir: Path
    version: str
    resources: dict[str, dict[str, Any]]
    tables: dict[str, pd.DataFrame]
    problems: list[Problem]
    source_texts: dict[str, str]

    @property
    def ok(self) -> bool:
        return not self.problems and len(self.tables) == len(self.resources)

    def counts(self) -> dict[str, int]:
        return {name: len(df) for name, df in self.tables.items()}


# ----------------------------------------------------------------------------- entry points


def load(data_dir: Path | str) -> Dataset:
    """The validated, typed dataset, or DataError listing every problem.

    A package whose exact files have passed this exact validator before (today) is read
    without running the rules again: the cache keeps one empty file per passing package, named
    by the SHA-256 of every file validation reads and of the validator itself (see
    datafiles.validation_stamp). A render validates in one process and loads in another; the
    stamp spares the second the work. CA_BRIEF_CACHE_DIR="" turns it off, with the same frames;
    `ca-brief validate` always validates."""
    data_dir = Path(data_dir)
    stamp = validation_stamp(data_dir)
    passed_before = stamp is not None and stamp.is_file()
    result = check(data_dir, rules=not passed_before)
    if not result.ok:
        raise DataError(result.problems)
    if stamp is not None and not passed_before:
        with contextlib.suppress(OSError):
            stamp.touch()
    return typed_dataset(result)


def check(data_dir: Path | str, *, rules: bool = True) -> CheckResult:
    """Read the whole package and collect every problem; no typing, no analysis. With
    rules=False only the faults of reading are looked for (a package that passed before)."""
    data_dir = Path(data_dir)
    descriptor = read_descriptor(data_dir)
    resources = {r["name"]: r for r in tables_of(descriptor)}
    tables: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    for name, res in resources.items():
        df, found = read_table(data_dir, res)
        problems += found
        if df is not None:
            tables[name] = df
    texts: dict[str, str] = {}  # archived text (whitespace-normalised) by its path
    hashes: dict[str, str] = {}  # and its SHA-256
    if "sources" in tables:
        problems += _read_archived_texts(data_dir, tables["sources"], texts, hashes)
    if rules:
        problems += _rule_problems(data_dir, resources, tables, texts, hashes)
    version = str(descriptor.get("version", ""))
    return CheckResult(data_dir, version, resources, tables, sorted(set(problems)), texts)


def _rule_problems(
    data_dir: Path,
    resources: dict[str, dict[str, Any]],
    tables: dict[str, pd.DataFrame],
    texts: dict[str, str],
    hashes: dict[str, str],
) -> list[Problem]:
    """Every rule: each table's fields as the descriptor describes them and the text in them,
    then the rules across tables (each run only when the tables it needs could be read)."""
    problems: list[Problem] = []
    for name, df in tables.items():
        problems += table_problems(resources[name], df)
    problems += _foreign_key_problems(tables, resources)
    problems += _date_precision_problems(tables, resources)
    problems += _date_problems(tables, resources)
    rules: list[tuple[tuple[str, ...], Callable[..., list[Problem]]]] = [
        (("sources",), lambda s: _source_problems(s, hashes)),
        (("claims", "sources"), lambda c, s: _claim_problems(c, s, texts)),
        (("events", "claims", "sources"), _event_date_problems),
        (("figures",), _figure_problems),
        (("legal_provisions",), _provision_problems),
        (("editorial",), _editorial_problems),
        (("discrepancies", "claims", "sources"), _discrepancy_status_problems),
    ]
    for needs, rule in rules:
        if all(n in tables for n in needs):
            problems += rule(*(tables[n] for n in needs))
    problems += _trace_problems(tables)
    problems += _living_data_problems(data_dir, tables)
    problems += judgment_rules.problems(tables)
    return problems


def table_problems(resource: dict[str, Any], df: pd.DataFrame) -> list[Problem]:
    """One table's own rules (its fields as described, the text in them): a function of the
    resource and the table's cells alone, which the preview keeps by content (see
    preview.keep_tables_validated)."""
    return _schema_problems(resource["path"], df, build_schema(resource)) + _text_problems(
        resource, df
    )


def release_free_memory() -> None:
    """Return the heap pages freed by large temporary frames to the system (glibc only)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)


# ----------------------------------------------------------------------------- reading


def read_table(
    data_dir: Path, resource: dict[str, Any]
) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Read one CSV as strings (empty cell = missing), indexed by the physical line of each
    row, reporting file-level faults. A file with a fault that leaves its rows in doubt (or a
    described column missing) gives no frame, only problems."""
    name = resource["path"]
    fields = [f["name"] for f in resource["schema"]["fields"]]

    def fault(message: str, expected: str, line: int = 0) -> list[Problem]:
        return [Problem(name, line, "", message, expected)]

    path = inside(data_dir, name)
    if path is None:  # a symlink made after the descriptor was read
        return None, fault(OUTSIDE, f"a file under the data folder, not {name}")
    try:
        mode = path.stat().st_mode
        if not stat.S_ISREG(mode):
            kind = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
            return None, fault(f"is {kind}", f"a CSV file at data/{name}")
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, fault("file is missing", f"a CSV file at data/{name}")
    except OSError as exc:
        return None, fault(f"cannot be read: {exc.strerror}", "a file the user may read")
    body = raw.removeprefix(_BOM)  # a BOM is tolerated
    if not body or body.isspace():
        shown = ", ".join(fields[:3])
        return None, fault("file is empty", f"a header row ({shown}, …) and data rows")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = body[: exc.start].count(b"\n") + 1
        bad = f"byte 0x{body[exc.start]:02x} at offset {exc.start + len(raw) - len(body)}"
        return None, fault(f"not valid UTF-8 ({bad})", "UTF-8 text", line)
    if b"\0" in body:
        line = body[: body.index(b"\0")].count(b"\n") + 1
        return None, fault("holds a NUL byte", "text (is this a spreadsheet's own format?)", line)
    lone_cr = body.find(b"\r")
    while lone_cr >= 0 and body[lone_cr + 1 : lone_cr + 2] == b"\n":
        lone_cr = body.find(b"\r", lone_cr + 2)
    if lone_cr >= 0:
        return None, fault(
            "a line ends in a carriage return alone (old Mac line endings)",
            "lines ending in LF or CRLF",
            body[:lone_cr].count(b"\n") + 1,
        )
    header = next(csv.reader([text[: text.find("\n") + 1 or len(text)]]), [])
    problems = _header_problems(name, header, fields)
    if any(p.message != "column is not described in datapackage.json" for p in problems):
        return None, problems  # duplicated or missing columns: the rows cannot be trusted
    ragged: list[int] = []

    def skip_ragged(row: Any) -> str:
        ragged.append(0)  # Arrow gives no line number when values may hold newlines; found below
        return "skip"

    try:
        arrow = pacsv.read_csv(
            pyarrow.BufferReader(body),
            # one block: a value of any length parses, and the data is small enough to need no more
            read_options=pacsv.ReadOptions(block_size=min(len(body) + 1, 2**31 - 1)),
            parse_options=pacsv.ParseOptions(
                invalid_row_handler=skip_ragged, newlines_in_values=True
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(header, pyarrow.large_string()),
                strings_can_be_null=True,
                null_values=[""],
                quoted_strings_can_be_null=True,
            ),
        )
    except pyarrow.ArrowInvalid as exc:
        return None, [*problems, *fault(f"not a readable CSV file: {exc}", "RFC 4180 CSV")]
    extra = _newlines(arrow)
    lines = _lines_of_rows(extra)
    physical = text.count("\n") + (not text.endswith("\n"))
    if ragged or not lines or lines[-1] + int(extra[-1]) != physical:
        # a blank line, a row skipped or a quote left open: read again in Python to say where
        lines, found = _lines_by_csv_module(name, text, len(header))
        problems += found
        if len(lines) != arrow.num_rows:
            return None, problems or fault("rows cannot be told apart", "RFC 4180 CSV")
    if arrow.num_rows == 0:
        return None, [*problems, *fault("file has a header but no rows", "at least one data row")]
    df = arrow.to_pandas(types_mapper={pyarrow.large_string(): pd.StringDtype("pyarrow")}.get)
    df.index = pd.Index(lines)
    return df, problems


def _header_problems(name: str, header: list[str], fields: list[str]) -> list[Problem]:
    problems = []
    for col in sorted({c for c in header if header.count(c) > 1}):
        problems.append(
            Problem(name, 1, col, "column appears more than once in the header", "each column once")
        )
    for col in fields:
        if col not in header:
            problems.append(
                Problem(
                    name,
                    1,
                    col,
                    "column is missing from the header",
                    f"the columns of datapackage.json: {', '.join(fields)}",
                )
            )
    for col in header:
        if col not in fields:
            problems.append(
                Problem(
                    name,
                    1,
                    col,
                    "column is not described in datapackage.json",
                    f"only: {', '.join(fields)}",
                )
            )
    return problems


def _newlines(table: pyarrow.Table) -> Any:
    """How many newlines the values of each row hold (a numpy array)."""
    counts = pyarrow.array([0] * table.num_rows, pyarrow.int64())
    for column in table.columns:
        counts = pc.add(counts, pc.count_substring(column, "\n").combine_chunks().fill_null(0))
    return counts.to_numpy(zero_copy_only=False)


def _lines_of_rows(extra: Any) -> list[int]:
    """The physical line each row starts on: after the header, one line a row, plus the
    newlines quoted inside the rows before it. Exact when no line was blank or skipped, which
    read_table verifies against the file's own count of lines."""
    return (2 + numpy.arange(len(extra)) + extra.cumsum() - extra).tolist()


def _lines_by_csv_module(name: str, text: str, width: int) -> tuple[list[int], list[Problem]]:
    """Start lines of the well-formed rows, and a problem for each row of another width or a
    quote left open; blank lines are skipped, as Arrow does."""
    starts, problems = [], []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    line, header_seen = 1, False
    try:
        for record in reader:
            if record and not header_seen:
                header_seen = True
            elif record:
                if len(record) == width:
                    starts.append(line)
                else:
                    problems.append(
                        Problem(
                            name,
                            line,
                            "",
                            "row has a different number of fields than the header",
                            f"{width} fields",
                        )
                    )
            line = reader.line_num + 1
    except csv.Error as exc:
        problems.append(
            Problem(
                name,
                line,
                "",
                f"not a readable CSV row ({exc}; is the file cut short?)",
                "RFC 4180 CSV: every quoted value closed with a quote",
            )
        )
    return starts, problems


def _read_archived_texts(
    data_dir: Path, sources: pd.DataFrame, texts: dict[str, str], hashes: dict[str, str]
) -> list[Problem]:
    """Each archived article's text (whitespace-normalised) and SHA-256, by its path under
    data/; a problem for a path outside the data folder or a file that is missing or cannot be
    read."""
    import hashlib

    problems = []
    archived = sources["source_kind"] == "archived_article"
    for line, rel in sources.loc[archived, "archived_path"].dropna().items():
        if rel in texts:
            continue
        path = inside(data_dir, rel)
        if path is None:
            problems.append(
                Problem("sources.csv", int(line), "archived_path", f"{OUTSIDE}: {rel!r}",
                        "a path under the data folder, such as sources/NAME.txt")
            )  # fmt: skip
            continue
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            problems.append(
                Problem("sources.csv", int(line), "archived_path",
                        f"archived file {rel!r} not found", "a file under data/")
            )  # fmt: skip
            continue
        except OSError as exc:
            problems.append(
                Problem("sources.csv", int(line), "archived_path",
                        f"archived file {rel!r} cannot be read: {exc.strerror}",
                        "a readable text file under data/")
            )  # fmt: skip
            continue
        hashes[rel] = hashlib.sha256(raw).hexdigest()
        texts[rel] = normalise_whitespace(raw.decode("utf-8-sig", errors="replace"))
    return problems


# ----------------------------------------------------------------------------- characters

# What the brief's fonts draw: Latin (with its extensions and combining accents), Cyrillic,
# general punctuation, currency, letterlike and common symbols, arrows, some mathematical
# operators, shapes and miscellaneous symbols, each kept only where all eight faces of DejaVu
# Sans and DejaVu Serif (regular, bold, italic, bold italic) have a glyph for it; tab, line feed
# and carriage return besides. tests/test_data_text.py checks the list against the fonts.
DRAWABLE: tuple[tuple[int, int], ...] = (
    (0x0020, 0x007E),
    (0x00A0, 0x00AC),
    (0x00AE, 0x024F),
    (0x02B0, 0x02CD),
    (0x02D0, 0x02D3),
    (0x02D6, 0x02DE),
    (0x02E0, 0x02E9),
    (0x02EC, 0x02EC),
    (0x02EE, 0x02EE),
    (0x02F3, 0x02F3),
    (0x02F7, 0x02F7),
    (0x0300, 0x033F),
    (0x0343, 0x0343),
    (0x034F, 0x034F),
    (0x0358, 0x0358),
    (0x0360, 0x0361),
    (0x0400, 0x045F),
    (0x0462, 0x0465),
    (0x046A, 0x046D),
    (0x0470, 0x0477),
    (0x048C, 0x048D),
    (0x0490, 0x049B),
    (0x049E, 0x04A7),
    (0x04AA, 0x04B7),
    (0x04BA, 0x04BB),
    (0x04C0, 0x04C4),
    (0x04C7, 0x04C8),
    (0x04CB, 0x04CC),
    (0x04CF, 0x04F9),
    (0x0510, 0x0515),
    (0x051A, 0x051D),
    (0x1E00, 0x1EFB),
    (0x2000, 0x200A),
    (0x2010, 0x2026),
    (0x202F, 0x203A),
    (0x203C, 0x203E),
    (0x2042, 0x2042),
    (0x2044, 0x2049),
    (0x204B, 0x204F),
    (0x2051, 0x2053),
    (0x2057, 0x2057),
    (0x205F, 0x205F),
    (0x20A6, 0x20A6),
    (0x20AC, 0x20AC),
    (0x20AF, 0x20AF),
    (0x20B1, 0x20B1),
    (0x20B4, 0x20B5),
    (0x20B8, 0x20BA),
    (0x20BD, 0x20BD),
    (0x2103, 0x2103),
    (0x2109, 0x2109),
    (0x210E, 0x210F),
    (0x2116, 0x2116),
    (0x2122, 0x2122),
    (0x2126, 0x2127),
    (0x212A, 0x212B),
    (0x2132, 0x2132),
    (0x2141, 0x2144),
    (0x214B, 0x214B),
    (0x214E, 0x214E),
    (0x2190, 0x2200),
    (0x2202, 0x2204),
    (0x2206, 0x2209),
    (0x220B, 0x220C),
    (0x220F, 0x2215),
    (0x2217, 0x2220),
    (0x2223, 0x222D),
    (0x2238, 0x223D),
    (0x2242, 0x2243),
    (0x2248, 0x2248),
    (0x2250, 0x2255),
    (0x2260, 0x2261),
    (0x2264, 0x2265),
    (0x2282, 0x2287),
    (0x228C, 0x22AF),
    (0x22C4, 0x22C5),
    (0x25A0, 0x2600),
    (0x2638, 0x263C),
    (0x263F, 0x2647),
    (0x2660, 0x2667),
    (0x2669, 0x266F),
)
_BIDI_CONTROLS = frozenset([0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)])
_NOT_DRAWABLE = "[^\\t\\n\\r" + "".join(f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in DRAWABLE) + "]"


def drawable(char: str) -> bool:
    code = ord(char)
    return char in "\t\n\r" or any(a <= code <= b for a, b in DRAWABLE)


def _character_problem(file: str, line: int, column: str, value: str) -> Problem:
    at = next(i for i, c in enumerate(value) if not drawable(c))
    code = ord(value[at])
    where = f"U+{code:04X} at character {at + 1} of the value"
    if code in _BIDI_CONTROLS:
        message, expected = f"bidirectional control {where}", "text without direction controls"
    elif unicodedata.category(value[at]) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
        message, expected = f"control or unassigned character {where}", "printable text"
    else:
        name = unicodedata.name(value[at], "").lower()
        message = f"character {where} ({name}) is not in the brief's fonts"
        expected = "characters that DejaVu Sans and Serif draw (Latin, Cyrillic, punctuation)"
    return Problem(file, line, column, message, expected)


def _text_problems(resource: dict[str, Any], df: pd.DataFrame) -> list[Problem]:
    """In every cell: no character the fonts cannot draw, no control character, no value that
    is only whitespace."""
    name, problems = resource["path"], []
    required = {
        f["name"] for f in resource["schema"]["fields"] if f.get("constraints", {}).get("required")
    }
    for col in df.columns:
        values = _arrow(df[col])
        bad = pc.match_substring_regex(values, _NOT_DRAWABLE).fill_null(False)
        for line, value in df[col][bad.to_numpy(zero_copy_only=False)].items():
            problems.append(_character_problem(name, int(line), str(col), str(value)))
        blank = pc.equal(pc.utf8_trim_whitespace(values), "").fill_null(False)
        for line in df.index[blank.to_numpy(zero_copy_only=False)]:
            expected = "a value" if col in required else "a value, or an empty cell"
            problems.append(
                Problem(name, int(line), str(col), "value is only whitespace", expected)
            )
    return problems


# ----------------------------------------------------------------------------- helpers


_OTHER_SPACE = (
    r"\t\n\r\f\v\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}"
)
# Runs of whitespace, or one whitespace character that is not a plain space (cheap to skip single spaces).
_WHITESPACE_RUN = f"[ {_OTHER_SPACE}]{{2,}}|[{_OTHER_SPACE}]"


def normalise_whitespace_array(values: pyarrow.Array) -> pyarrow.Array:
    """Collapse every run of whitespace (Unicode included) to one space and trim the ends."""
    return pc.utf8_trim_whitespace(pc.replace_substring_regex(values, _WHITESPACE_RUN, " "))


def normalise_whitespace(text: str) -> str:
    return str(normalise_whitespace_array(pyarrow.array([text]))[0])


def date_bounds(value: str) -> tuple[datetime.date, datetime.date] | None:
    """First and last day of a YYYY, YYYY-MM or YYYY-MM-DD value; None if it is no such date."""
    parts = value.split("-")
    if not (len(value) in (4, 7, 10) and all(p.isascii() and p.isdigit() for p in parts)):
        return None
    try:
        numbers = [int(p) for p in parts]
        if len(numbers) == 3:
            day = datetime.date(*numbers)
            return day, day
        year, month = numbers[0], numbers[1] if len(numbers) == 2 else None
        if month is None:
            return datetime.date(year, 1, 1), datetime.date(year, 12, 31)
        last = calendar.monthrange(year, month)[1]
        return datetime.date(year, month, 1), datetime.date(year, month, last)
    except (ValueError, TypeError):
        return None


def _bounds(values: pd.Series) -> pd.Series:
    """date_bounds of each value (None where missing or invalid), computed once per distinct value."""
    distinct = {v: date_bounds(v) for v in values.dropna().unique()}
    return pd.Series([distinct.get(v) for v in values], index=values.index, dtype=object)


def partial_date_start(values: pd.Series) -> pd.Series:
    """First day of a YYYY / YYYY-MM / YYYY-MM-DD value, as a Timestamp (NaT if invalid)."""
    text = values.astype("string")
    padded = text.where(text.str.len() != 4, text + "-01-01")
    padded = padded.where(padded.str.len() != 7, padded + "-01")
    return pd.to_datetime(padded, format="%Y-%m-%d", errors="coerce")


def partial_date_end(values: pd.Series, start: pd.Series) -> pd.Series:
    """Last day of a YYYY / YYYY-MM / YYYY-MM-DD value, given its first day."""
    text = values.astype("string")
    end = start.copy()
    is_year = text.str.len() == 4
    is_month = text.str.len() == 7
    end[is_year.fillna(False)] = start[is_year.fillna(False)] + pd.offsets.YearEnd(0)
    end[is_month.fillna(False)] = start[is_month.fillna(False)] + pd.offsets.MonthEnd(0)
    return end


def _err(message: str, expected: str) -> str:
    return f"{message}{_SEP}{expected}"


_ARROW_STRING = pd.StringDtype("pyarrow")


def _arrow(series: pd.Series) -> pyarrow.Array:
    return pyarrow.array(
        (series if series.dtype == _ARROW_STRING else series.astype(_ARROW_STRING)).array
    )


def lookup(keys: pd.Series, table_keys: pd.Series, values: pd.Series) -> pd.Series:
    """keys.map(values indexed by table_keys), for string columns, in Arrow: pandas' map turns
    every key into a Python object. The first row of a repeated key wins; no match is missing."""
    positions = pc.index_in(_arrow(keys), value_set=_arrow(table_keys))
    return pd.Series(pc.take(_arrow(values), positions), index=keys.index, dtype=_ARROW_STRING)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame's rows as dicts, one conversion per column: iterating a frame's rows converts
    each column of each row apart, at a cost a brief would pay thousands of times."""
    columns = list(frame.columns)
    return [
        dict(zip(columns, values, strict=True))
        for values in zip(*(frame[c].tolist() for c in columns), strict=True)
    ]


def isin(values: pd.Series, allowed: Iterable[object]) -> pd.Series:
    """values.isin(allowed) in Arrow: pandas' Arrow-string isin walks `allowed` in Python."""
    if isinstance(allowed, pd.Series):
        value_set = _arrow(allowed.dropna())
    else:
        value_set = pyarrow.array([str(a) for a in allowed], type=pyarrow.string())
    found = pc.is_in(_arrow(values), value_set=value_set)
    return pd.Series(
        found.fill_null(False).to_numpy(zero_copy_only=False), index=values.index, dtype=bool
    )


_NUMBER = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"


def _numeric(s: pd.Series) -> pd.Series:
    """Float values of a string column; NaN where empty or not a number (vectorised in Arrow)."""
    arr = _arrow(s)
    valid = pc.match_substring_regex(arr, _NUMBER)
    numbers = pc.cast(pc.if_else(valid, arr, pyarrow.scalar(None, arr.type)), pyarrow.float64())
    return pd.Series(numbers.to_numpy(zero_copy_only=False), index=s.index)


def _fits_int64(s: pd.Series) -> pd.Series:
    distinct = {v: _INT64[0] <= int(v) <= _INT64[1] for v in s.dropna().unique()}
    return s.map(distinct).fillna(True).astype(bool)


def _items_allowed(s: pd.Series, allowed: frozenset[str], delim: str) -> pd.Series:
    """True where every delim-separated item of the cell is in `allowed` (vectorised in Arrow)."""
    lists = pc.split_pattern(_arrow(s), delim)
    items = pc.utf8_trim_whitespace(pc.list_flatten(lists))
    bad_parents = pc.list_parent_indices(lists).to_numpy()[
        ~pc.is_in(items, value_set=pyarrow.array(sorted(allowed))).to_numpy(zero_copy_only=False)
    ]
    ok = pd.Series(True, index=s.index)
    ok.iloc[bad_parents] = False
    return ok


# ----------------------------------------------------------------------------- schema


def _field_checks(spec: dict[str, Any]) -> list[pa.Check]:
    """Pandera checks for one Table Schema field (nulls are skipped by pandera)."""
    import pandera.pandas as pa

    checks: list[pa.Check] = []
    ftype = spec.get("type", "string")
    cons = spec.get("constraints", {})
    if ftype == "integer":
        checks.append(
            pa.Check(
                lambda s: s.str.fullmatch(r"[+-]?\d+"), error=_err("not an integer", "an integer")
            )
        )
        checks.append(
            pa.Check(
                lambda s: ~s.str.fullmatch(r"[+-]?\d+").fillna(False) | _fits_int64(s),
                error=_err(
                    "integer too large",
                    f"an integer from {_INT64[0]} to {_INT64[1]}",
                ),
            )
        )
    elif ftype == "number":
        checks.append(
            pa.Check(lambda s: _numeric(s).notna(), error=_err("not a number", "a number"))
        )
        checks.append(
            pa.Check(
                lambda s: ~_numeric(s).abs().eq(float("inf")),
                error=_err("number too large", "a number below 1.8e308"),
            )
        )
    elif ftype == "boolean":
        allowed = tuple(spec.get("trueValues", _TRUE)) + tuple(spec.get("falseValues", _FALSE))
        checks.append(
            pa.Check(
                lambda s: s.isin(allowed),
                error=_err(
                    "not a boolean", " or ".join(allowed[:1] + allowed[len(_TRUE) : len(_TRUE) + 1])
                ),
            )
        )
    elif ftype == "date":
        checks.append(
            pa.Check(
                lambda s: s.str.len().eq(10) & _bounds(s).notna(),
                error=_err("not a valid date", "an existing calendar date YYYY-MM-DD"),
            )
        )
    elif is_list(spec) and "x-itemEnum" in spec:
        items = frozenset(spec["x-itemEnum"])
        delim = spec.get("delimiter", ",")

        def list_ok(s: pd.Series, items: frozenset[str] = items, delim: str = delim) -> pd.Series:
            return _items_allowed(s, items, delim)

        checks.append(
            pa.Check(
                list_ok,
                error=_err(
                    "list holds a value outside the allowed set",
                    f"items separated by '{delim}', each "
                    + (
                        f"one of: {', '.join(sorted(items))}"
                        if len(items) <= 12
                        else "an ISO 3166-1 alpha-2 code"
                    ),
                ),
            )
        )
    if "enum" in cons:
        allowed_values = list(cons["enum"])
        shown = (
            ", ".join(allowed_values) if len(allowed_values) <= 12 else "an ISO 3166-1 alpha-2 code"
        )
        checks.append(
            pa.Check(
                lambda s, a=allowed_values: s.isin(a),
                error=_err("value not allowed", f"one of: {shown}"),
            )
        )
    if "pattern" in cons and not (is_list(spec) and "x-itemEnum" in spec):
        # a list's pattern restates x-itemEnum for other tools; the item check says it better
        pattern = cons["pattern"]
        checks.append(
            pa.Check(
                lambda s, p=pattern: s.str.fullmatch(p.strip("^$")),
                error=_err("value does not match the pattern", f"pattern {pattern}"),
            )
        )
    if "minimum" in cons:
        lo = cons["minimum"]
        checks.append(
            pa.Check(
                lambda s, lo=lo: ~(_numeric(s) < lo),
                error=_err("value below the minimum", f">= {lo}"),
            )
        )
    if "maximum" in cons:
        hi = cons["maximum"]
        checks.append(
            pa.Check(
                lambda s, hi=hi: ~(_numeric(s) > hi),
                error=_err("value above the maximum", f"<= {hi}"),
            )
        )
    if "minLength" in cons:
        n = cons["minLength"]
        checks.append(
            pa.Check(
                lambda s, n=n: s.str.len() >= n,
                error=_err("value too short", f"at least {n} characters"),
            )
        )
    if "x-precisionField" in spec:
        checks.append(
            pa.Check(
                lambda s: _bounds(s).notna(),
                error=_err("not a valid date", "an existing date YYYY, YYYY-MM or YYYY-MM-DD"),
            )
        )
    return checks


def build_schema(resource: dict[str, Any]) -> pa.DataFrameSchema:
    import pandera.pandas as pa

    schema = resource["schema"]
    pk = schema.get("primaryKey", [])
    pk = [pk] if isinstance(pk, str) else list(pk)
    columns = {}
    for spec in schema["fields"]:
        cons = spec.get("constraints", {})
        unique = bool(cons.get("unique")) or pk == [spec["name"]]
        columns[spec["name"]] = pa.Column(
            nullable=not cons.get("required", False) and spec["name"] not in pk,
            unique=unique,
            report_duplicates="exclude_first",
            required=False,  # missing columns are reported at file level, once
            checks=_field_checks(spec),
        )
    return pa.DataFrameSchema(
        columns,
        unique=pk if len(pk) > 1 else None,
        report_duplicates="exclude_first",
        strict=False,
        coerce=False,
    )


def _schema_problems(name: str, df: pd.DataFrame, schema: pa.DataFrameSchema) -> list[Problem]:
    import pandera.pandas as pa

    try:
        schema.validate(df, lazy=True)
    except pa.errors.SchemaErrors as exc:
        problems = []
        fc = exc.failure_cases
        composite: dict[int, dict[str, str]] = {}
        for rec in fc.itertuples(index=False):
            if rec.check == "multiple_fields_uniqueness":
                composite.setdefault(int(rec.index), {})[str(rec.column)] = str(rec.failure_case)
                continue
            check = str(rec.check)
            col = "" if pd.isna(rec.column) else str(rec.column)
            row = 0 if pd.isna(rec.index) else int(rec.index)
            value = "" if pd.isna(rec.failure_case) else str(rec.failure_case)
            if _SEP in check:
                msg, expected = check.split(_SEP, 1)
                problems.append(Problem(name, row, col, f"{msg}: {value!r}", expected))
            elif check == "not_nullable":
                problems.append(Problem(name, row, col, "required value is missing", "a value"))
            elif check == "field_uniqueness":
                problems.append(
                    Problem(name, row, col, f"duplicate key {value!r}", "unique values")
                )
            else:
                problems.append(Problem(name, row, col, f"{check}: {value!r}", "a valid value"))
        for row, key in composite.items():
            cols = sorted(key)
            problems.append(
                Problem(
                    name,
                    row,
                    "+".join(cols),
                    f"duplicate key ({', '.join(key[c] for c in cols)})",
                    "each key once",
                )
            )
        return problems
    return []


# ----------------------------------------------------------------------------- cross-table rules


def _rows(df: pd.DataFrame, mask: pd.Series) -> Iterable[tuple[int, pd.Series]]:
    for idx in df.index[mask.fillna(False).astype(bool)]:
        yield int(idx), df.loc[idx]


def _foreign_key_problems(
    tables: dict[str, pd.DataFrame], resources: dict[str, dict[str, Any]]
) -> list[Problem]:
    problems = []
    for name, res in resources.items():
        df = tables.get(name)
        if df is None:
            continue
        for fk in res["schema"].get("foreignKeys", []):
            col, target = fk["fields"], fk["reference"]
            tdf = tables.get(target["resource"])
            if tdf is None or col not in df.columns or target["fields"] not in tdf.columns:
                continue
            present = df[col].notna()
            missing = present & ~isin(df[col], tdf[target["fields"]])
            for row, rec in _rows(df, missing):
                problems.append(
                    Problem(
                        res["path"],
                        row,
                        col,
                        f"{rec[col]!r} does not exist in {target['resource']}.{target['fields']}",
                        f"an existing {target['fields']}",
                    )
                )
    return problems


def _date_precision_problems(
    tables: dict[str, pd.DataFrame], resources: dict[str, dict[str, Any]]
) -> list[Problem]:
    problems = []
    for name, res in resources.items():
        df = tables.get(name)
        if df is None:
            continue
        for spec in res["schema"]["fields"]:
            prec_col = spec.get("x-precisionField")
            col = spec["name"]
            if not prec_col or col not in df.columns or prec_col not in df.columns:
                continue
            value, prec = df[col], df[prec_col]
            for row, _ in _rows(df, value.notna() & prec.isna()):
                problems.append(
                    Problem(
                        res["path"],
                        row,
                        prec_col,
                        f"missing although {col} is given",
                        "a precision",
                    )
                )
            for row, _ in _rows(df, value.isna() & prec.notna()):
                problems.append(
                    Problem(
                        res["path"], row, col, f"missing although {prec_col} is given", "a date"
                    )
                )
            want = prec.map(_PARTIAL_DATE_LENGTH)
            wrong = value.notna() & want.notna() & (value.str.len() != want)
            for row, rec in _rows(df, wrong):
                shape = {10: "YYYY-MM-DD", 7: "YYYY-MM", 4: "YYYY"}[
                    int(_PARTIAL_DATE_LENGTH[rec[prec_col]])
                ]
                problems.append(
                    Problem(
                        res["path"],
                        row,
                        col,
                        f"{rec[col]!r} does not agree with precision {rec[prec_col]!r}",
                        f"the form {shape}",
                    )
                )
    return problems


def _date_problems(
    tables: dict[str, pd.DataFrame], resources: dict[str, dict[str, Any]]
) -> list[Problem]:
    """No date of publication, statement, event or count lies in the future or before 1900."""
    today, problems = datetime.date.today(), []
    for name, res in resources.items():
        df = tables.get(name)
        if df is None:
            continue
        for spec in res["schema"]["fields"]:
            col = spec["name"]
            if col not in df.columns or not (
                spec.get("type") == "date" or "x-precisionField" in spec
            ):
                continue
            distinct = {v: date_bounds(v) for v in df[col].dropna().unique()}
            wrong = [
                v for v, b in distinct.items() if b and (b[0] > today or b[1] < EARLIEST_DATE)
            ]  # a date that is not valid is reported as such
            for line, value in df[col][isin(df[col], wrong)].items():
                bounds = distinct[value]
                assert bounds is not None
                if bounds[0] > today:
                    problems.append(
                        Problem(
                            res["path"],
                            int(line),
                            col,
                            f"{value} is in the future",
                            f"a date on or before today, {today.isoformat()}",
                        )
                    )
                elif bounds[1] < EARLIEST_DATE:
                    problems.append(
                        Problem(
                            res["path"],
                            int(line),
                            col,
                            f"{value} is before {EARLIEST_DATE.year}",
                            f"a date from {EARLIEST_DATE.isoformat()} on",
                        )
                    )
    return problems


def _source_problems(sources: pd.DataFrame, hashes: dict[str, str]) -> list[Problem]:
    problems = []
    archived = sources["source_kind"] == "archived_article"
    for row, _rec in _rows(sources, archived & sources["archived_path"].isna()):
        problems.append(
            Problem(
                "sources.csv",
                row,
                "archived_path",
                "missing for an archived article",
                "the path of its text under data/",
            )
        )
    for row, _rec in _rows(sources, ~archived & sources["archived_path"].notna()):
        problems.append(
            Problem(
                "sources.csv",
                row,
                "archived_path",
                "given for a web page",
                "empty: web pages are not archived",
            )
        )
    for row, _rec in _rows(sources, archived & sources["sha256"].isna()):
        problems.append(
            Problem(
                "sources.csv",
                row,
                "sha256",
                "missing for an archived article",
                "the SHA-256 of the archived file",
            )
        )
    with_path = archived & sources["archived_path"].notna()
    actual = sources["archived_path"].map(hashes)  # missing where the file could not be read
    for row, rec in _rows(
        sources,
        with_path & actual.notna() & sources["sha256"].notna() & (actual != sources["sha256"]),
    ):
        rel = rec["archived_path"]
        problems.append(
            Problem(
                "sources.csv",
                row,
                "sha256",
                f"{rel} has SHA-256 {hashes[rel][:12]}…, not {str(rec['sha256'])[:12]}…",
                "the archived file unchanged",
            )
        )
    early, late = sources["published_earliest"], sources["published_latest"]
    for row, rec in _rows(sources, early.notna() & late.notna() & (early > late)):
        problems.append(
            Problem(
                "sources.csv",
                row,
                "published_latest",
                f"{rec['published_latest']} is before published_earliest {rec['published_earliest']}",
                "latest >= earliest",
            )
        )
    return problems


_QUOTES_PER_PIECE = 16_384


def _claim_problems(
    claims: pd.DataFrame, sources: pd.DataFrame, texts: dict[str, str]
) -> list[Problem]:
    problems = []
    src = sources.set_index("source_id")

    def of_source(column: str) -> pd.Series:
        return lookup(claims["source_id"], sources["source_id"], sources[column])

    kind = of_source("source_kind")
    path = of_source("archived_path")
    for row, rec in _rows(claims, (kind == "archived_article") & claims["quote"].isna()):
        problems.append(
            Problem(
                "claims.csv",
                row,
                "quote",
                f"missing, but source {rec['source_id']} is archived",
                "a verbatim passage of the archived text",
            )
        )
    for row, rec in _rows(claims, (kind == "web_page") & claims["quote"].notna()):
        problems.append(
            Problem(
                "claims.csv",
                row,
                "quote",
                f"given, but source {rec['source_id']} is a web page that is not archived",
                "empty",
            )
        )
    quoted = (kind == "archived_article") & claims["quote"].notna() & path.notna()
    rows = claims.index[quoted].tolist()
    rels = path[quoted].astype(str).tolist()
    quotes = pyarrow.array(claims["quote"][quoted].array)
    # piece by piece: the quotes as Python strings all at once would hold the column again
    for start in range(0, len(rows), _QUOTES_PER_PIECE):
        piece = normalise_whitespace_array(quotes[start : start + _QUOTES_PER_PIECE]).tolist()
        found: dict[tuple[str, str], bool] = {}  # a quote often recurs: searched once a piece
        for row, rel, quote in zip(rows[start:], rels[start:], piece, strict=False):
            ok = found.get((rel, quote))
            if ok is None:
                ok = found[(rel, quote)] = rel in texts and quote in texts[rel]
            # a quote whose file is missing is not reported here: the file is reported once, on sources.csv
            if not ok and rel in texts:
                problems.append(
                    Problem(
                        "claims.csv",
                        int(row),
                        "quote",
                        f"does not occur in {rel}: {quote[:60]!r}",
                        "a verbatim passage of the archived text (whitespace-normalised)",
                    )
                )
    published = pd.to_datetime(of_source("published_latest"), format="%Y-%m-%d", errors="coerce")
    said = partial_date_start(claims["statement_date"])
    for row, rec in _rows(claims, said.notna() & published.notna() & (said > published)):
        problems.append(
            Problem(
                "claims.csv",
                row,
                "statement_date",
                f"{rec['statement_date']} is after its source {rec['source_id']} was published",
                f"on or before {src['published_latest'].get(rec['source_id'])}",
            )
        )
    return problems


def _event_date_problems(
    events: pd.DataFrame, claims: pd.DataFrame, sources: pd.DataFrame
) -> list[Problem]:
    """An event cannot start after the newest source that reports it was published."""
    published = pd.to_datetime(
        lookup(claims["source_id"], sources["source_id"], sources["published_latest"]),
        format="%Y-%m-%d",
        errors="coerce",
    )
    newest = published.groupby(claims["event_id"]).max()
    start = partial_date_start(events["event_date"])
    limit = events["event_id"].map(newest)
    problems = []
    for row, rec in _rows(events, start.notna() & limit.notna() & (start > limit)):
        problems.append(
            Problem(
                "events.csv",
                row,
                "event_date",
                f"{rec['event_date']} is after every source that reports it was published",
                "a date on or before its sources' publication",
            )
        )
    return problems


def _figure_problems(figures: pd.DataFrame) -> list[Problem]:
    problems = []
    low, best, high = (_numeric(figures[c]) for c in ("value_low", "value_best", "value_high"))
    for a, b, an, bn in (
        (low, best, "value_low", "value_best"),
        (best, high, "value_best", "value_high"),
        (low, high, "value_low", "value_high"),
    ):
        for row, rec in _rows(figures, a.notna() & b.notna() & (a > b)):
            problems.append(
                Problem(
                    "figures.csv",
                    row,
                    an,
                    f"{rec[an]} is greater than {bn} {rec[bn]}",
                    "value_low <= value_best <= value_high",
                )
            )
    none = low.isna() & best.isna() & high.isna() & (figures["qualifier"] != "vague")
    for row, rec in _rows(figures, none):
        problems.append(
            Problem(
                "figures.csv",
                row,
                "value_best",
                f"no value, but qualifier is {rec['qualifier']!r}",
                "a value, or qualifier 'vague'",
            )
        )
    return problems


def _provision_problems(prov: pd.DataFrame) -> list[Problem]:
    lo, hi = _numeric(prov["penalty_min_years"]), _numeric(prov["penalty_max_years"])
    return [
        Problem(
            "legal_provisions.csv",
            row,
            "penalty_min_years",
            f"{rec['penalty_min_years']} exceeds penalty_max_years {rec['penalty_max_years']}",
            "min <= max",
        )
        for row, rec in _rows(prov, lo.notna() & hi.notna() & (lo > hi))
    ]


_RESOLUTION = {  # column: what to write there when the discrepancy is resolved
    "resolved_on": "the date the resolution became known, YYYY-MM-DD",
    "resolved_by_claim_id": "the claim_id (claims.csv) of the claim that settles it",
}


def _discrepancy_status_problems(
    disc: pd.DataFrame, claims: pd.DataFrame, sources: pd.DataFrame
) -> list[Problem]:
    """A resolved discrepancy names the claim that settles it and the date it was known (not
    before that claim's source was published); an open one has neither."""
    if not {"status", *_RESOLUTION} <= set(disc.columns):
        return []  # a package without the status columns: every discrepancy is open
    problems = []
    resolved = disc["status"] == "resolved"
    for col, what in _RESOLUTION.items():
        for row, _rec in _rows(disc, resolved & disc[col].isna()):
            problems.append(
                Problem(
                    "discrepancies.csv", row, col, "missing although status is 'resolved'", what
                )
            )
        for row, rec in _rows(disc, (disc["status"] == "open") & disc[col].notna()):
            problems.append(
                Problem(
                    "discrepancies.csv",
                    row,
                    col,
                    f"{rec[col]!r} given although status is 'open'",
                    f"an empty cell, or status 'resolved' if {rec[col]!r} settles it",
                )
            )
    source_of = lookup(disc["resolved_by_claim_id"], claims["claim_id"], claims["source_id"])
    earliest = lookup(source_of, sources["source_id"], sources["published_earliest"])
    # ISO dates compare as text; a date that is not valid is reported by its own rule
    early = (
        resolved
        & disc["resolved_on"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").fillna(False).astype(bool)
        & earliest.notna()
        & (disc["resolved_on"] < earliest)
    )
    for row, rec in _rows(disc, early):
        problems.append(
            Problem(
                "discrepancies.csv",
                row,
                "resolved_on",
                f"{rec['resolved_on']} is before source {source_of[row]} of claim "
                f"{rec['resolved_by_claim_id']} was published ({earliest[row]})",
                f"a date on or after {earliest[row]}",
            )
        )
    return problems


# The columns each kind of editorial choice needs.
_EDITORIAL_NEEDS = {
    "features": ("claim_id",),
    "channel_evidence": ("claim_id", "tactic_id"),
    "in_their_words": ("claim_id",),
    "short_label": ("event_id", "label"),
}


def _editorial_problems(editorial: pd.DataFrame) -> list[Problem]:
    return [
        Problem("editorial.csv", row, col, f"empty for use {rec['use']!r}", f"a {col}")
        for use, needs in _EDITORIAL_NEEDS.items()
        for col in needs
        for row, rec in _rows(editorial, (editorial["use"] == use) & editorial[col].isna())
    ]


# Which claim columns make a record traceable to a source, per table.
_TRACE = {
    "persons": ("person_id", ["person_id", "speaker_person_id"]),
    "events": ("event_id", ["event_id"]),
    "figures": ("figure_id", ["figure_id"]),
    "legal_provisions": ("provision_id", ["provision_id"]),
    "legal_cases": ("case_id", ["case_id"]),
    "places": ("place_id", ["place_id"]),
    "organisations": ("org_id", ["org_id", "speaker_org_id", "first_reported_by_org_id"]),
}


def _trace_problems(tables: dict[str, pd.DataFrame]) -> list[Problem]:
    claims = tables.get("claims")
    if claims is None:
        return []
    problems = []
    for name, (key, cols) in _TRACE.items():
        df = tables.get(name)
        if df is None:
            continue
        backed = pd.concat([claims[c] for c in cols]).dropna()
        if name == "organisations" and tables.get("sources") is not None:
            backed = pd.concat([backed, tables["sources"]["publisher_org_id"].dropna()])
        for row, rec in _rows(df, ~isin(df[key], backed)):
            problems.append(
                Problem(
                    f"{name}.csv",
                    row,
                    key,
                    f"{rec[key]!r} is not supported by any claim",
                    "at least one claim citing a source",
                )
            )
    links = [
        ("tactics", "tactic_id", "tactic_evidence"),
        ("discrepancies", "discrepancy_id", "discrepancy_claims"),
        ("judgments", "judgment_id", "judgment_claims"),
    ]
    for name, key, link in links:
        df, ldf = tables.get(name), tables.get(link)
        if df is None or ldf is None:
            continue
        for row, rec in _rows(df, ~isin(df[key], ldf[key])):
            problems.append(
                Problem(
                    f"{name}.csv",
                    row,
                    key,
                    f"{rec[key]!r} cites no claim",
                    f"at least one row in {link}.csv",
                )
            )
    return problems


def typed_dataset(result: CheckResult) -> Dataset:
    """The Dataset of a package that passed: each column with its Table Schema type."""
    typed = {name: _typed(df, result.resources[name]) for name, df in result.tables.items()}
    texts = _texts_by_source(typed["sources"], result.source_texts)
    return Dataset(result.data_dir, result.version, typed, texts)


def _texts_by_source(sources: pd.DataFrame, texts_by_path: dict[str, str]) -> dict[str, str]:
    return {
        sid: texts_by_path[rel]
        for sid, rel in zip(sources["source_id"], sources["archived_path"], strict=True)
        if pd.notna(rel)
    }


def _typed(df: pd.DataFrame, resource: dict[str, Any]) -> pd.DataFrame:
    """Give validated columns their Table Schema types. Conversions run in Arrow, four times
    faster than pandas' at scale, and are exact only on values validation has accepted (Arrow
    turns 2023-02-30 into 2 March; pandas, which validation uses, rejects it)."""
    df = df.reset_index(drop=True)  # rows numbered from 0, as analysis expects
    out = df.copy()
    for spec in resource["schema"]["fields"]:
        col, ftype = spec["name"], spec.get("type", "string")
        if ftype == "integer":
            out[col] = _from_arrow(pd.Int64Dtype(), _cast_number(out[col], pyarrow.int64()), df)
        elif ftype == "number":
            out[col] = _from_arrow(pd.Float64Dtype(), _cast_number(out[col], pyarrow.float64()), df)
        elif ftype == "boolean":
            out[col] = out[col].isin(spec.get("trueValues", _TRUE))
        elif ftype == "date":
            out[col] = _timestamps(_arrow(out[col]), df)
        elif "x-precisionField" in spec:
            start = out[col + "_start"] = _timestamps(_padded_partial_dates(out[col]), df)
            out[col + "_end"] = partial_date_end(out[col], start)
    return out


def _cast_number(values: pd.Series, to: pyarrow.DataType) -> pyarrow.Array:
    # Arrow parses neither "+5" nor "+2.5", which the Table Schema allows
    return pc.cast(pc.replace_substring_regex(_arrow(values), r"^\+", ""), to)


def _from_arrow(dtype: Any, values: pyarrow.Array, like: pd.DataFrame) -> pd.Series:
    return pd.Series(dtype.__from_arrow__(values), index=like.index)


def _timestamps(text: pyarrow.Array, like: pd.DataFrame) -> pd.Series:
    # microseconds: the unit pandas' to_datetime gives the same dates
    parsed = pc.strptime(text, format="%Y-%m-%d", unit="us", error_is_null=True)
    return pd.Series(parsed.to_numpy(zero_copy_only=False), index=like.index)


def _padded_partial_dates(values: pd.Series) -> pyarrow.Array:
    """YYYY and YYYY-MM padded to the first day they cover, as YYYY-MM-DD text."""
    text = _arrow(values)
    length = pc.utf8_length(text)
    empty = pyarrow.scalar("", text.type)

    def suffixed(suffix: str) -> pyarrow.Array:
        return pc.binary_join_element_wise(text, pyarrow.scalar(suffix, text.type), empty)

    return pc.if_else(
        pc.equal(length, 4),
        suffixed("-01-01"),
        pc.if_else(pc.equal(length, 7), suffixed("-01"), text),
    )


# ----------------------------------------------------------------------------- added-source rules

_DURATION = r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?$"


def _living_data_problems(data_dir: Path, tables: dict[str, pd.DataFrame]) -> list[Problem]:
    """Rules for what the add-a-source workflow records: an archived file's size, sentences
    whose term in years agrees with the term handed down, and possible identities that link
    two different records and rest on claims."""
    problems: list[Problem] = []
    sources = tables.get("sources")
    if sources is not None and "archived_bytes" in sources.columns:
        archived = (sources["source_kind"] == "archived_article") & sources["archived_path"].notna()
        for row, rec in _rows(sources, archived):
            path = data_dir / str(rec["archived_path"])
            if not path.is_file():
                continue  # reported once, by the archived_path rule
            size = path.stat().st_size
            if pd.isna(rec["archived_bytes"]) or str(rec["archived_bytes"]) != str(size):
                problems.append(
                    Problem(
                        "sources.csv",
                        row,
                        "archived_bytes",
                        f"{rec['archived_bytes'] if pd.notna(rec['archived_bytes']) else 'missing'}, "
                        f"but {rec['archived_path']} has {size} bytes",
                        f"{size}, the size of the archived file",
                    )
                )
    cases = tables.get("legal_cases")
    if cases is not None and "sentence_term" in cases.columns:
        for row, rec in _rows(
            cases, cases["sentence_kind"].notna() & cases["sentence_term"].isna()
        ):
            problems.append(
                Problem(
                    "legal_cases.csv",
                    row,
                    "sentence_term",
                    f"missing although sentence_kind is {rec['sentence_kind']!r}",
                    "the term handed down, e.g. P5Y or P4Y2M",
                )
            )
        terms = cases["sentence_term"].astype("string").str.extract(_DURATION).astype("float")
        years = terms[0].fillna(0) + terms[1].fillna(0) / 12 + terms[2].fillna(0) / 365.25
        given = _numeric(cases["sentence_years"])
        off = cases["sentence_term"].notna() & ((given - years).abs() > 0.01).fillna(True)
        for row, rec in _rows(cases, off & terms.notna().any(axis=1)):
            want = round(float(years[row - 2]), 3)
            problems.append(
                Problem(
                    "legal_cases.csv",
                    row,
                    "sentence_years",
                    f"{rec['sentence_years'] if pd.notna(rec['sentence_years']) else 'missing'}, "
                    f"but sentence_term {rec['sentence_term']} is {want:g} years",
                    f"{want:g} (months / 12, days / 365.25)",
                )
            )
    links, link_claims = (
        tables.get("person_identity_links"),
        tables.get("person_identity_link_claims"),
    )
    if links is not None:
        for row, rec in _rows(links, links["person_id"] == links["other_person_id"]):
            problems.append(
                Problem(
                    "person_identity_links.csv",
                    row,
                    "other_person_id",
                    f"{rec['other_person_id']!r} is the record itself",
                    "a different person record",
                )
            )
        cited = link_claims["link_id"] if link_claims is not None else pd.Series([], dtype="string")
        for row, rec in _rows(links, ~isin(links["link_id"], cited)):
            problems.append(
                Problem(
                    "person_identity_links.csv",
                    row,
                    "link_id",
                    f"{rec['link_id']!r} cites no claim",
                    "at least one row in person_identity_link_claims.csv",
                )
            )
    return problems
