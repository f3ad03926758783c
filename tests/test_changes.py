"""`changes_since`: what sources published after a date added to the brief, in its own section."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ca_combatants.brief import Brief
from ca_combatants.changes import changes
from ca_combatants.intake import refresh_package
from ca_combatants.params import parse_params
from ca_combatants.sections import SECTION_TITLES

from .conftest import read_rows, write_rows

CLI = str(Path(sys.executable).parent / "ca-brief")
TITLE = SECTION_TITLES["changes_since"]


def brief(**values: object) -> Brief:
    return Brief(parse_params(dict(values)))


def section(b: Brief) -> str:
    b.section("key_judgments")  # as the notebook runs it: after the key judgments
    return b.section("changes_since").html


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.fixture(scope="module")
def april() -> Brief:
    return brief(changes_since="2023-04-01")


def test_the_section_appears_only_when_changes_since_is_set(april: Brief) -> None:
    plain = brief()
    assert plain.section("changes_since").html == ""
    assert "changes_since" not in [s.name for s in plain.sections()]
    names = [s.name for s in april.sections()]
    assert names.index("changes_since") == names.index("key_judgments") + 1
    html = section(april)
    assert f"<h2>{TITLE}</h2>" in html  # unnumbered: the numbered sections keep their numbers
    assert "<h2>2. Scope and numbers</h2>" in april.section("scope_and_numbers").html


def test_what_sources_after_1_april_2023_added(april: Brief) -> None:
    found = changes(april.scope, dt.date(2023, 4, 1))
    names = {p.name for p in found.people}
    assert {"Margulan Bekenov", "Ayan Alisherov", "O.R.", "Sh.K."} <= names
    assert "Baurzhan Urazov" not in names  # Global Voices named him on 23 March 2023
    assert "case_kz_knb_10" in {c.case_id for c in found.cases}
    counts = {c.measure: c for c in found.counts}
    bbc = counts["Central Asian citizens killed fighting for Russia (Wagner and other units)"]
    assert (bbc.counted_by, bbc.before, bbc.now) == (
        "BBC Russian Service",
        None,
        "at least 93, as of 14 June 2023",
    )
    assert counts["Citizens or natives of Kazakhstan killed fighting for Russia"].now == (
        "nearly 200, by 25 December 2025"
    )
    subjects = {d.subject for d in found.discrepancies}
    assert "Whether Margulan Bekenov was abducted or volunteered" in subjects
    assert "Service term previously required for Russian citizenship" not in subjects  # older
    assert [j.number for j in found.judgments] == list(range(1, 9))  # all assessed 30 Dec 2025
    # every row rests on claims, and a new item on claims of the window's sources
    window = set(found.source_ids)
    for row in (*found.people, *found.cases):
        assert row.claim_ids
        assert {str(april.scope.lookups.claim(c)["source_id"]) for c in row.claim_ids} <= window
    assert {"web_24kg_271805", "web_icrc_ihl_uz", "web_ulysmedia_13629"} == set(found.uncertain_ids)


def test_the_section_cites_each_row_and_reads_as_an_editor_writes(april: Brief) -> None:
    html = section(april)
    words = text(html)
    assert "This brief draws on 16 sources published after 1 April 2023" in words
    assert "They name 15 combatants not recorded before" in words
    assert "Three of these sources carry no exact date and may be older." in words
    assert "Every key judgment in section 1 was assessed after that date." in words
    assert "Seven more are not listed here; see the case files" in words  # eight of 15 listed
    assert re.search(r"Four more are not listed here (<a class=\"cite\"[^>]*>\[\d+\]</a>)+\.", html)
    for row in re.findall(r"<tr><td.*?</tr>", html):
        assert 'class="cite"' in row, row
    assert '<a href="#case-9">Margulan Bekenov</a>' in html
    assert "New counts after 1 April 2023" in words and "no earlier count" not in words
    assert "No disagreement in the register was marked resolved in this period." in words
    assert "what Baurzhan Urazov is doing" in words and "The register holds 14 more [" in words


def _with_a_resolution(data_dir: Path, disc: str, on: str, claim: str) -> None:
    """The copy's register marks one discrepancy resolved (a test's edit, not a fact)."""
    path = data_dir / "discrepancies.csv"
    header, rows = read_rows(path)
    row = next(r for r in rows if r["discrepancy_id"] == disc)
    row.update(status="resolved", resolved_on=on, resolved_by_claim_id=claim)
    write_rows(path, header, rows)
    refresh_package(data_dir)


def test_a_discrepancy_resolved_in_the_window_is_reported_with_its_source(
    data_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ca_combatants.cli import main

    claim = "cl_web_rferl_2023_04_bekenov_02"
    _with_a_resolution(data_copy, "disc_bekenov_abduction_place", "2025-12-30", claim)
    assert main(["validate", str(data_copy)]) == 0, capsys.readouterr().out

    def window(**values: object) -> tuple[Any, str]:
        b = brief(data_dir=str(data_copy), **values)
        since = dt.date.fromisoformat(str(values["changes_since"]))
        return changes(b.scope, since), text(section(b))

    found, words = window(changes_since="2023-07-01")
    assert [(d.discrepancy_id, d.resolved_on, d.claim_ids) for d in found.resolved] == [
        ("disc_bekenov_abduction_place", "30 December 2025", (claim,))
    ]
    assert found.resolved[0].resolved_by == "Radio Free Europe/Radio Liberty"
    # opened before the window: it is not new, only resolved
    assert "disc_bekenov_abduction_place" not in {d.discrepancy_id for d in found.discrepancies}
    assert "and settle one earlier disagreement." in words
    assert re.search(
        r"marks this disagreement resolved after 1 July 2023: where Margulan Bekenov was taken "
        r"from, on 30 December 2025, by a report of Radio Free Europe/Radio Liberty \[\d+\] \.",
        words,
    ), words
    # a brief dated before the resolution, or a window after it, does not report it
    before, words = window(changes_since="2023-07-01", as_of="2025-12-29")
    assert before.resolved == ()
    assert "No disagreement in the register was marked resolved in this period." in words
    after, _ = window(changes_since="2025-12-30")
    assert after.resolved == ()
    # and the real register marks none resolved
    assert changes(brief(changes_since="2023-07-01").scope, dt.date(2023, 7, 1)).resolved == ()


def test_a_count_that_moved_gives_old_and_new_value_and_who_counted() -> None:
    b = brief(changes_since="2023-07-01")
    counts = {c.measure: c for c in changes(b.scope, dt.date(2023, 7, 1)).counts}
    tj = counts["Tajikistan nationals among named Russian military dead"]
    assert (tj.counted_by, tj.before, tj.now) == (
        "BBC Russian Service",
        "at least 40, as of 14 June 2023",
        "72, in July 2025",
    )
    assert tj.claim_ids == ("cl_web_zamin_2025_tj", "cl_web_asiaplus_bbc_tj")  # new, then old
    # the part counted apart is not taken for the whole
    prison = counts["Tajikistan nationals among named Russian military dead recruited in prison"]
    assert prison.before is None
    words = text(section(b))
    assert "at least 40, as of 14 June 2023" in words and "no earlier count" in words
    assert "bring four new counts, update two earlier counts and open four disagreements" in words


def test_as_of_and_changes_since_give_what_was_learned_between_two_dates() -> None:
    b = brief(as_of="2023-06-30", changes_since="2023-04-01")
    found = changes(b.scope, dt.date(2023, 4, 1))
    measures = {c.measure for c in found.counts}
    assert "Central Asian citizens killed fighting for Russia (Wagner and other units)" in measures
    assert "Citizens or natives of Kazakhstan killed fighting for Russia" not in measures
    assert "O.R." not in {p.name for p in found.people}
    assert "Margulan Bekenov" in {p.name for p in found.people}
    assert "published after 1 April 2023 and by 30 June 2023" in text(section(b))


def test_a_date_after_the_newest_source_says_plainly_that_nothing_changed() -> None:
    html = section(brief(changes_since="2026-01-15"))
    paragraphs = re.findall(r"<p[ >].*?</p>", html, re.S)
    assert [text(p) for p in paragraphs] == [
        "No source published after 15 January 2026 adds anything to this brief."
    ]
    assert "<table" not in html


def test_a_redacted_brief_names_no_private_person_in_the_section() -> None:
    b = brief(changes_since="2023-04-01", redact_private_persons=True)
    html = section(b)
    assert "<table" in html
    for name in b.scope.private_name_strings():
        assert name not in html, name


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as-of", "2023-05-01", "--changes-since", "2023-06-01"], "is after as_of 2023-05-01"),
        (["--changes-since", "2023-02-30"], "parameter 'changes_since': bad value '2023-02-30'"),
        (["--changes-since", "1990-12-31"], "outside 1991-01-01 to today"),
    ],
)
def test_a_bad_changes_since_is_refused_naming_the_parameter(args: list[str], message: str) -> None:
    proc = subprocess.run(
        [CLI, "render", *args, "--output-dir", "unused"], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert message in proc.stderr and "changes_since" in proc.stderr
    assert "allowed: a date YYYY-MM-DD from 1991-01-01 to as_of" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_render_with_changes_since_end_to_end(tmp_path: Path) -> None:
    proc = subprocess.run(
        [CLI, "render", "--changes-since", "2023-04-01", "--output-dir", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    html = (tmp_path / "brief.html").read_text(encoding="utf-8")
    order = [m for m in re.findall(r'data-section="(\w+)"', html)]
    assert order[1:4] == ["key_judgments", "changes_since", "scope_and_numbers"]
    assert f'href="#changes_since">{TITLE}</a>' in html  # in the contents, without a number
    assert "2. Scope and numbers" in html
    assert "Margulan Bekenov" in html.split('id="changes_since"')[1].split("</section>")[0]
    assert (tmp_path / "brief.pdf").stat().st_size > 0


@pytest.mark.slow
def test_a_batch_series_with_changes_since(tmp_path: Path) -> None:
    sets = tmp_path / "sets.yaml"
    sets.write_text(
        "- {name: may-2023, as_of: 2023-05-31, changes_since: 2023-04-30}\n", encoding="utf-8"
    )
    out = tmp_path / "out"
    proc = subprocess.run(
        [CLI, "batch", "--param-sets", str(sets), "--output-dir", str(out), "--quiet"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    html = (out / "may-2023.html").read_text(encoding="utf-8")
    part = text(html.split('id="changes_since"')[1].split("</section>")[0])
    assert "published after 30 April 2023 and by 31 May 2023" in part
    assert "Unnamed 32-year-old Kyrgyz man jailed in Bishkek" in part
    assert "Margulan Bekenov" not in part  # reported in April
