"""The annexes as a specialist reads them: identity links told as possibilities in the case
files, the timeline in the chronology, each register sentence told once, and references whose
dates read as an editor writes them."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import pytest

from ca_combatants.brief import Brief
from ca_combatants.dataset import Dataset, load
from ca_combatants.params import parse_params
from ca_combatants.paths import DEFAULT_DATA_DIR
from ca_combatants.sections.references import published


@cache
def dataset() -> Dataset:
    return load(DEFAULT_DATA_DIR)


@cache
def brief(redact: bool = False) -> Brief:
    return Brief(parse_params({"redact_private_persons": redact}), dataset())


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)).replace("&#39;", "'")


def case_files(html: str) -> dict[str, str]:
    """Each case file's heading -> its text."""
    found = re.findall(
        r'<article class="case" id="[^"]+">\s*<h3>(.*?)</h3>(.*?)</article>', html, re.S
    )
    return {text(h).strip(): text(body) for h, body in found}


def identity_lines(body: str) -> list[str]:
    return re.findall(r"(?:We infer that|[^.]*may be the same person as)[^[]*", body)


def test_each_identity_link_is_told_once_as_a_possibility_in_each_linked_case_file() -> None:
    files = case_files(brief().render_section("case_files"))
    ermekov = files["Erlan Ermekov"]
    assert "Erlan Ermekov may be the same person as the 30-year-old Kyrgyz prisoner" in ermekov
    assert "same age (30), same term (nine years)" in ermekov
    assert "Confidence moderate; the records are kept apart. Counted apart." in ermekov
    prisoner = files["30-year-old Kyrgyz prisoner recruited by Wagner"]
    assert "may be the same person as Erlan Ermekov (confidence moderate; the basis is" in prisoner
    assert "same age (30)" not in prisoner  # told once, in the first file
    askar = files["Askar Kubanychbek uulu"]
    assert (
        "We infer that Askar Kubanychbek uulu is the same case as the unnamed 32-year-old" in askar
    )
    assert "Confidence high; the records are kept apart. Counted as one individual." in askar
    # two records of fighters' relatives: under the file of the fighter they speak of
    bekenov = files["Margulan Bekenov"]
    assert (
        "Margulan Bekenov's uncle, unnamed by Orda, may be the same person as Magzhan Kakharmanov"
        in bekenov
    )
    # never merged: each record keeps its own file
    assert "Unnamed 32-year-old Kyrgyz man jailed in Bishkek for mercenarism (AFP)" in files


def test_an_identity_link_cites_its_claims_and_links_the_other_file() -> None:
    html = brief().render_section("case_files")
    line = re.search(r'<p class="identity">Erlan Ermekov may be.*?</p>', html)
    assert line
    other = re.search(r'href="#(case-\d+)">the 30-year-old', line[0])
    assert other and f'id="{other[1]}"' in html
    assert 'class="cite"' in line[0]


def test_a_redacted_brief_recovers_no_private_name_through_an_identity_link() -> None:
    b = brief(redact=True)
    html = b.render_section("case_files")
    lines = re.findall(r'<p class="identity">.*?</p>', html)
    assert len(lines) == 5, lines  # the links are there, under codes
    names = b.scope.private_name_strings()
    assert "Magzhan Kakharmanov" in names and "Erlan Ermekov" in names
    for name in names:
        for line in lines:
            assert not re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text(line)), (name, line)


def test_a_link_waits_until_both_records_are_published() -> None:
    early = Brief(parse_params({"as_of": "2023-04-01"}), dataset())
    html = early.render_section("case_files")
    # Jamestown named Askar Kubanychbek uulu in August 2023: no link before that
    assert "Askar Kubanychbek uulu" not in text(html)
    assert "same case as" not in text(html)


def test_the_timeline_sits_in_the_chronology_numbered_in_reading_order() -> None:
    b = brief()
    html = "".join(b.render_section(s) for s in b.section_names)
    numbers = [int(n) for n in re.findall(r'<figure class="chart" id="figure-(\d+)"', html)]
    assert numbers == list(range(1, len(numbers) + 1)) and numbers
    chronology = b.render_section("case_files").split("<h3>Chronology</h3>", 1)[1]
    assert re.search(r'<figure class="chart" id="figure-\d+"', chronology)
    assert chronology.index("<figure") < chronology.index("<table")


def test_the_chronology_lists_every_dated_event_in_scope() -> None:
    b = brief()
    rows = b.analysis("case_files").chronology  # type: ignore[attr-defined]
    assert len(rows) == len(b.scope.events) and b.analysis("case_files").chronology_omitted == 0  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("earliest", "latest", "expected"),
    [
        ("2024-12-21", None, "on or after 21 December 2024"),
        (None, "2024-12-21", "on or before 21 December 2024"),
        ("2023-03-23", "2023-03-23", "23 March 2023"),
        ("2022-09-21", "2022-09-22", "between 21 and 22 September 2022"),
        ("2023-02-06", "2023-03-31", "between 6 February and 31 March 2023"),
        ("2024-12-30", "2025-01-02", "between 30 December 2024 and 2 January 2025"),
        (None, None, "undated"),
    ],
)
def test_a_publication_date_reads_as_an_editor_writes_it(
    earliest: Any, latest: Any, expected: str
) -> None:
    assert published(earliest, latest) == expected


def test_every_reference_entry_reads_as_sentences() -> None:
    html = brief().render_section("references")
    entries = [text(e) for e in re.findall(r"<li [^>]*>(.*?)</li>", html, re.S)]
    assert entries
    for entry in entries:
        assert "undated" not in entry.replace("Undated.", ""), entry
        assert ". Published " in entry or ". Undated." in entry, entry
        assert not re.search(r"\.\s*published|between [^.]* and undated|\?\.|\.\.", entry), entry
    assert any("Published on or after 21 December 2024." in e for e in entries)


def test_the_source_list_gives_open_ended_dates_in_words() -> None:
    rows = brief().analysis("sources_and_discrepancies").sources  # type: ignore[attr-defined]
    dates = {r.source_id: r.date for r in rows}
    assert dates["web_fergana_138097"] == "on or after 21 December 2024"
    assert not any("undated" in d and d != "undated" for d in dates.values())


def test_a_register_sentence_is_told_once_and_pointed_to_after() -> None:
    html = brief().render_section("sources_and_discrepancies")
    said = text(html)
    sentence = (
        "Global Voices: his father confirmed he is fighting in the ranks of the Russian army."
    )
    assert said.count(sentence) == 1
    pointer = re.search(
        r'Global Voices: as under <a href="#(discrepancy-\d+)">“What Baurzhan', html
    )
    assert pointer and f'id="{pointer[1]}"' in html
    # no sentence of eight or more words in the analysts' summaries and notes is told twice
    prose = re.findall(r"Analysts' (?:summary|note)\.</span>(.*?)</p>", html, re.S)
    sentences = [
        s.strip()
        for p in prose
        for s in re.split(r"(?<=[.!?])\s+(?=[A-Z“(])", re.sub(r"\[\d+\]", "", text(p)))
        if len(s.split()) >= 8
    ]
    assert len(sentences) == len(set(sentences))


def test_discrepancy_anchors_hold_no_name_in_a_redacted_brief() -> None:
    b = brief(redact=True)
    html = b.render_section("sources_and_discrepancies")
    anchors = re.findall(r'id="(discrepancy-[^"]+)"', html)
    assert anchors and all(re.fullmatch(r"discrepancy-\d+", a) for a in anchors)
