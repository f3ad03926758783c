"""Load the data package and validate it against its own descriptor (data/datapackage.json).

The descriptor is the only statement of types, required fields, enums and keys; this module
turns it into pandera checks and adds the rules a Table Schema cannot say (quotes occur in
their archived source, dates agree with their precision, every record traces to a source).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import ctypes
import functools
import hashlib
import io
import os
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pandas as pd
import pyarrow as pyarrow
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from . import judgment_rules
from .datafiles import read_descriptor, validation_stamp
from .errors import DataError, Problem

if TYPE_CHECKING:
    import pandera.pandas as pa

T = TypeVar("T")

_SEP = "\x1f"  # separates message and expectation inside a pandera error string
_PARTIAL_DATE_LENGTH = {"day": 10, "on_or_before": 10, "month": 7, "season": 7, "year": 4}
_TRUE = ("true", "True", "TRUE", "1")
_FALSE = ("false", "False", "FALSE", "0")


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
    arr = pyarrow.array(s.array)
    valid = pc.match_substring_regex(arr, _NUMBER)
    numbers = pc.cast(pc.if_else(valid, arr, pyarrow.scalar(None, arr.type)), pyarrow.float64())
    return pd.Series(numbers.to_numpy(zero_copy_only=False), index=s.index)


def _items_allowed(s: pd.Series, allowed: frozenset[str], delim: str) -> pd.Series:
    """True where every delim-separated item of the cell is in `allowed` (vectorised in Arrow)."""
    lists = pc.split_pattern(pyarrow.array(s.array), delim)
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
    import pandera.pandas as pa  # only validation needs it: a package validated before skips it

    checks: list[pa.Check] = []
    ftype = spec.get("type", "string")
    cons = spec.get("constraints", {})
    if ftype == "integer":
        checks.append(
            pa.Check(
                lambda s: s.str.fullmatch(r"[+-]?\d+"), error=_err("not an integer", "an integer")
            )
        )
    elif ftype == "number":
        checks.append(
            pa.Check(lambda s: _numeric(s).notna(), error=_err("not a number", "a number"))
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
                lambda s: (
                    s.str.fullmatch(r"\d{4}-\d{2}-\d{2}")
                    & pd.Series(pd.to_datetime(s, format="%Y-%m-%d", errors="coerce")).notna()
                ),
                error=_err("not a valid date", "an existing calendar date YYYY-MM-DD"),
            )
        )
    elif ftype == "list" and "x-itemEnum" in spec:
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
    if "pattern" in cons:
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
                lambda s: partial_date_start(s).notna(),
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


# ----------------------------------------------------------------------------- reading


def _is_utf8(raw: bytes) -> bool:
    """Arrow's check, in place and twenty times faster than decoding in Python."""
    offsets = pyarrow.array([0, len(raw)], type=pyarrow.int64()).buffers()[1]
    one_value = pyarrow.Array.from_buffers(
        pyarrow.large_binary(), 1, [None, offsets, pyarrow.py_buffer(raw)]
    )
    try:
        one_value.cast(pyarrow.large_string())
    except pyarrow.ArrowInvalid:
        return False
    return True


def _invalid_utf8_at(raw: bytes, chunk: int = 1 << 20) -> int | None:
    """Offset of the first byte that is not UTF-8, or None. Only a file that is not UTF-8 is
    decoded in Python, to find where; piece by piece, so a large file is never held twice in
    memory (a str of it can take four bytes a character)."""
    if _is_utf8(raw):
        return None
    decoder = codecs.getincrementaldecoder("utf-8")()
    for start in range(0, len(raw), chunk):
        pending = len(decoder.getstate()[0])  # bytes of a character split by the last piece
        try:
            decoder.decode(raw[start : start + chunk], final=start + chunk >= len(raw))
        except UnicodeDecodeError as exc:
            return start - pending + exc.start
    return None


