"""The add-a-source workflow on a copy of the data: source add, card apply, quote find."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from ca_combatants import dataset
from ca_combatants.cli import main

from .conftest import read_rows

CARD = """\
source_id: {source_id}

persons:
  - {{person_id: per_test_recruit, label: Test recruit from Osh, is_named: false, is_public_figure: false,
     is_combatant: true, country_of_origin: KG, citizenships: [KG], side: russia, side_basis: stated,
     status: fighting, age_years: 27}}

figures:
  - {{figure_id: fig_test_recruits, figure_category: combatants, measure: Recruits counted by the test page,
     country_scope: [KG], side: russia, value_low: 12, qualifier: at_least, value_text: at least 12,
     unit: persons, as_of_date: 2025-11-30, as_of_precision: on_or_before}}

discrepancies:
  - discrepancy_id: disc_test_count
    discrepancy_kind: different_measures
    subject: Test count against the seed count
    summary: The test page counts at least 12; Global Voices around 35 dead.
    resolution_note: Different measures; never summed.
    versions:
      cl_gv_deaths_35: "Global Voices: around 35"

claims:
  - topic: scope
    statement: The test page counts at least 12 Kyrgyz recruits.
    information_credibility: 3
    figure_id: fig_test_recruits
    discrepancies: {{disc_test_count: "Test page: at least 12"}}
  - topic: recruitment
    statement: A 27-year-old from Osh signed a contract after seeing an advertisement.
    information_credibility: 3
    person_id: per_test_recruit
    tactics: [tac_pay]
  - topic: sides
    statement: He is fighting for Russia.
    information_credibility: 3
    person_id: per_test_recruit
