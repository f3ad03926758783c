"""Adding a source as a user would: `ca-brief source add`, `ca-brief card apply`, `ca-brief quote find`.

The CSV tables stay the storage. A source is registered with one command; the claims and the
records they support are written by hand in one small YAML card per source (data/cards/), whose
entries use the tables' own column names, and the card is applied all or nothing: the rows are
appended to a temporary copy of the package, the copy is validated as `ca-brief validate` would,
and only a valid result replaces the CSV files. Every refusal is one line per problem, naming the
card entry (or option), the column and what to write instead; exit codes follow the rest of the
command line: 0 done, 1 the operation failed (or, for `quote find`, found nothing, as grep does),
2 bad input, nothing written.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import difflib
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import errors
from .datafiles import is_list
from .paths import DEFAULT_DATA_DIR

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

CARDS_DIR = "cards"
ARCHIVE_DIR = "sources"

# card sections, in the order rows are appended; each names its table and id column
SECTIONS: dict[str, str] = {
    "organisations": "org_id",
    "places": "place_id",
    "persons": "person_id",
    "events": "event_id",
    "figures": "figure_id",
    "legal_provisions": "provision_id",
    "legal_cases": "case_id",
    "tactics": "tactic_id",
    "claims": "claim_id",
    "discrepancies": "discrepancy_id",
    "person_identity_links": "link_id",
}
# ids the card writes itself when an entry gives none: nothing refers to them by hand
GENERATED_IDS = {"claims", "discrepancies", "person_identity_links"}
# fields a card entry may give besides its table's columns, and the link rows they become
CARD_EXTRAS: dict[str, dict[str, str]] = {
    "claims": {
        "tactics": "tactic ids the claim shows (rows of tactic_evidence.csv)",
        "discrepancies": "discrepancy id -> this claim's version (rows of discrepancy_claims.csv)",
        "resolves": "discrepancy ids this claim settles (marked resolved, on the source's date;"
        " or map each id to its resolved_on date)",
    },
    "discrepancies": {
        "versions": "claim id (or claims[N], this card's N-th claim) -> the version it gives",
    },
    "person_identity_links": {
        "claims": "claim ids the link rests on; claims[N] is this card's N-th claim (from 0)",
    },
}


class IntakeError(Exception):
    """A refusal: one line per problem, and the exit code to give."""

    def __init__(self, lines: list[str] | str, code: int = EXIT_USAGE):
        self.lines = [lines] if isinstance(lines, str) else lines
        self.code = code
        super().__init__("; ".join(self.lines))


# ----------------------------------------------------------------------------- the package


@dataclass
class Package:
    """The package's tables as text rows, read and written with the csv module."""

    data_dir: Path
    descriptor: dict[str, Any]
    headers: dict[str, list[str]] = field(default_factory=dict)
    rows: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    added: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    # (table, index among the added rows) -> what the card calls that entry
    origin: dict[tuple[str, int], str] = field(default_factory=dict)
    card_claims: list[str] = field(default_factory=list)  # ids of the card's claims, in order
    # existing rows the card changes: table -> {index among the existing rows: card entry}
    updated: dict[str, dict[int, str]] = field(default_factory=dict)

    @classmethod
    def read(cls, data_dir: Path) -> Package:
        from .datafiles import read_descriptor, tables_of

        try:
            descriptor = read_descriptor(data_dir)
        except errors.DataDirError as exc:
            raise IntakeError(f"error: {exc}") from None
        pkg = cls(data_dir, descriptor)
        for res in tables_of(descriptor):
            path = data_dir / res["path"]
            try:
                with path.open(encoding="utf-8-sig", newline="") as f:
                    reader = csv.DictReader(f)
                    pkg.headers[res["name"]] = list(reader.fieldnames or [])
                    pkg.rows[res["name"]] = list(reader)
            except OSError as exc:
                raise IntakeError(
                    f"error: cannot read {path}: {exc.strerror}; run 'ca-brief validate'",
                    EXIT_FAILED,
                ) from None
        return pkg

    def has(self, table: str) -> bool:
        return any(r["name"] == table for r in self.descriptor["resources"])

    def resource(self, table: str) -> dict[str, Any]:
        return next(r for r in self.descriptor["resources"] if r["name"] == table)

    def fields(self, table: str) -> dict[str, dict[str, Any]]:
        return {f["name"]: f for f in self.resource(table)["schema"]["fields"]}

    def ids(self, table: str, column: str) -> dict[str, int]:
        """Every id of a table, with its line in the file (added rows after the existing)."""
        out: dict[str, int] = {}
        for i, row in enumerate(self.rows[table] + self.added.get(table, [])):
            out.setdefault(row.get(column, ""), i + 2)
        return out

    def add(self, table: str, row: dict[str, str], origin: str) -> None:
        rows = self.added.setdefault(table, [])
        self.origin[(table, len(rows))] = origin
        rows.append(row)

    def update(self, table: str, index: int, cells: dict[str, str], origin: str) -> None:
        """Change cells of an existing row (in memory, as rows are added)."""
        self.rows[table][index].update(cells)
        self.updated.setdefault(table, {})[index] = origin

    def write(self, target: Path) -> None:
        """The changed tables into target (a data folder), each replaced in one step."""
        for table in dict.fromkeys([*self.added, *self.updated]):
            if not self.added.get(table) and not self.updated.get(table):
                continue
            path = target / self.resource(table)["path"]
            _atomic_write_csv(
                path, self.headers[table], self.rows[table] + self.added.get(table, [])
            )

    def where_added(self, file: str, line: int) -> str | None:
        """The card entry that became (or changed) this line of this file, if the card did."""
        for table in dict.fromkeys([*self.added, *self.updated]):
            if self.resource(table)["path"] == file:
                changed = self.updated.get(table, {}).get(line - 2)
                if changed is not None:
                    return changed
                index = line - 2 - len(self.rows[table])
                if 0 <= index < len(self.added.get(table, [])):
                    return self.origin[(table, index)]
        return None