def read_table(
    data_dir: Path, resource: dict[str, Any]
) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Read one CSV as strings (empty cell = missing), reporting file-level faults."""
    name = resource["path"]
    path = data_dir / name
    expected_cols = [f["name"] for f in resource["schema"]["fields"]]
    if not path.is_file():
        return None, [Problem(name, 0, "", "file is missing", f"a CSV file at data/{name}")]
    raw = path.read_bytes()
    if not raw or raw.isspace():
        return None, [
            Problem(
                name,
                0,
                "",
                "file is empty",
                f"a header row ({', '.join(expected_cols[:3])}, …) and data rows",
            )
        ]
    bad = _invalid_utf8_at(raw)
    if bad is not None:
        line = raw[:bad].count(b"\n") + 1
        return None, [
            Problem(
                name,
                line,
                "",
                f"not valid UTF-8 (byte 0x{raw[bad]:02x} at offset {bad})",
                "UTF-8 text",
            )
        ]
    end = raw.find(b"\n")
    first_line = (raw[: end + 1] if end >= 0 else raw).decode("utf-8-sig")  # a BOM is tolerated
    header = next(csv.reader([first_line]))
    problems = []
    dupes = sorted({c for c in header if header.count(c) > 1})
    for col in dupes:
        problems.append(
            Problem(name, 1, col, "column appears more than once in the header", "each column once")
        )
    for col in expected_cols:
        if col not in header:
            problems.append(
                Problem(
                    name,
                    1,
                    col,
                    "column is missing from the header",
                    f"the columns of datapackage.json: {', '.join(expected_cols)}",
                )
            )
    for col in header:
        if col not in expected_cols:
            problems.append(
                Problem(
                    name,
                    1,
                    col,
                    "column is not described in datapackage.json",
                    f"only: {', '.join(expected_cols)}",
                )
            )
    if dupes:
        return None, problems
    body = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    # large_string is what pandas' Arrow strings hold: read as anything else, every column
    # would be copied again when the frame is made
    types = dict.fromkeys(header, pyarrow.large_string())
    ragged: list[int] = []

    def skip_ragged(row: Any) -> str:
        ragged.append(0)  # Arrow gives no line number when values may hold newlines; found below
        return "skip"

    def parse(data: bytes, newlines_in_values: bool) -> pyarrow.Table:
        ragged.clear()
        return pacsv.read_csv(
            pyarrow.BufferReader(data),
            # blocks of a few MB, parsed on every core: one block of a large file parses
            # several times slower, on one core
            read_options=pacsv.ReadOptions(block_size=_CSV_BLOCK_BYTES),
            parse_options=pacsv.ParseOptions(
                invalid_row_handler=skip_ragged, newlines_in_values=newlines_in_values
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=types,
                strings_can_be_null=True,
                null_values=[""],
                quoted_strings_can_be_null=True,
                check_utf8=False,  # the whole file was checked above, with its offset
            ),
        )

    try:
        arrow = parse(
            body, newlines_in_values=False
        )  # fast; exact unless a quoted value holds a newline
        if ragged:
            arrow = parse(body, newlines_in_values=True)
    except pyarrow.ArrowInvalid as exc:
        return None, [
            *problems,
            Problem(name, 0, "", f"not a readable CSV file: {exc}", "RFC 4180 CSV"),
        ]
    for number in _ragged_lines(raw.decode("utf-8-sig"), len(header)) if ragged else []:
        problems.append(
            Problem(
                name,
                number,
                "",
                "row has a different number of fields than the header",
                f"{len(header)} fields",
            )
        )
    if arrow.num_rows == 0 and not ragged:
        return None, [
            *problems,
            Problem(name, 0, "", "file has a header but no rows", "at least one data row"),
        ]
    del raw, body  # the file's bytes, before the frame is made: a large table is held once
    df = _one_chunk_per_column(arrow).to_pandas(
        types_mapper={pyarrow.large_string(): pd.StringDtype("pyarrow")}.get
    )
    return df, problems


_CSV_BLOCK_BYTES = 4 << 20


def _one_chunk_per_column(table: pyarrow.Table) -> pyarrow.Table:
    """The table with each column in one piece: taking rows from a chunked column concatenates
    all of it first, at every filter. Column by column, each one's pieces freed as it is joined,
    so the table is never held twice."""
    names, columns = table.column_names, []
    while table.num_columns:
        columns.append(table.column(0).combine_chunks())
        table = table.remove_column(0)
    return pyarrow.table(columns, names=names)


def _ragged_lines(text: str, width: int) -> list[int]:
    """Line numbers of records whose field count differs from the header's (slow path)."""
    lines, start = [], 1
    reader = csv.reader(io.StringIO(text))
    for record in reader:
        if len(record) != width:
            lines.append(start)
        start = reader.line_num + 1
    return lines


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
                composite.setdefault(int(rec.index) + 2, {})[str(rec.column)] = str(
                    rec.failure_case
                )
                continue
            check = str(rec.check)
            col = "" if pd.isna(rec.column) else str(rec.column)
            row = 0 if pd.isna(rec.index) else int(rec.index) + 2
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
        yield int(idx) + 2, df.loc[idx]


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


def _read_archived_texts(
    data_dir: Path, sources: pd.DataFrame, texts: dict[str, str], hashes: dict[str, str]
) -> None:
    """Each archived article's text (whitespace-normalised) and SHA-256, by its path under
    data/, for the files that exist inside the data folder."""
    archived = sources["source_kind"] == "archived_article"
    for rel in sources.loc[archived, "archived_path"].dropna().unique():
        path = (data_dir / rel).resolve()
        if path.is_relative_to(data_dir.resolve()) and path.is_file():
            raw = path.read_bytes()
            hashes[rel] = hashlib.sha256(raw).hexdigest()
            texts[rel] = normalise_whitespace(raw.decode("utf-8-sig", errors="replace"))


