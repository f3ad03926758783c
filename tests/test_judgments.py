"""Key judgments held to ICD 203: each rule of the validator refuses a broken copy of the data
with a message naming file, row and column; a brief shows the judgments about its selection,
likelihood and confidence apart, with the date assessed and the newer sources counted."""

from __future__ import annotations

import csv
import re
from functools import cache
from html import unescape
from pathlib import Path

import pandas as pd
import pytest

from ca_combatants.brief import Brief
from ca_combatants.cli import EXIT_INPUT, main
from ca_combatants.dataset import Dataset, load
from ca_combatants.intake import refresh_package
from ca_combatants.judgment_rules import SCALE, rationale_sentences
from ca_combatants.params import parse_params
from ca_combatants.paths import DEFAULT_DATA_DIR
from ca_combatants.scope import format_date
from ca_combatants.sections.key_judgments import count_of, newer_note, sentence
from tests.conftest import physical_line

from .conftest import read_rows, write_rows


@cache
def dataset() -> Dataset:
    return load(DEFAULT_DATA_DIR)


def validate(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    """The exit code and every line validate printed, on either stream."""
    code = main(["validate", str(data_dir)])
    captured = capsys.readouterr()
    lines = (captured.out + captured.err).splitlines()
    return code, [line.removeprefix(f"{data_dir}/") for line in lines if line.strip()]


def judgment_rows() -> dict[str, dict[str, str]]:
    _, rows = read_rows(DEFAULT_DATA_DIR / "judgments.csv")
    return {r["judgment_id"]: r for r in rows}


def claims_of(judgment_id: str, source_ids: set[str] | None = None) -> list[str]:
    """The claims a judgment cites in the real data, or only those read in `source_ids`."""
    _, links = read_rows(DEFAULT_DATA_DIR / "judgment_claims.csv")
    _, claims = read_rows(DEFAULT_DATA_DIR / "claims.csv")
    source_of = {c["claim_id"]: c["source_id"] for c in claims}
    return [
        r["claim_id"]
        for r in links
        if r["judgment_id"] == judgment_id
        and (source_ids is None or source_of[r["claim_id"]] in source_ids)
    ]


def published_latest() -> dict[str, str]:
    """Each source's latest publication date, or its earliest where the latest is left open."""
    _, sources = read_rows(DEFAULT_DATA_DIR / "sources.csv")
    return {s["source_id"]: s["published_latest"] or s["published_earliest"] for s in sources}


def edit(data_dir: Path, table: str, key: str, **values: str) -> int:
    """Set cells of the row whose first column is `key`; return its line number."""
    path = data_dir / f"{table}.csv"
    header, rows = read_rows(path)
    for i, row in enumerate(rows):
        if row[header[0]] == key:
            row.update(values)
            write_rows(path, header, rows)
            return physical_line(path, i)
    raise KeyError(key)


def cite_only(data_dir: Path, judgment_id: str, claim_ids: list[str]) -> None:
    """Let the judgment cite only these claims, each in the sentences it cited before (a claim
    it did not cite goes with the first sentence)."""
    path = data_dir / "judgment_claims.csv"
    header, rows = read_rows(path)
    before = {r["claim_id"]: r["sentences"] for r in rows if r["judgment_id"] == judgment_id}
    rows = [r for r in rows if r["judgment_id"] != judgment_id]
    rows += [
        {"judgment_id": judgment_id, "claim_id": c, "sentences": before.get(c, "1")}
        for c in claim_ids
    ]
    write_rows(path, header, rows)


def test_the_real_judgments_pass(capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = validate(DEFAULT_DATA_DIR, capsys)
    assert code == 0, "\n".join(lines)
    assert any(line.split() == ["judgments", "8"] for line in lines)


# ----------------------------------------------------------------------------- the rules


def test_high_confidence_on_one_source_is_refused(
    data_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # kj_08 rests on Orda and RFE/RL; cited on Orda alone, it has one origin
    cite_only(data_copy, "kj_08", claims_of("kj_08", {"orda_2023_04"}))
    row = edit(data_copy, "judgments", "kj_08", confidence="high")
    code, lines = validate(data_copy, capsys)
    assert code == EXIT_INPUT
    assert (
        f"judgments.csv:{row}: column 'confidence': high confidence for 'kj_08', but its claims "
        "trace to one origin (org_orda); a relay counts with the outlet it relays (expected "
        "claims from at least two sources that do not relay one another, or confidence moderate "
        "or low)"
    ) in lines


def test_two_sources_relaying_one_outlet_count_as_one(
    data_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Asia-Plus and Zamin are two sources, but both relay BBC Russian's count."""
    cite_only(data_copy, "kj_01", ["cl_web_asiaplus_bbc_93", "cl_web_zamin_2025_tj"])
    row = edit(data_copy, "judgments", "kj_01", assessed_on="2025-07-31")
    code, lines = validate(data_copy, capsys)
    assert code == EXIT_INPUT
    assert any(
        line.startswith(f"judgments.csv:{row}: column 'confidence': high confidence for 'kj_01', ")
        and "one origin (org_bbc_russian)" in line
        for line in lines
    ), "\n".join(lines)


def test_a_claim_published_after_the_assessment_is_refused(
    data_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    row = edit(data_copy, "judgments", "kj_03", assessed_on="2023-06-30")
    code, lines = validate(data_copy, capsys)
    assert code == EXIT_INPUT
    assert (
        f"judgments.csv:{row}: column 'assessed_on': 'kj_03' cites "
        "'cl_web_zamin_2025_tj', 'cl_web_zamin_2025_tj_prison', 'cl_web_zamin_2025_uz', "
        "'cl_web_zamin_2025_uz_prison' "
        "from source 'web_zamin_2025_07', which may have been published as late as 2025-07-31, "
        "after the judgment was assessed on 2023-06-30 (expected claims from sources published "
        "on or before assessed_on, or a later assessed_on)"
    ) in lines
    # one line for each source of its claims that may have been published after that day
    later = {
        source
        for source, when in published_latest().items()
        if when > "2023-06-30" and set(claims_of("kj_03", {source}))
    }
    assert len([line for line in lines if "column 'assessed_on'" in line]) == len(later) > 1


def test_an_undated_source_is_refused_only_when_it_is_certainly_later(
    data_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The Fergana page on I.Zh. has an earliest date and no latest one: a judgment assessed
    before the earliest date is refused; one assessed on it is not."""
    _, rows = read_rows(data_copy / "sources.csv")
    (source,) = [r for r in rows if r["source_id"] == "web_fergana_138074"]
    assert source["published_latest"] == "" and source["published_earliest"]
    earliest = pd.Timestamp(source["published_earliest"])
    day_before = (earliest - pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    cite_only(data_copy, "kj_06", ["cl_web_fergana_138074_01"])
    # a rationale of one sentence, which names no source the one claim left does not hold
    one = "I.Zh. was sentenced to restricted liberty (UzNews, via Fergana)."
    row = edit(data_copy, "judgments", "kj_06", assessed_on=day_before, rationale=one)
    code, lines = validate(data_copy, capsys)
    assert code == EXIT_INPUT
    assert (
        f"judgments.csv:{row}: column 'assessed_on': 'kj_06' cites 'cl_web_fergana_138074_01' "
        f"from source 'web_fergana_138074', which was published no earlier than "
        f"{source['published_earliest']}, after the judgment was assessed on {day_before} "
        "(expected claims from sources published on or before assessed_on, or a later "
        "assessed_on)"
    ) in lines
    edit(data_copy, "judgments", "kj_06", assessed_on=source["published_earliest"])
    refresh_package(data_copy)  # tables changed by hand: their recorded sizes and hashes too
    code, lines = validate(data_copy, capsys)
    assert code == 0, "\n".join(lines)


def test_an_estimative_term_off_the_scale_is_refused(
    data_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    row = edit(data_copy, "judgments", "kj_02", estimative_term="probable")
    code, lines = validate(data_copy, capsys)
    assert code == EXIT_INPUT
    assert (
        f"judgments.csv:{row}: column 'estimative_term': value not allowed: 'probable' (expected "
        "one of: almost_no_chance, very_unlikely, unlikely, roughly_even_chance, likely, "
        "very_likely, almost_certain)"
    ) in lines


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "Whether Margulan Bekenov joined Wagner of his own free will cannot be settled",
            "'kj_08' asks a question ('Whether' …) instead of stating a proposition",
        ),
        (
            "Bekenov probably joined Wagner of his own accord",
            "'kj_08' holds the estimative words 'probably'",
        ),
    ],
)
def test_a_judgment_that_is_not_a_proposition_is_refused(
    data_copy: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    row = edit(data_copy, "judgments", "kj_08", judgment=text)
    code, lines = validate(data_copy, capsys)
    assert code == EXIT_INPUT
    assert (
        f"judgments.csv:{row}: column 'judgment': {message} (expected a proposition that can be "
        "true or false, its likelihood only in estimative_term)"
    ) in lines


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("sides", "russian", "each one of: russia, ukraine"),
        ("countries", "KZ;RU", "each one of: KG, KZ, TJ, TM, UZ"),
    ],
)
def test_a_scope_outside_the_lists_is_refused(
    data_copy: Path, capsys: pytest.CaptureFixture[str], column: str, value: str, expected: str
) -> None:
    row = edit(data_copy, "judgments", "kj_08", **{column: value})
    code, lines = validate(data_copy, capsys)
    assert code == EXIT_INPUT
    assert (
        f"judgments.csv:{row}: column '{column}': list holds a value outside the allowed set: "
        f"{value!r} (expected items separated by ';', {expected})"
    ) in lines


def test_a_missing_assessment_date_is_refused(
    data_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    row = edit(data_copy, "judgments", "kj_05", assessed_on="")
    code, lines = validate(data_copy, capsys)
    assert code == EXIT_INPUT
    assert (
        f"judgments.csv:{row}: column 'assessed_on': required value is missing (expected a value)"
        in lines
    )


# ----------------------------------------------------------------------------- in the brief


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def judgments_html(data: Dataset | None = None, **values: object) -> str:
    return Brief(parse_params(values), data or dataset()).render_section("key_judgments")


def test_a_kazakhstan_brief_leads_only_with_judgments_about_kazakhstan() -> None:
    text = text_of(judgments_html(countries=["KZ"]))
    assert "Tajik and Uzbek citizens killed" not in text  # kj_03 is about TJ and UZ
    assert "Margulan Bekenov joined Wagner of his own accord" in text
    everything = text_of(judgments_html())
    assert "Tajik and Uzbek citizens killed" in everything
    ukraine = text_of(judgments_html(side="ukraine"))
    assert "Bekenov" not in ukraine and "already in Ukraine before the invasion" in ukraine


def test_a_selection_no_judgment_meets_says_so_in_one_sentence() -> None:
    text = text_of(judgments_html(countries=["TM"], side="russia"))
    assert "No key judgment concerns nationals of Turkmenistan fighting for Russia." in text
    assert 'class="judgment"' not in judgments_html(countries=["TM"], side="russia")


def test_a_brief_as_of_an_earlier_date_withholds_later_judgments(data_copy: Path) -> None:
    rows = judgment_rows()
    first = min(r["assessed_on"] for r in rows.values())
    before = (pd.Timestamp(first) - pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    text = text_of(judgments_html(as_of=before))
    assert "No key judgment about nationals of" in text
    assert (
        f"had been assessed by {format_date(before)}; "
        f"{count_of(len(rows), 'judgment', 'judgments')} about it were assessed"
    ) in text
    # one judgment assessed early on the claims it then had: shown as of a date after that
    cite_only(data_copy, "kj_07", claims_of("kj_07", {"orda_2023_04", "gv_2023_03_23"}))
    edit(data_copy, "judgments", "kj_07", assessed_on="2023-04-30")
    text = text_of(judgments_html(load(data_copy), as_of="2024-01-31"))
    assert sentence(rows["kj_07"]["estimative_term"], rows["kj_07"]["judgment"]) in text
    later = count_of(len(rows) - 1, "judgment", "judgments")
    assert f"{later[0].upper()}{later[1:]} about this selection were assessed" in text


def test_likelihood_and_confidence_are_given_apart_with_the_date_assessed() -> None:
    text = text_of(judgments_html())
    for row in judgment_rows().values():
        words, likelihood_range = SCALE[row["estimative_term"]]
        assert sentence(row["estimative_term"], row["judgment"]) in text
        assert (
            f"Likelihood: {words} ({likelihood_range}). Confidence: {row['confidence']}. "
            f"Assessed on {format_date(row['assessed_on'])}."
        ) in text
    assert (
        "It is roughly as likely as not that Margulan Bekenov joined Wagner of his own accord."
        in text
    )
    assert "cannot be settled" not in text and "filmed in Wagner's custody" not in text
    assert "does not seem to be under duress" in text


def test_counts_of_newer_sources_agree_in_number() -> None:
    assert newer_note(0) == "No newer source in its scope."
    assert newer_note(1) == "One newer source in its scope. This judgment needs another look."
    assert newer_note(3) == "Three newer sources in its scope. This judgment needs another look."
    assert count_of(12, "source", "sources") == "12 sources"
    assert sentence("likely", "most fighters were in Ukraine.") == (
        "It is likely that most fighters were in Ukraine."
    )


def add_source(data_dir: Path, source_id: str, published: str, person_id: str) -> None:
    """A web page published later, with one claim about a person (a test fixture, not a fact)."""
    header, rows = read_rows(data_dir / "sources.csv")
    rows.append(
        {
            **{h: "" for h in header},
            "source_id": source_id,
            "source_kind": "web_page",
            "title": "A later report",
            "publisher_org_id": "org_orda",
            "url": f"https://example.org/{source_id}",
            "published_earliest": published,
            "published_latest": published,
            "language": "en",
            "licence": "test",
            "reliability_grade": "F",
            "reliability_rationale": "test fixture",
        }
    )
    write_rows(data_dir / "sources.csv", header, rows)
    header, rows = read_rows(data_dir / "claims.csv")
    rows.append(
        {
            **{h: "" for h in header},
            "claim_id": f"cl_{source_id}",
            "source_id": source_id,
            "topic": "sides",
            "statement": "A later report about the person.",
            "information_credibility": "6",
            "person_id": person_id,
        }
    )
    write_rows(data_dir / "claims.csv", header, rows)


def test_sources_in_scope_published_since_are_counted(data_copy: Path) -> None:
    """kj_08 (Kazakhstan, Russia's side): two sources about Bekenov published after it was
    assessed count; one about a Kyrgyz person does not."""
    assessed = pd.Timestamp(judgment_rows()["kj_08"]["assessed_on"])

    def after(days: int) -> str:
        return (assessed + pd.Timedelta(days=days)).strftime("%Y-%m-%d")

    add_source(data_copy, "web_later_1", after(10), "per_margulan_bekenov")
    add_source(data_copy, "web_later_2", after(30), "per_margulan_bekenov")
    add_source(data_copy, "web_later_tj", after(60), "per_ayan_alisherov")  # Kyrgyz, not KZ
    data = load(data_copy)
    items = {
        j.judgment_id: j for j in Brief(parse_params({}), data).analysis("key_judgments").items
    }
    assert items["kj_08"].n_newer_sources == 2
    assert items["kj_07"].n_newer_sources == 0  # Ukraine's side
    text = text_of(judgments_html(data))
    assert "Two newer sources in its scope. This judgment needs another look." in text
    # as of a date before the second source, only the first is known
    early = Brief(parse_params({"as_of": after(20)}), data).analysis("key_judgments")
    assert {j.judgment_id: j.n_newer_sources for j in early.items}["kj_08"] == 1


def test_every_judgment_cites_the_claims_its_rationale_rests_on() -> None:
    """Spot checks that the rationale adds no fact its claims lack."""
    with (DEFAULT_DATA_DIR / "judgment_claims.csv").open(encoding="utf-8") as fh:
        cited = {(r["judgment_id"], r["claim_id"]) for r in csv.DictReader(fh)}
    assert ("kj_02", "cl_web_asiaplus_2025_01_08_01") in cited  # the student's choice
    assert ("kj_05", "cl_web_tt_uz_154_1") in cited  # fine or correctional labour
    assert ("kj_08", "cl_or_bekenov_video") in cited  # "does not seem to be under duress"
    assert ("kj_07", "cl_gv_dyuisembin_joined") in cited
    with (DEFAULT_DATA_DIR / "judgments.csv").open(encoding="utf-8") as fh:
        text = " ".join(" ".join(r.values()) for r in csv.DictReader(fh))
    for overreach in (
        "written into law",
        "dozens of named cases",
        "largely through Wagner",
        "family or work ties",
        "independent pages",
        "filmed in Wagner's custody",
        "account to an Uzbek court",  # the source names no court and no place of detention
        "detention in Moscow",
        "Global Voices counted",  # it reports 'at least 10 confirmed cases', no counter named
        "of 2025 (Mediazona)",  # the nearly 200 Kazakh dead are a cumulative count
    ):
        assert overreach not in text


# ----------------------------------------------------------------------------- sentence by sentence


def test_a_rationale_is_split_into_its_sentences() -> None:
    assert rationale_sentences(
        "Kazakhstan's art. 172 sets 5 to 9 years (Orda). His uncle doubts a 'voluntary decision'. "
        "It rests on one report (Fergana, via Asia-Plus): a student. Confidence is low."
    ) == [
        "Kazakhstan's art. 172 sets 5 to 9 years (Orda).",
        "His uncle doubts a 'voluntary decision'.",
        "It rests on one report (Fergana, via Asia-Plus): a student.",
        "Confidence is low.",
    ]
    assert rationale_sentences("") == []


def test_each_sentence_of_a_rationale_carries_its_own_citation() -> None:
    """Judgment 1: Global Voices' two cases are cited after the first sentence, the counts of the
    dead after the second, the Turan battalion after the third, never pooled at the end."""
    html = judgments_html()
    rationale = html.split('id="judgment-kj_01"')[1].split('class="rationale">')[1]
    rationale = rationale.split("</span>")[0]
    pieces = [text_of(p).strip() for p in re.split(r'<a class="cite"[^>]*>\[\d+\]</a>', rationale)]
    pieces = [p for p in pieces if p]
    assert len(pieces) == 3
    assert pieces[0].endswith("where it confirms two (March 2023).")
    assert pieces[1].startswith("The counts on Russia's side") and "Zamin" in pieces[1]
    assert pieces[2].startswith("Ukraine's side has a Turkic-speaking battalion")
    a = Brief(parse_params({}), dataset()).analysis("key_judgments")
    kj_01 = next(j for j in a.items if j.judgment_id == "kj_01")  # type: ignore[attr-defined]
    assert [ids for _, ids in kj_01.sentences] == [
        ("cl_gv_more_on_russian_side", "cl_gv_two_ukraine_cases"),
        (
            "cl_web_asiaplus_bbc_93",
            "cl_web_zamin_2025_tj",
            "cl_web_zamin_2025_uz",
            "cl_web_mediazona_2025_12_30_04",
        ),
        ("cl_web_24kg_271805_01",),
    ]


def test_a_sentence_number_past_the_rationale_is_refused(
    data_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = data_copy / "judgment_claims.csv"
    header, rows = read_rows(path)
    i = next(i for i, r in enumerate(rows) if r["judgment_id"] == "kj_07")
    rows[i]["sentences"] = "2;9"
    write_rows(path, header, rows)
    n = len(rationale_sentences(judgment_rows()["kj_07"]["rationale"]))
    code, lines = validate(data_copy, capsys)
    assert code == EXIT_INPUT
    assert (
        f"judgment_claims.csv:{physical_line(path, i)}: column 'sentences': 'kj_07' cites "
        f"{rows[i]['claim_id']!r} in sentence 9, but its rationale has {n} sentences "
        f"(expected sentence numbers from 1 to {n}, separated by ';')"
    ) in lines


def test_a_sentence_that_names_a_source_but_cites_nothing_is_refused(
    data_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Judgment 7's third sentence names Global Voices; with its claims moved to the second
    sentence it cites nothing, and validate names the judgment, the sentence and the source."""
    path = data_copy / "judgment_claims.csv"
    header, rows = read_rows(path)
    for r in rows:
        if r["judgment_id"] == "kj_07" and r["sentences"] == "3":
            r["sentences"] = "2"
    write_rows(path, header, rows)
    row = edit(data_copy, "judgments", "kj_07")
    code, lines = validate(data_copy, capsys)
    assert code == EXIT_INPUT
    assert (
        f"judgments.csv:{row}: column 'rationale': sentence 3 of 'kj_07' names a source "
        "'(Global Voices)' but no claim in judgment_claims.csv cites it (expected a row in "
        "judgment_claims.csv for 'kj_07' whose sentences include 3)"
    ) in lines