"""


def _add_web_source(data: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> int:
    return main(
        [
            "source",
            "add",
            "--data-dir",
            str(data),
            "--url",
            "https://example.org/2025/12/01/test",
            "--title",
            "A test page",
            "--new-publisher",
            "Example News",
            "--published",
            "2025-12-01",
            "--date-basis",
            "date in the URL",
            "--grade",
            "C",
            "--grade-rationale",
            "a test page",
            *extra,
        ]
    )


def test_the_whole_path_web_page_three_claims_person_figure_discrepancy(
    data_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = dataset.check(data_copy).counts()
    assert _add_web_source(data_copy, capsys) == 0
    out = capsys.readouterr().out
    source_id = "web_examplenews_2025_12_01"  # suggested from the publisher and the date
    assert f"registered source {source_id}" in out
    card = data_copy / "cards" / f"{source_id}.yaml"
    assert card.read_text(encoding="utf-8").count(f"source_id: {source_id}") == 1  # scaffolded
    card.write_text(CARD.format(source_id=source_id), encoding="utf-8")
    assert main(["card", "apply", str(card), "--data-dir", str(data_copy)]) == 0
    result = dataset.check(data_copy)
    assert result.ok, result.problems[:5]
    after = result.counts()
    assert after["sources"] == before["sources"] + 1
    assert after["organisations"] == before["organisations"] + 1
    assert after["claims"] == before["claims"] + 3
    assert after["persons"] == before["persons"] + 1
    assert after["figures"] == before["figures"] + 1
    assert after["discrepancies"] == before["discrepancies"] + 1
    assert after["discrepancy_claims"] == before["discrepancy_claims"] + 2
    assert after["tactic_evidence"] == before["tactic_evidence"] + 1
    _, claims = read_rows(data_copy / "claims.csv")
    new = [c for c in claims if c["source_id"] == source_id]
    assert [c["claim_id"] for c in new] == [f"cl_{source_id}_{n:02d}" for n in (1, 2, 3)]
    assert all(c["quote"] == "" for c in new)  # a web page is paraphrased
    # applying the same card again is refused, and writes nothing
    snapshot = (data_copy / "claims.csv").read_bytes()
    assert main(["card", "apply", str(card), "--data-dir", str(data_copy)]) == 2
    err = capsys.readouterr().err
    assert "person_id 'per_test_recruit' already exists in persons.csv" in err
    assert (data_copy / "claims.csv").read_bytes() == snapshot


def test_an_archived_file_is_copied_with_its_hash_and_size(
    data_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capture = tmp_path / "capture.txt"
    capture.write_text("A court in Bishkek sentenced him to “ten years”\u00a0for mercenarism.\n")
    code = main(
        [
            "source", "add", "--data-dir", str(data_copy), "--file", str(capture),
            "--title", "Capture", "--publisher", "org_rferl", "--published", "2023-05",
            "--date-basis", "month in the capture", "--licence", "not stated",
            "--grade", "B", "--grade-rationale", "test",
        ]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    _, sources = read_rows(data_copy / "sources.csv")
    row = next(s for s in sources if s["source_id"] == "rferl_2023_05")
    raw = capture.read_bytes()
    assert row["archived_path"] == "sources/rferl_2023_05.txt"
    assert row["sha256"] == hashlib.sha256(raw).hexdigest()
    assert row["archived_bytes"] == str(len(raw))
    assert (row["published_earliest"], row["published_latest"]) == ("2023-05-01", "2023-05-31")
    assert (data_copy / row["archived_path"]).read_bytes() == raw
    capsys.readouterr()
    # a quote typed with straight quotes and a plain space is found, as the source writes it
    assert (
        main(
            [
                "quote",
                "find",
                "rferl_2023_05",
                'him to "ten years" for',
                "--data-dir",
                str(data_copy),
            ]
        )
        == 0
    )
    assert "him to “ten years”\u00a0for" in capsys.readouterr().out
    # a quote that is not there: the closest passage and the difference, exit 1
    assert (
        main(
            [
                "quote",
                "find",
                "rferl_2023_05",
                "sentenced him to nine years",
                "--data-dir",
                str(data_copy),
            ]
        )
        == 1
    )
    out = capsys.readouterr().out
    assert "closest passage" in out and "you wrote 'nine' where the source has '\"ten'" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--publisher", "org_nope"], "unknown publisher 'org_nope'"),
        (["--published", "2023-02-30"], "'2023-02-30' is a date that does not exist"),
        (["--id", "gv_2023_03_23"], "source id 'gv_2023_03_23' already exists"),
    ],
)
def test_bad_source_is_refused_in_one_line_and_nothing_written(
    data_copy: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    before = (data_copy / "sources.csv").read_bytes()
    base = [
        "source", "add", "--data-dir", str(data_copy), "--url", "https://example.org/x",
        "--title", "t", "--date-basis", "b", "--grade", "B", "--grade-rationale", "r",
    ]  # fmt: skip
    if "--publisher" not in args:
        base += ["--publisher", "org_rferl"]
    if "--published" not in args:
        base += ["--published", "2023-02-27"]
    assert main(base + args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]
    assert (data_copy / "sources.csv").read_bytes() == before


def _card(data: Path, text: str) -> Path:
    path = data / "cards" / "test.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_card_with_an_unknown_field_is_refused(
    data_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    card = _card(
        data_copy,
        "source_id: gv_2023_03_23\nclaims:\n  - {topic: scope, statment: x, information_credibility: 2}\n",
    )
    before = (data_copy / "claims.csv").read_bytes()
    assert main(["card", "apply", str(card), "--data-dir", str(data_copy)]) == 2
    err = capsys.readouterr().err
    assert "claims[0]: unknown field 'statment' (did you mean 'statement'?)" in err
    assert (data_copy / "claims.csv").read_bytes() == before


def test_a_quote_not_in_its_source_names_the_card_entry(
    data_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    card = _card(
        data_copy,
        "source_id: gv_2023_03_23\nclaims:\n"
        "  - {topic: scope, statement: x, quote: 'Central Asians are fighting in large numbers', information_credibility: 2}\n"
        "  - {topic: scope, statement: y, quote: ok, information_credibility: 2, statement_date: 2023-02-30, statement_date_precision: day}\n",
    )
    before = (data_copy / "claims.csv").read_bytes()
    assert main(["card", "apply", str(card), "--data-dir", str(data_copy)]) == 2
    err = capsys.readouterr().err
    assert "claims[0] (claim_id cl_gv_2023_03_23_01): column 'quote': does not occur in" in err
    assert (
        "claims[1] (claim_id cl_gv_2023_03_23_02): column 'statement_date': not a valid date: '2023-02-30'"
        in err
    )
    assert (data_copy / "claims.csv").read_bytes() == before  # nothing half-written


def test_a_card_outside_the_data_folder_is_refused(
    data_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = tmp_path / "card.yaml"
    outside.write_text("source_id: gv_2023_03_23\n", encoding="utf-8")
    assert main(["card", "apply", str(outside), "--data-dir", str(data_copy)]) == 2
    assert "is outside the data folder" in capsys.readouterr().err


def test_quote_find_refuses_a_web_page(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["quote", "find", "web_zamin_2025_07", "66 Uzbeks"]) == 2
    assert "paraphrased, never quoted" in capsys.readouterr().err


def test_the_committed_cards_are_all_in_the_data() -> None:
    """Every card under data/cards/ has been applied: its claims are in claims.csv."""
    from ca_combatants.paths import DEFAULT_DATA_DIR

    _, claims = read_rows(DEFAULT_DATA_DIR / "claims.csv")
    statements = {(c["source_id"], c["statement"]) for c in claims}
    import yaml

    cards = sorted((DEFAULT_DATA_DIR / "cards").glob("*.yaml"))
    assert len(cards) >= 14
    for path in cards:
        card = yaml.safe_load(path.read_text(encoding="utf-8"))
        for claim in card.get("claims") or []:
            assert (card["source_id"], str(claim["statement"])) in statements, path.name


@pytest.mark.slow
def test_a_source_added_by_the_workflow_appears_in_the_rendered_brief(
    data_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _add_web_source(data_copy, capsys) == 0
    source_id = "web_examplenews_2025_12_01"
    card = data_copy / "cards" / f"{source_id}.yaml"
    card.write_text(CARD.format(source_id=source_id), encoding="utf-8")
    assert main(["card", "apply", str(card), "--data-dir", str(data_copy)]) == 0
    out = tmp_path / "out"
    code = main(
        ["render", "--data-dir", str(data_copy), "--output-dir", str(out), "--name", "added"]
    )
    assert code == 0, capsys.readouterr().err
    html = (out / "added.html").read_text(encoding="utf-8")
    assert "A test page" in html and "Example News" in html  # the new source and publisher
    assert "Test recruit from Osh: from Kyrgyzstan" in html  # the new person's case file


RESOLVING_CARD = """\
source_id: {source_id}