def _source_problems(
    data_dir: Path, sources: pd.DataFrame, texts: dict[str, str], hashes: dict[str, str]
) -> list[Problem]:
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
    _read_archived_texts(data_dir, sources, texts, hashes)
    with_path = archived & sources["archived_path"].notna()
    actual = sources["archived_path"].map(hashes)
    for row, rec in _rows(sources, with_path & actual.isna()):
        problems.append(
            Problem(
                "sources.csv",
                row,
                "archived_path",
                f"archived file {rec['archived_path']!r} not found",
                "a file under data/",
            )
        )
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
                        int(row) + 2,
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


# ----------------------------------------------------------------------------- entry points


@dataclass(frozen=True)
class CheckResult:
    """Outcome of checking a data package: problems, and the tables read (as strings)."""

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


def _each_table(
    data_dir: Path, resources: dict[str, dict[str, Any]], read: Callable[[dict[str, Any]], T]
) -> dict[str, T]:
    """read(resource) for every table. Arrow's CSV reader and compute kernels release the GIL,
    so two tables go at once; the largest files first, while little else is held, to keep the
    peak of memory low."""

    def file_size(name: str) -> int:
        path = data_dir / resources[name]["path"]
        return path.stat().st_size if path.is_file() else 0

    largest_first = sorted(resources, key=file_size, reverse=True)
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(
            zip(largest_first, pool.map(read, (resources[n] for n in largest_first)), strict=True)
        )


def check(data_dir: Path | str) -> CheckResult:
    """Check the whole package and collect every problem; no typing, no analysis."""
    data_dir = Path(data_dir)
    descriptor = read_descriptor(data_dir)
    resources = {r["name"]: r for r in descriptor["resources"]}
    tables: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []

    def read_and_check(res: dict[str, Any]) -> tuple[pd.DataFrame | None, list[Problem]]:
        df, found = read_table(data_dir, res)
        if df is not None:
            found += _schema_problems(res["path"], df, build_schema(res))
        return df, found

    read = _each_table(data_dir, resources, read_and_check)
    for name in resources:
        df, found = read[name]
        problems += found
        if df is not None:
            tables[name] = df
    del read
    release_free_memory()  # what parsing freed, before the cross-table rules allocate more
    problems += _foreign_key_problems(tables, resources)
    problems += _date_precision_problems(tables, resources)
    texts: dict[str, str] = {}
    hashes: dict[str, str] = {}
    rules: list[tuple[tuple[str, ...], Callable[..., list[Problem]]]] = [
        (("sources",), lambda s: _source_problems(data_dir, s, texts, hashes)),
        (("claims", "sources"), lambda c, s: _claim_problems(c, s, texts)),
        (("events", "claims", "sources"), _event_date_problems),
        (("figures",), _figure_problems),
        (("legal_provisions",), _provision_problems),
    ]
    for needs, rule in rules:
        if all(n in tables for n in needs):
            problems += rule(*(tables[n] for n in needs))
    problems += _trace_problems(tables)
    problems += _living_data_problems(data_dir, tables)
    problems += judgment_rules.problems(tables)
    return CheckResult(
        data_dir,
        str(descriptor.get("version", "")),
        resources,
        tables,
        sorted(set(problems)),
        texts,
    )


def _use_system_allocator() -> None:
    """Arrow's default allocator (mimalloc) keeps the pages it frees for reuse; the system
    allocator hands them back, so validating a large package leaves far less memory held."""
    if pyarrow.default_memory_pool().backend_name != "system":
        pyarrow.set_memory_pool(pyarrow.system_memory_pool())