def _atomic_write_csv(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    """The table as RFC 4180 CSV with its header quoted: a dialect sniffer (csvkit's, Python's
    csv.Sniffer) then reads the delimiter from the first line, and is not misled by words in
    single quotes in the rows after it."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("w", encoding="utf-8", newline="") as f:
            csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\n").writerow(header)
            writer = csv.DictWriter(f, fieldnames=header, lineterminator="\n")
            writer.writerows({k: row.get(k, "") for k in header} for row in rows)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


# ----------------------------------------------------------------------------- package refresh

TEXT_PREFIX = "text_"  # an archived text's resource is named text_<source_id>


def refresh_package(data_dir: Path) -> list[str]:
    """Bring datapackage.json's derived parts up to date with the files, and say what changed:
    every resource's `bytes` and `hash`, one file resource per archived text of sources.csv,
    the package's `sources` (every row of sources.csv) and each list field's `pattern` (from
    its x-itemEnum). Nothing a person wrote is changed; the file is replaced in one step, and
    left untouched when nothing changed."""
    from .datafiles import (
        DESCRIPTOR,
        file_facts,
        inside,
        is_table,
        list_pattern,
        read_descriptor,
        tables_of,
    )

    try:
        descriptor = read_descriptor(data_dir)
    except errors.DataDirError as exc:
        raise IntakeError(f"error: {exc}") from None
    before = json.dumps(descriptor, sort_keys=True)
    changes: list[str] = []
    sources_res = next((r for r in tables_of(descriptor) if r["name"] == "sources"), None)
    sources: list[dict[str, str]] = []
    if sources_res is not None:
        with (data_dir / sources_res["path"]).open(encoding="utf-8-sig", newline="") as f:
            sources = list(csv.DictReader(f))
    # the archived texts, in the order of sources.csv, after the tables
    texts = []
    for row in sources:
        rel = (row.get("archived_path") or "").strip()
        if not rel:
            continue
        old: dict[str, Any] = next((r for r in descriptor["resources"] if r.get("path") == rel), {})
        text: dict[str, Any] = {
            "name": f"{TEXT_PREFIX}{row['source_id']}",
            "path": rel,
            "title": f"Archived text: {row['title']}",
            "description": (
                f"The text of source {row['source_id']} (sources.csv) as archived, which the "
                f"claims quote verbatim. Licence: {row.get('licence') or 'not stated'}."
            ),
            "format": "txt",
            "mediatype": "text/plain",
            "encoding": "utf-8",
        }
        if row.get("url"):
            text["sources"] = [{"title": row["title"], "path": row["url"]}]
        text.update({k: old[k] for k in ("bytes", "hash") if k in old})
        texts.append(text)
    old_texts = [r for r in descriptor["resources"] if not is_table(r)]
    if [t["path"] for t in old_texts] != [t["path"] for t in texts]:
        changes.append(f"archived texts listed as resources: {len(old_texts)} -> {len(texts)}")
    descriptor["resources"] = tables_of(descriptor) + texts
    for res in descriptor["resources"]:
        path = inside(data_dir, res["path"])
        if path is None or not path.is_file():
            raise IntakeError(
                f"error: resource '{res['name']}': {res['path']} is missing; "
                "run 'ca-brief validate' to see what the package lacks"
            )
        size, digest = file_facts(path)
        if (res.get("bytes"), res.get("hash")) != (size, digest):
            changes.append(f"{res['path']}: {size} bytes, {digest[:19]}…")
        res["bytes"], res["hash"] = size, digest
        for spec in res.get("schema", {}).get("fields", []):
            if is_list(spec) and spec.get("type") != "list" and "x-itemEnum" in spec:
                pattern = list_pattern(spec["x-itemEnum"], spec["delimiter"])
                if spec.setdefault("constraints", {}).get("pattern") != pattern:
                    changes.append(f"{res['path']}: pattern of list field '{spec['name']}'")
                spec["constraints"]["pattern"] = pattern
    package_sources = [
        {"title": row["title"], **({"path": row["url"]} if row.get("url") else {})}
        for row in sources
    ]
    if descriptor.get("sources") != package_sources:
        changes.append(f"package sources: {len(package_sources)} (every row of sources.csv)")
    descriptor["sources"] = package_sources
    if json.dumps(descriptor, sort_keys=True) != before:
        _atomic_write_text(
            data_dir / DESCRIPTOR, json.dumps(descriptor, indent=1, ensure_ascii=False) + "\n"
        )
    return changes


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def package_refresh(args: argparse.Namespace) -> int:
    data_dir = Path(args.data_dir)
    changes = refresh_package(data_dir)
    for line in changes:
        print(f"  {line}")
    print(
        f"{data_dir / 'datapackage.json'}: "
        + (f"updated ({len(changes)} change(s))" if changes else "already up to date")
    )
    return EXIT_OK


def _validated_then_written(
    pkg: Package, new_files: dict[str, Path] | None = None, write: bool = True
) -> None:
    """Validate the package with the added rows in a temporary copy; only if it is valid,
    copy the new archived files in and replace the changed tables. Problems the added rows
    cause are reported against the card entry that made them."""
    from . import dataset

    new_files = new_files or {}
    with tempfile.TemporaryDirectory(prefix="ca-brief-intake-") as tmp:
        copy = Path(tmp) / "data"
        shutil.copytree(pkg.data_dir, copy, ignore=shutil.ignore_patterns(CARDS_DIR, ".*"))
        for rel, src in new_files.items():
            shutil.copyfile(src, copy / rel)
        pkg.write(copy)
        result = dataset.check(copy)
    if not result.ok:
        lines = []
        for problem in result.problems:
            entry = pkg.where_added(problem.file, problem.row)
            col = f" column '{problem.column}':" if problem.column else ""
            if entry is not None:
                lines.append(
                    f"{entry}:{col} {problem.message} (expected {problem.expected}) [{problem.file}]"
                )
            else:
                lines.append(f"{problem} [a row already in the package, or a table as a whole]")
        raise IntakeError(lines)
    if not write:
        return
    for rel, src in new_files.items():
        target = pkg.data_dir / rel
        if target.exists():
            raise IntakeError(f"error: {target} already exists; nothing was written")
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp_target = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        shutil.copyfile(src, tmp_target)
        os.replace(tmp_target, target)
    pkg.write(pkg.data_dir)
    refresh_package(pkg.data_dir)  # the sizes and hashes of the files just written


def _close(word: str, choices: list[str] | set[str] | dict[str, Any]) -> str:
    near = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean {near[0]!r}?)" if near else ""


# ----------------------------------------------------------------------------- dates and ids


def parse_partial_date(text: str, what: str) -> tuple[datetime.date, datetime.date, str]:
    """'2023-05-17', '2023-05' or '2023' -> first day, last day, precision; a date that does
    not exist is refused with the reason."""
    m = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", text.strip())
    if not m:
        raise IntakeError(
            f"error: {what} {text!r} is not a date; write YYYY-MM-DD, YYYY-MM or YYYY"
        )
    year, month, day = int(m[1]), m[2], m[3]
    try:
        if day is not None:
            d = datetime.date(year, int(month), int(day))
            return d, d, "day"
        if month is not None:
            first = datetime.date(year, int(month), 1)
            nxt = datetime.date(year + (first.month == 12), first.month % 12 + 1, 1)
            return first, nxt - datetime.timedelta(days=1), "month"
        return datetime.date(year, 1, 1), datetime.date(year, 12, 31), "year"
    except ValueError as exc:
        raise IntakeError(
            f"error: {what} {text!r} is a date that does not exist ({exc}); check the day and month"
        ) from None


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")


def suggest_source_id(
    pkg: Package, publisher_id: str, kind: str, first: datetime.date, precision: str
) -> str:
    """web_<publisher>_<date> (or <publisher>_<date> for an archived text), as the existing
    ids read; a letter is added when that id is taken."""
    short = publisher_id.removeprefix("org_").replace("_", "")
    stamp = {"day": "%Y_%m_%d", "month": "%Y_%m", "year": "%Y"}[precision]
    base = f"{'web_' if kind == 'web_page' else ''}{short}_{first.strftime(stamp)}"
    taken = pkg.ids("sources", "source_id")
    candidate, letter = base, ord("b")
    while candidate in taken:
        candidate, letter = f"{base}_{chr(letter)}", letter + 1
    return candidate


def _next_numbered(taken: dict[str, int], prefix: str, width: int) -> str:
    numbers = [int(m[1]) for key in taken if (m := re.fullmatch(rf"{re.escape(prefix)}(\d+)", key))]
    return f"{prefix}{max(numbers, default=0) + 1:0{width}d}"


# ----------------------------------------------------------------------------- source add


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def source_add(args: argparse.Namespace) -> int:
    data_dir = Path(args.data_dir)
    pkg = Package.read(data_dir)
    if not args.url and not args.file:
        raise IntakeError("error: give --url URL (a web page) or --file PATH (an archived text)")
    kind = "archived_article" if args.file else "web_page"
    orgs = pkg.ids("organisations", "org_id")
    # the publisher
    if args.new_publisher:
        if args.publisher:
            raise IntakeError("error: give either --publisher ORG_ID or --new-publisher NAME")
        org_id = args.publisher_id or f"org_{_slug(args.new_publisher)}"
        if org_id in orgs:
            raise IntakeError(
                f"error: organisation {org_id!r} already exists (organisations.csv line "
                f"{orgs[org_id]}); use --publisher {org_id}"
            )
        kinds = pkg.fields("organisations")["org_kind"]["constraints"]["enum"]
        if args.publisher_kind not in kinds:
            raise IntakeError(
                f"error: --publisher-kind {args.publisher_kind!r} is not allowed; one of: {', '.join(kinds)}"
            )
        pkg.add(
            "organisations",
            {
                "org_id": org_id,
                "name": args.new_publisher,
                "org_kind": args.publisher_kind,
                "country": args.publisher_country or "",
                "description": args.publisher_description
                or f"Publisher of {args.url or 'an archived text'}.",
            },
            "--new-publisher",
        )
    elif args.publisher:
        org_id = args.publisher
        if org_id not in orgs:
            raise IntakeError(
                f"error: unknown publisher {org_id!r}{_close(org_id, orgs)}: give an org_id of "
                "organisations.csv, or --new-publisher NAME --publisher-kind KIND to add it"
            )
    else:
        raise IntakeError("error: give --publisher ORG_ID, or --new-publisher NAME for a new one")
    # the publication date: one partial date, or a range
    if args.published and (args.published_earliest or args.published_latest):
        raise IntakeError("error: give --published, or --published-earliest/--published-latest")
    last: datetime.date | None
    if args.published:
        first, last, precision = parse_partial_date(args.published, "--published")
    elif args.published_earliest:
        first, _, precision = parse_partial_date(args.published_earliest, "--published-earliest")
        last = (
            parse_partial_date(args.published_latest, "--published-latest")[1]
            if args.published_latest
            else None
        )
        if last is not None and last < first:
            raise IntakeError(
                f"error: --published-latest {args.published_latest} is before --published-earliest "
                f"{args.published_earliest}"
            )
        precision = "day" if last == first else "range"
    else:
        raise IntakeError(
            "error: give --published YYYY-MM-DD (or YYYY-MM, YYYY), or --published-earliest and "
            "--published-latest for a page that is not dated"
        )
    if not args.date_basis:
        raise IntakeError(
            "error: give --date-basis: how the date was established (e.g. 'date in the URL', "
            "'undated; it reports a verdict of 2025-02')"
        )
    # the id
    source_id = args.id or suggest_source_id(
        pkg, org_id, kind, first, precision if precision in ("day", "month", "year") else "day"
    )
    sources = pkg.ids("sources", "source_id")
    if source_id in sources:
        raise IntakeError(
            f"error: source id {source_id!r} already exists (sources.csv line {sources[source_id]}); "
            "choose another --id: nothing is overwritten"
        )
    new_files: dict[str, Path] = {}
    archived_path = sha = size = ""
    if args.file:
        src = Path(args.file)
        if not src.is_file():
            raise IntakeError(f"error: --file {src}: no such file")
        rel = f"{ARCHIVE_DIR}/{source_id}{src.suffix or '.txt'}"
        if _inside(src, data_dir) and src.resolve() != (data_dir / rel).resolve():
            raise IntakeError(
                f"error: --file {src} is already inside {data_dir}; give the original capture, "
                "which is copied to data/sources/"
            )
        if (data_dir / rel).exists():
            raise IntakeError(f"error: {data_dir / rel} already exists; nothing is overwritten")
        raw = src.read_bytes()
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise IntakeError(
                f"error: --file {src} is not UTF-8 text (byte {exc.start}); save the capture as UTF-8"
            ) from None
        archived_path, sha, size = rel, hashlib.sha256(raw).hexdigest(), str(len(raw))
        new_files[rel] = src
    grade = args.grade.upper()
    if grade not in "ABCDEF" or len(grade) != 1:
        raise IntakeError(f"error: --grade {args.grade!r}: write one Admiralty grade, A to F")
    if not args.grade_rationale:
        raise IntakeError("error: give --grade-rationale: why this source gets this grade")
    licence = args.licence or ("not stated (paraphrased, not quoted)" if kind == "web_page" else "")
    if not licence:
        raise IntakeError(
            "error: give --licence for an archived text (e.g. 'CC BY 3.0', 'not stated')"
        )
    row = {
        "source_id": source_id,
        "source_kind": kind,
        "title": args.title,
        "publisher_org_id": org_id,
        "url": args.url or "",
        "published_earliest": first.isoformat(),
        "published_latest": last.isoformat() if last else "",
        "publication_date_note": args.date_basis,
        "language": args.language,
        "licence": licence,
        "reliability_grade": grade,
        "reliability_rationale": args.grade_rationale,
        "archived_path": archived_path,
        "sha256": sha,
        "archived_bytes": size,
        "capture_note": args.capture_note or "",
    }
    pkg.add("sources", row, "source add")
    _validated_then_written(pkg, new_files)
    card = data_dir / CARDS_DIR / f"{source_id}.yaml"
    print(
        f"registered source {source_id} ({kind}, published {row['published_earliest']}"
        f"{'' if row['published_latest'] == row['published_earliest'] else ' to ' + (row['published_latest'] or 'unknown')})"
    )
    if archived_path:
        print(f"  archived as data/{archived_path} ({size} bytes, sha256 {sha[:12]}…)")
    if not card.exists():
        card.parent.mkdir(parents=True, exist_ok=True)
        card.write_text(card_skeleton(pkg, source_id, kind), encoding="utf-8")
        print(f"  card to fill in: {card}")
    print(f"next: write the claims in {card}, then run: ca-brief card apply {card}")
    return EXIT_OK


def card_skeleton(pkg: Package, source_id: str, kind: str) -> str:
    """A card with the source filled in and, as comments, every section's columns."""
    lines = [
        f"# Card for source {source_id}: the claims it makes and the records they support.",
        "# Each section appends rows to the table of the same name; an entry's keys are that",
        "# table's columns (see data/README.md). Ids of claims, discrepancies and identity links",
        "# are given the next free number when left out; every other record needs its own id,",
        "# which the claims refer to. Apply with: ca-brief card apply THIS_FILE",
    ]
    if kind == "web_page":
        lines.append("# This source is a web page: paraphrase in 'statement', leave 'quote' out.")
    lines += ["", f"source_id: {source_id}", ""]
    for section in SECTIONS:
        if not pkg.has(section):
            continue
        spec = pkg.fields(section)
        required = [
            n
            + (
                " (left out: the next free id)"
                if section in GENERATED_IDS and n == SECTIONS[section]
                else ""
            )
            for n, f in spec.items()
            if f.get("constraints", {}).get("required")
        ]
        optional = [n for n in spec if n not in required and n != "source_id"]
        extras = list(CARD_EXTRAS.get(section, {}))
        lines.append(f"# {section}:")
        lines.append(f"#   - required: {', '.join(n for n in required if n != 'source_id')}")
        lines.append(f"#     optional: {', '.join(optional + extras)}")
    lines.append("")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- card apply


def _cell(value: Any, spec: dict[str, Any]) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list) and is_list(spec):
        return spec.get("delimiter", ",").join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value).strip()