claims:
  - topic: sides
    statement: A test statement that settles where the student was taken from.
    information_credibility: 3
    person_id: per_margulan_bekenov
    resolves: [disc_bekenov_abduction_place]
"""


def test_a_card_claim_resolves_an_existing_discrepancy(
    data_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _add_web_source(data_copy, capsys) == 0
    source_id = "web_examplenews_2025_12_01"
    card = data_copy / "cards" / f"{source_id}.yaml"
    card.write_text(RESOLVING_CARD.format(source_id=source_id), encoding="utf-8")
    capsys.readouterr()
    assert main(["card", "apply", str(card), "--data-dir", str(data_copy)]) == 0
    assert "marked resolved: disc_bekenov_abduction_place" in capsys.readouterr().out
    assert dataset.check(data_copy).ok
    header, rows = read_rows(data_copy / "discrepancies.csv")
    assert header[-3:] == ["status", "resolved_on", "resolved_by_claim_id"]
    settled = next(r for r in rows if r["discrepancy_id"] == "disc_bekenov_abduction_place")
    # on the source's publication date, by the card's claim; every other row stays open
    assert (settled["status"], settled["resolved_on"], settled["resolved_by_claim_id"]) == (
        "resolved",
        "2025-12-01",
        f"cl_{source_id}_01",
    )
    assert {r["status"] for r in rows if r is not settled} == {"open"}
    # the header stays quoted, as the other tables' are
    first = (data_copy / "discrepancies.csv").read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith('"discrepancy_id","discrepancy_kind"')


@pytest.mark.parametrize(
    ("resolves", "message"),
    [
        (
            "[disc_bekenov_abduction_plaec]",
            "'resolves': discrepancy 'disc_bekenov_abduction_plaec' is not in discrepancies.csv"
            " (did you mean 'disc_bekenov_abduction_place'?); give the id of an existing "
            "discrepancy",
        ),
        (
            "{disc_bekenov_abduction_place: 2025-11-01}",
            "resolves disc_bekenov_abduction_place: column 'resolved_on': 2025-11-01 is before "
            "source web_examplenews_2025_12_01 of claim cl_web_examplenews_2025_12_01_01 was "
            "published (2025-12-01) (expected a date on or after 2025-12-01) [discrepancies.csv]",
        ),
    ],
    ids=["unknown id", "date before the source"],
)
def test_a_bad_resolution_is_refused_naming_the_card_entry_and_nothing_is_written(
    data_copy: Path, capsys: pytest.CaptureFixture[str], resolves: str, message: str
) -> None:
    assert _add_web_source(data_copy, capsys) == 0
    source_id = "web_examplenews_2025_12_01"
    card = data_copy / "cards" / f"{source_id}.yaml"
    text = RESOLVING_CARD.format(source_id=source_id)
    card.write_text(text.replace("[disc_bekenov_abduction_place]", resolves), encoding="utf-8")
    snapshot = (data_copy / "discrepancies.csv").read_bytes()
    capsys.readouterr()
    assert main(["card", "apply", str(card), "--data-dir", str(data_copy)]) == 2
    err = capsys.readouterr().err
    assert f"{card}: claims[0]" in err and message in err, err
    assert (data_copy / "discrepancies.csv").read_bytes() == snapshot