def release_free_memory() -> None:
    """Return the heap pages validation freed to the system (glibc only; elsewhere a no-op)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)


def load(data_dir: Path | str) -> Dataset:
    """The validated, typed dataset, or DataError listing every problem.

    A package whose exact files have passed this exact validator before is read without
    validating it again, as Python reuses a .pyc file: the cache keeps one empty file per
    passing package, named by the SHA-256 of every file validation reads and of the validator
    itself (this module's source and the versions of pandas, pandera, pyarrow and Python).
    Changing any data file, or the validator, validates again. `ca-brief validate` always
    validates.

    Beside the newest few of those files, the cache keeps the typed tables as Arrow files, which
    a later load maps into memory instead of parsing CSV again (see `_snapshot`)."""
    _use_system_allocator()
    data_dir = Path(data_dir)
    stamp = validation_stamp(data_dir)
    if stamp is not None and stamp.is_file():
        dataset = _load_validated_before(data_dir, stamp)
        if dataset is not None:
            return dataset
    result = check(data_dir)
    if not result.ok:
        raise DataError(result.problems)
    dataset = _typed_dataset(
        result.data_dir, result.version, result.resources, result.tables, result.source_texts
    )
    del result  # the untyped tables
    release_free_memory()
    if stamp is not None:
        with contextlib.suppress(OSError):
            stamp.touch()
        _write_snapshot(_snapshot(stamp), dataset.tables)
    return dataset


def _load_validated_before(data_dir: Path, stamp: Path) -> Dataset | None:
    """Read a package that passed validation, as `load` would after validating it: from its
    snapshot when there is one, else from its CSV files, keeping a snapshot of them."""
    descriptor = read_descriptor(data_dir)
    resources = {r["name"]: r for r in descriptor["resources"]}
    version = str(descriptor.get("version", ""))
    snapshot = _snapshot(stamp)
    tables = _read_snapshot(snapshot, list(resources))
    if tables is None:
        read = _each_table(data_dir, resources, functools.partial(read_table, data_dir))
        if any(df is None or problems for df, problems in read.values()):
            return None  # not what passed: validate, and say why
        untyped = {name: read[name][0] for name in resources}
        del read
        release_free_memory()
        tables = {name: _typed(df, resources[name]) for name, df in untyped.items()}
        del untyped
        release_free_memory()
        _write_snapshot(snapshot, tables)
    texts: dict[str, str] = {}
    _read_archived_texts(data_dir, tables["sources"], texts, {})
    return Dataset(data_dir, version, tables, _texts_by_source(tables["sources"], texts))


# ----------------------------------------------------------------------------- snapshots

SNAPSHOTS_KEPT = 3  # packages: a large one takes as much disk as its CSV files and a half again
_SNAPSHOT_SUFFIX = ".arrow"


def _snapshot(stamp: Path) -> Path:
    """The folder of Arrow files, one per table, of the package whose stamp this is."""
    return stamp.with_name(stamp.name + _SNAPSHOT_SUFFIX)


def _read_snapshot(folder: Path, names: list[str]) -> dict[str, pd.DataFrame] | None:
    """The typed tables, mapped from their Arrow files (nothing parsed, nothing copied that
    pandas can use in place); None when there is no whole snapshot to read."""
    import pyarrow.ipc

    try:
        tables = {
            name: pyarrow.ipc.open_file(pyarrow.memory_map(str(folder / f"{name}.arrow")))
            .read_all()
            .to_pandas()
            for name in names
        }
        os.utime(folder)  # recently used: kept when older snapshots are removed
    except FileNotFoundError:
        return None
    except (OSError, pyarrow.ArrowException, ValueError, KeyError):
        # damaged: the CSV files are the truth, and this load writes the snapshot again
        shutil.rmtree(folder, ignore_errors=True)
        return None
    return tables


def _write_snapshot(folder: Path, tables: dict[str, pd.DataFrame]) -> None:
    """Keep the typed tables, written in full to a folder of their own and then renamed into
    place, so that a reader never sees half of one; best effort, as the CSV files remain."""
    import pyarrow.ipc

    if folder.exists():
        return
    staging = folder.with_name(f".{folder.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        staging.mkdir()
        for name, df in tables.items():
            table = pyarrow.Table.from_pandas(df, preserve_index=False)
            with pyarrow.ipc.new_file(str(staging / f"{name}.arrow"), table.schema) as writer:
                writer.write_table(table)
        os.rename(staging, folder)  # fails if another process got there first: same content
    except (OSError, pyarrow.ArrowException):
        pass
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _remove_old_snapshots(folder.parent)


def _remove_old_snapshots(cache: Path) -> None:
    def last_used(path: Path) -> float:
        try:
            return path.stat().st_mtime
        except OSError:
            return 0.0

    snapshots = sorted(cache.glob(f"*{_SNAPSHOT_SUFFIX}"), key=last_used, reverse=True)
    for old in snapshots[SNAPSHOTS_KEPT:]:
        shutil.rmtree(old, ignore_errors=True)  # a process that has it mapped keeps its pages
    for staging in cache.glob(f".*{_SNAPSHOT_SUFFIX}.*.tmp"):  # left by a process killed mid-write
        if time.time() - last_used(staging) > 3600:
            shutil.rmtree(staging, ignore_errors=True)


def _typed_dataset(
    data_dir: Path,
    version: str,
    resources: dict[str, dict[str, Any]],
    tables: dict[str, pd.DataFrame],
    texts_by_path: dict[str, str],
) -> Dataset:
    typed = {name: _typed(df, resources[name]) for name, df in tables.items()}
    return Dataset(data_dir, version, typed, _texts_by_source(typed["sources"], texts_by_path))


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