def _entries(card: dict[str, Any], section: str, name: str) -> Iterator[tuple[int, dict[str, Any]]]:
    items = card.get(section) or []
    if not isinstance(items, list):
        raise IntakeError(
            f"{name}: section '{section}' must be a list of entries (each starting with '- ')"
        )
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise IntakeError(f"{name}: {section}[{i}] must be a mapping of column: value")
        yield i, item


def load_card(path: Path, data_dir: Path) -> dict[str, Any]:
    import yaml

    class TextLoader(yaml.SafeLoader):
        """YAML without implicit dates: a date stays the text written, so a date that does
        not exist is reported by validation like any other bad cell, not as a YAML crash."""

    TextLoader.yaml_implicit_resolvers = {
        key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    if not path.is_file():
        raise IntakeError(f"error: card {path}: no such file")
    if not _inside(path, data_dir):
        raise IntakeError(
            f"error: card {path} is outside the data folder {data_dir}: move it to "
            f"{data_dir / CARDS_DIR}/ so the entry is kept, and reviewed, with the data it changes"
        )
    try:
        card = yaml.load(path.read_text(encoding="utf-8"), Loader=TextLoader)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" line {where.line + 1}" if where is not None else ""
        raise IntakeError(f"{path}:{line} not valid YAML: {getattr(exc, 'problem', exc)}") from None
    except UnicodeDecodeError:
        raise IntakeError(f"{path}: not UTF-8 text") from None
    if not isinstance(card, dict):
        raise IntakeError(
            f"{path}: a card is a mapping with 'source_id:' and sections such as 'claims:'"
        )
    return card


def build_rows(pkg: Package, card: dict[str, Any], name: str) -> int:
    """Append the card's rows to pkg (in memory); refuse unknown fields, ids that exist, a
    card entered twice. Returns the number of rows added."""
    problems: list[str] = []
    unknown = [k for k in card if k != "source_id" and k not in SECTIONS]
    for key in unknown:
        problems.append(
            f"{name}: unknown section {key!r}{_close(key, SECTIONS)}; allowed: source_id, {', '.join(SECTIONS)}"
        )
    source_id = card.get("source_id")
    sources = pkg.ids("sources", "source_id")
    if not source_id:
        problems.append(
            f"{name}: 'source_id:' is missing; register the source first with 'ca-brief source add'"
        )
    elif str(source_id) not in sources:
        problems.append(
            f"{name}: source_id {source_id!r} is not in sources.csv{_close(str(source_id), sources)}; "
            "register it first with 'ca-brief source add'"
        )
    if problems:
        raise IntakeError(problems)
    source_id = str(source_id)
    existing_statements = {(r["source_id"], r["statement"]) for r in pkg.rows["claims"]}
    before = sum(len(v) for v in pkg.added.values())
    for section, id_col in SECTIONS.items():
        if not pkg.has(section):
            if card.get(section):
                problems.append(
                    f"{name}: section {section!r}: the table is not in datapackage.json"
                )
            continue
        spec = pkg.fields(section)
        extras = CARD_EXTRAS.get(section, {})
        for i, entry in _entries(card, section, name):
            label = f"{name}: {section}[{i}]"
            for key in entry:
                if key not in spec and key not in extras:
                    allowed = [k for k in spec if not (section == "claims" and k == "source_id")]
                    problems.append(
                        f"{label}: unknown field {key!r}{_close(key, list(spec) + list(extras))}; "
                        f"allowed: {', '.join(allowed + list(extras))}"
                    )
            row = {col: _cell(entry.get(col), spec[col]) for col in spec if col in entry}
            if section == "claims":
                given = row.get("source_id") or source_id
                if given != source_id:
                    problems.append(
                        f"{label}: source_id {given!r} differs from the card's {source_id!r}; "
                        "a card holds one source's claims"
                    )
                row["source_id"] = source_id
                if (source_id, row.get("statement", "")) in existing_statements:
                    problems.append(
                        f"{label}: this statement is already in claims.csv for {source_id}; "
                        "was the card applied before?"
                    )
            taken = pkg.ids(section, id_col)
            if row.get(id_col):
                if row[id_col] in taken:
                    problems.append(
                        f"{label}: {id_col} {row[id_col]!r} already exists in {section}.csv "
                        f"(line {taken[row[id_col]]}); choose another id, or refer to the existing one"
                    )
            elif section in GENERATED_IDS:
                prefix = {"claims": "cl", "discrepancies": "disc", "person_identity_links": "idl"}[
                    section
                ]
                row[id_col] = (
                    _next_numbered(taken, f"{prefix}_{source_id}_", 2)
                    if section != "person_identity_links"
                    else _next_numbered(taken, "idl_", 3)
                )
            else:
                problems.append(
                    f"{label}: {id_col} is required: give a stable id (e.g. "
                    f"{id_col.split('_')[0][:3]}_...) that claims can refer to"
                )
                continue
            if section == "discrepancies":
                if "status" in spec and not row.get("status"):
                    row["status"] = "open"  # a new disagreement is open unless the card says
                own = re.fullmatch(r"claims\[(\d+)\]", row.get("resolved_by_claim_id", ""))
                if own and int(own[1]) < len(pkg.card_claims):
                    row["resolved_by_claim_id"] = pkg.card_claims[int(own[1])]
            pkg.add(section, row, f"{label} ({id_col} {row[id_col]})")
            if section == "claims":
                pkg.card_claims.append(row[id_col])
            problems += _extra_rows(pkg, section, row, entry, label)
    if problems:
        raise IntakeError(problems)
    return sum(len(v) for v in pkg.added.values()) - before


def _extra_rows(
    pkg: Package, section: str, row: dict[str, str], entry: dict[str, Any], label: str
) -> list[str]:
    problems: list[str] = []
    origin = f"{label} ({SECTIONS[section]} {row[SECTIONS[section]]})"
    if section == "claims":
        tactics = entry.get("tactics") or []
        if not isinstance(tactics, list):
            return [f"{label}: 'tactics' must be a list of tactic ids"]
        for tactic in tactics:
            taken = pkg.ids("tactic_evidence", "evidence_id")
            pkg.add(
                "tactic_evidence",
                {
                    "evidence_id": _next_numbered(taken, "tev_", 3),
                    "tactic_id": str(tactic),
                    "claim_id": row["claim_id"],
                    "person_id": row.get("person_id", ""),
                    "event_id": row.get("event_id", ""),
                },
                f"{origin} tactics",
            )
        versions = entry.get("discrepancies") or {}
        if not isinstance(versions, dict):
            return [f"{label}: 'discrepancies' must map a discrepancy id to this claim's version"]
        for disc, version in versions.items():
            pkg.add(
                "discrepancy_claims",
                {"discrepancy_id": str(disc), "claim_id": row["claim_id"], "version": str(version)},
                f"{origin} discrepancies",
            )
        problems += _resolutions(pkg, row, entry.get("resolves"), label, origin)
    elif section == "discrepancies":
        versions = entry.get("versions") or {}
        if not isinstance(versions, dict):
            return [f"{label}: 'versions' must map a claim id to the version it gives"]
        for claim, version in versions.items():
            own = re.fullmatch(r"claims\[(\d+)\]", str(claim))
            if own and int(own[1]) < len(pkg.card_claims):
                claim = pkg.card_claims[int(own[1])]
            pkg.add(
                "discrepancy_claims",
                {
                    "discrepancy_id": row["discrepancy_id"],
                    "claim_id": str(claim),
                    "version": str(version),
                },
                f"{origin} versions",
            )
    elif section == "person_identity_links":
        claims = entry.get("claims") or []
        if not isinstance(claims, list):
            return [f"{label}: 'claims' must be a list of claim ids"]
        for claim in claims:
            own = re.fullmatch(r"claims\[(\d+)\]", str(claim))  # one of this card's claims
            if own:
                if int(own[1]) >= len(pkg.card_claims):
                    problems.append(f"{label}: {claim} is not a claim of this card")
                    continue
                claim = pkg.card_claims[int(own[1])]
            pkg.add(
                "person_identity_link_claims",
                {"link_id": row["link_id"], "claim_id": str(claim)},
                f"{origin} claims",
            )
    return problems


def _resolutions(
    pkg: Package, claim: dict[str, str], resolves: Any, label: str, origin: str
) -> list[str]:
    """Mark the discrepancies a claim settles as resolved by it: on the date given, or else on
    its source's publication date (the latest possible one, when the date is uncertain)."""
    if resolves is None:
        return []
    if isinstance(resolves, list):
        resolves = dict.fromkeys(resolves)
    if not isinstance(resolves, dict):
        return [f"{label}: 'resolves' must list the discrepancy ids this claim settles"]
    if not pkg.has("discrepancies") or "status" not in pkg.fields("discrepancies"):
        return [f"{label}: 'resolves': discrepancies.csv has no status column to record it"]
    sources = {r["source_id"]: r for r in pkg.rows["sources"] + pkg.added.get("sources", [])}
    source = sources.get(claim.get("source_id", ""), {})
    published = source.get("published_latest") or source.get("published_earliest") or ""
    index = {r["discrepancy_id"]: i for i, r in enumerate(pkg.rows["discrepancies"])}
    problems = []
    for disc, on in resolves.items():
        disc = str(disc)
        if disc not in index:
            problems.append(
                f"{label}: 'resolves': discrepancy {disc!r} is not in discrepancies.csv"
                f"{_close(disc, index)}; give the id of an existing discrepancy"
            )
            continue
        row = pkg.rows["discrepancies"][index[disc]]
        if row.get("status") == "resolved":
            problems.append(
                f"{label}: 'resolves': {disc} is already resolved by claim "
                f"{row.get('resolved_by_claim_id')} on {row.get('resolved_on')}; leave it out, "
                "or change that row by hand if this claim settles it instead"
            )
            continue
        pkg.update(
            "discrepancies",
            index[disc],
            {
                "status": "resolved",
                "resolved_on": str(on) if on is not None else published,
                "resolved_by_claim_id": claim["claim_id"],
            },
            f"{origin} resolves {disc}",
        )
    return problems


def card_apply(args: argparse.Namespace) -> int:
    data_dir = Path(args.data_dir)
    path = Path(args.card)
    card = load_card(path, data_dir)
    pkg = Package.read(data_dir)
    n = build_rows(pkg, card, str(path))
    if args.dry_run:
        _validated_then_written(pkg, write=False)
        print(f"{path}: valid; {n} row(s) would be added (dry run: nothing written)")
        return EXIT_OK
    _validated_then_written(pkg)
    counts = ", ".join(f"{len(rows)} {table}" for table, rows in pkg.added.items() if rows)
    resolved = [
        pkg.rows["discrepancies"][i]["discrepancy_id"] for i in pkg.updated.get("discrepancies", {})
    ]
    print(
        f"{path}: applied; added {counts}"
        + (f"; marked resolved: {', '.join(resolved)}" if resolved else "")
    )
    return EXIT_OK


# ----------------------------------------------------------------------------- quote find

_TYPOGRAPHY = {
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u00b4`", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
    "\u2026": "...",
    "\u00ad": "",  # soft hyphen
}


def normalise_typography(text: str) -> tuple[str, list[int]]:
    """Text with curly quotes straightened, dashes made hyphens, every run of whitespace
    (non-breaking spaces included) one space; and for each character of the result, the
    offset in the original it came from."""
    out: list[str] = []
    where: list[int] = []
    in_space = True  # drops leading whitespace
    for i, ch in enumerate(text):
        if ch.isspace() or ch in "\u200b\ufeff":
            if not in_space:
                out.append(" ")
                where.append(i)
            in_space = True
            continue
        in_space = False
        for rep in _TYPOGRAPHY.get(ch, ch):
            out.append(rep)
            where.append(i)
    if out and out[-1] == " ":
        out.pop()
        where.pop()
    return "".join(out), where


@dataclass(frozen=True)
class QuoteMatch:
    found: bool
    line: int
    passage: str  # verbatim from the file
    similarity: float
    differences: list[str]


def find_quote(text: str, quote: str) -> QuoteMatch:
    """Where quote occurs in text, typography-normalised; else the closest passage."""
    norm_text, where = normalise_typography(text)
    norm_quote, _ = normalise_typography(quote)
    if not norm_quote:
        raise IntakeError("error: the quote is empty")

    def verbatim(start: int, end: int) -> tuple[str, int]:
        a, b = where[start], where[end - 1] + 1
        return text[a:b], text.count("\n", 0, a) + 1

    at = norm_text.find(norm_quote)
    if at >= 0:
        passage, line = verbatim(at, at + len(norm_quote))
        return QuoteMatch(True, line, passage, 1.0, [])
    # closest passage: windows of the quote's length starting at each word, best ratio, then
    # its ends adjusted word by word
    n = len(norm_quote)
    starts = [0] + [m.end() for m in re.finditer(" ", norm_text)]
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(norm_quote)
    best = (0.0, 0, min(n, len(norm_text)))
    for s in starts:
        matcher.set_seq1(norm_text[s : s + n])
        if matcher.real_quick_ratio() <= best[0] or matcher.quick_ratio() <= best[0]:
            continue
        r = matcher.ratio()
        if r > best[0]:
            best = (r, s, min(s + n, len(norm_text)))
    ratio, s, e = best
    # then both ends moved word by word around the best window
    bounds = [0, *starts[1:], len(norm_text) + 1]
    near_starts = [b for b in bounds if abs(b - s) <= n // 2 + 10 and b < len(norm_text)]
    near_ends = [b - 1 for b in bounds[1:] if abs(b - 1 - e) <= n // 2 + 10]
    for cs in near_starts:
        for ce in near_ends:
            if ce <= cs:
                continue
            matcher.set_seq1(norm_text[cs:ce])
            if matcher.quick_ratio() <= ratio:
                continue
            r = matcher.ratio()
            if r > ratio:
                ratio, s, e = r, cs, ce
    found = norm_text[s:e]
    diffs = []
    yours_words, theirs_words = norm_quote.split(" "), found.split(" ")
    ops = difflib.SequenceMatcher(None, yours_words, theirs_words, autojunk=False).get_opcodes()
    for op, a1, a2, b1, b2 in ops:
        yours, theirs = " ".join(yours_words[a1:a2]), " ".join(theirs_words[b1:b2])
        if op == "replace":
            diffs.append(f"you wrote {yours!r} where the source has {theirs!r}")
        elif op == "delete":
            diffs.append(f"you wrote {yours!r}, which the source does not have")
        elif op == "insert":
            diffs.append(f"the source has {theirs!r} here, which you left out")
    passage, line = verbatim(s, e)
    return QuoteMatch(False, line, passage, ratio, diffs)


def quote_find(args: argparse.Namespace) -> int:
    data_dir = Path(args.data_dir)
    pkg = Package.read(data_dir)
    sources = {r["source_id"]: r for r in pkg.rows["sources"]}
    sid = args.source_id
    if sid not in sources:
        raise IntakeError(
            f"error: unknown source {sid!r}{_close(sid, sources)}: give a source_id of sources.csv"
        )
    src = sources[sid]
    if src["source_kind"] != "archived_article" or not src.get("archived_path"):
        raise IntakeError(
            f"error: source {sid!r} is a {src['source_kind'].replace('_', ' ')} that is not archived: "
            "its claims are paraphrased, never quoted"
        )
    path = data_dir / src["archived_path"]
    if not _inside(path, data_dir):
        raise IntakeError(f"error: {src['archived_path']} is outside the data folder {data_dir}")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise IntakeError(f"error: cannot read {path}: {exc.strerror}", EXIT_FAILED) from None
    match = find_quote(text, args.text)
    rel = src["archived_path"]
    if match.found:
        print(f"found in {rel} at line {match.line}; as the source writes it:")
        print(match.passage)
        return EXIT_OK
    print(f"not found in {rel}; closest passage, line {match.line} ({match.similarity:.0%} alike):")
    print(match.passage)
    for d in match.differences[:12]:
        print(f"  - {d}")
    if len(match.differences) > 12:
        print(f"  … and {len(match.differences) - 12} more differences")
    return EXIT_FAILED


# ----------------------------------------------------------------------------- commands


def _run(func: Any) -> Any:
    def wrapped(args: argparse.Namespace) -> int:
        try:
            return int(func(args))
        except IntakeError as exc:
            for line in exc.lines:
                print(line, file=sys.stderr)
            if len(exc.lines) > 1 or not exc.lines[0].startswith("error:"):
                print(f"refused: {len(exc.lines)} problem(s); nothing was written", file=sys.stderr)
            return exc.code
        except OSError as exc:
            print(f"error: {exc}; nothing was written", file=sys.stderr)
            return EXIT_FAILED

    return wrapped


def _command(
    subparsers: Any, group: str, group_help: str, name: str, help: str, description: str = ""
) -> argparse.ArgumentParser:
    """`ca-brief GROUP NAME`: the parser of one subcommand, with the --data-dir every one takes."""
    parent = subparsers.add_parser(group, help=group_help)
    sub = parent.add_subparsers(dest=f"{group}_command", required=True)
    p: argparse.ArgumentParser = sub.add_parser(name, help=help, description=description or None)
    p.add_argument(
        "--data-dir",
        dest="data_dir",
        default=str(DEFAULT_DATA_DIR),
        help="data package folder (default: the repository's data/)",
    )
    return p


def add_commands(subparsers: Any) -> None:
    """`source add`, `card apply`, `quote find`, `package refresh`, under the given argparse
    subparsers."""
    a = _command(
        subparsers,
        "source",
        "register a source (source add)",
        "add",
        "register a web page (--url) or an archived text (--file, copied to data/sources/)",
        "Register a source in sources.csv and write a card for its claims to data/cards/.",
    )
    a.add_argument("--url", help="address of the page (a web page is cited, never archived)")
    a.add_argument("--file", help="local capture to archive under data/sources/ (UTF-8 text)")
    a.add_argument("--title", required=True, help="title as published")
    a.add_argument("--publisher", help="org_id of an existing organisation")
    a.add_argument(
        "--new-publisher", dest="new_publisher", metavar="NAME", help="add the publisher"
    )
    a.add_argument(
        "--publisher-id", dest="publisher_id", help="id for the new publisher (default org_<name>)"
    )
    a.add_argument(
        "--publisher-kind",
        dest="publisher_kind",
        default="media_outlet",
        help="org_kind (default media_outlet)",
    )
    a.add_argument("--publisher-country", dest="publisher_country", help="ISO 3166-1 alpha-2")
    a.add_argument("--publisher-description", dest="publisher_description")
    a.add_argument(
        "--published", metavar="DATE", help="publication date: YYYY-MM-DD, YYYY-MM or YYYY"
    )
    a.add_argument("--published-earliest", dest="published_earliest", metavar="DATE")
    a.add_argument("--published-latest", dest="published_latest", metavar="DATE")
    a.add_argument("--date-basis", dest="date_basis", help="how the date was established")
    a.add_argument("--language", default="en", help="BCP 47 tag (default en)")
    a.add_argument(
        "--licence", help="licence or terms (default for a web page: not stated, paraphrased)"
    )
    a.add_argument("--grade", required=True, help="Admiralty source reliability, A to F")
    a.add_argument("--grade-rationale", dest="grade_rationale", required=False)
    a.add_argument("--capture-note", dest="capture_note")
    a.add_argument("--id", help="source id (default: suggested from publisher and date)")
    a.set_defaults(func=_run(source_add))
    ap = _command(
        subparsers,
        "card",
        "apply a YAML card of claims and records (card apply)",
        "apply",
        "append a card's rows to the tables, all or nothing",
        "Append the rows a card describes; validate the result first; write nothing if invalid.",
    )
    ap.add_argument("card", help="the card (a YAML file under data/cards/)")
    ap.add_argument("--dry-run", dest="dry_run", action="store_true", help="check only")
    ap.set_defaults(func=_run(card_apply))
    f = _command(
        subparsers,
        "quote",
        "find a quote in an archived text (quote find)",
        "find",
        "locate a quote (curly quotes, dashes and spaces normalised), or the closest passage",
    )
    f.add_argument("source_id")
    f.add_argument("text")
    f.set_defaults(func=_run(quote_find))
    r = _command(
        subparsers,
        "package",
        "keep datapackage.json's sizes and hashes current (package refresh)",
        "refresh",
        "record every file's size and hash, list the archived texts, update the package's sources",
        "Bring datapackage.json's derived parts up to date with the files: each resource's bytes "
        "and hash, a resource per archived text, the package's sources and each list field's "
        "pattern. `source add` and `card apply` run it after writing; after editing a CSV by "
        "hand, run it before `ca-brief validate`.",
    )
    r.set_defaults(func=_run(package_refresh))
