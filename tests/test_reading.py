"""A reader's check of the rendered brief: what a copy editor would strike on a first read.

Each check runs on the default brief and on three other selections (one country, Ukraine's
side, a redacted brief as of 2023-04-01), rendered in-process section by section."""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from html.parser import HTMLParser
from typing import Any, ClassVar

import pytest

from ca_combatants.brief import Brief
from ca_combatants.dataset import Dataset, load
from ca_combatants.params import parse_params
from ca_combatants.paths import DEFAULT_DATA_DIR
from ca_combatants.sections import SECTION_ORDER

SELECTIONS = {
    "default": {},
    "KZ": {"countries": ["KZ"]},
    "ukraine": {"side": "ukraine"},
    "redacted-2023-04-01": {"redact_private_persons": True, "as_of": "2023-04-01"},
    "changes-since-2023-04-01": {"changes_since": "2023-04-01"},
}
# sections whose lines are the method's own description, not facts about the war
NOT_FACTUAL = {"cover", "methodology", "references"}


@cache
def dataset() -> Dataset:
    return load(DEFAULT_DATA_DIR)


@cache
def rendered(selection: str) -> dict[str, str]:
    brief = Brief(parse_params(SELECTIONS[selection]), dataset())
    return {s.name: s.html for s in brief.sections()}


class Blocks(HTMLParser):
    """Text blocks (p, li, headings, captions) with whether they sit in a table, a quotation or
    the discrepancy register, and whether they carry a citation."""

    BLOCK: ClassVar[set[str]] = {
        "p",
        "li",
        "h1",
        "h2",
        "h3",
        "h4",
        "figcaption",
        "dd",
        "dt",
        "caption",
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[dict[str, Any]] = []
        self.stack: list[dict[str, Any]] = []
        self.depth = Counter[str]()
        self.div_register: list[bool] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("q", "blockquote", "table", "svg", "style"):
            self.depth[tag] += 1
        if tag == "div":
            register = "discrepancy" in (a.get("class") or "")
            self.div_register.append(register)
            if register:
                self.depth["register"] += 1
        if tag == "a" and "cite" in (a.get("class") or ""):
            for b in self.stack:
                b["cites"] = True
        if tag in self.BLOCK:
            self.stack.append(
                {
                    "tag": tag,
                    "text": [],
                    "cites": False,
                    "in_table": self.depth["table"] > 0 or tag == "caption",
                    "in_register": self.depth["register"] > 0,
                    "quoted": [],
                    "has_child": False,
                    "empty": "empty" in (a.get("class") or ""),
                }
            )

    def handle_endtag(self, tag: str) -> None:
        if tag in ("q", "blockquote", "table", "svg", "style"):
            self.depth[tag] -= 1
        if tag == "div" and self.div_register and self.div_register.pop():
            self.depth["register"] -= 1
        if self.stack and self.stack[-1]["tag"] == tag:
            b = self.stack.pop()
            b["text"] = " ".join("".join(b["text"]).split())
            b["unquoted"] = " ".join("".join(b["quoted"]).split())
            if b["text"]:
                self.blocks.append(b)
            if self.stack:
                self.stack[-1]["text"].append(f" {b['text']} ")
                self.stack[-1]["quoted"].append(f" {b['unquoted']} ")
                self.stack[-1]["cites"] |= b["cites"]
                self.stack[-1]["has_child"] = True

    def handle_data(self, data: str) -> None:
        if self.depth["svg"] or self.depth["style"] or not self.stack:
            return
        self.stack[-1]["text"].append(data)
        if not (self.depth["q"] or self.depth["blockquote"]):
            self.stack[-1]["quoted"].append(data)


def blocks(html: str) -> list[dict[str, Any]]:
    parser = Blocks()
    parser.feed(html)
    return parser.blocks


def sentences(text: str) -> list[str]:
    """Sentences of eight or more words, citation marks and attributions in brackets dropped."""
    text = re.sub(r"\s*\[\d+\]", "", text)
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z\"“(])", text)
    return [
        p.strip().lower()
        for p in parts
        if len(p.split()) >= 8 and not (p.startswith("(") and p.rstrip(". ").endswith(")"))
    ]


def prose(selection: str) -> list[tuple[str, dict[str, Any]]]:
    """Innermost text blocks outside tables, with their section."""
    out = []
    for section, html in rendered(selection).items():
        for b in blocks(html):
            if not b["in_table"] and b["tag"] not in ("h1", "h2", "h3", "h4"):
                out.append((section, b))
    return out


@pytest.mark.parametrize("selection", SELECTIONS)
def test_no_sentence_is_told_twice(selection: str) -> None:
    seen: dict[str, list[str]] = {}
    for section, b in prose(selection):
        if b["in_register"] or b["has_child"]:  # a list's text is counted in its items
            continue
        for s in sentences(b["unquoted"]):
            seen.setdefault(s, []).append(section)
    assert {s: where for s, where in seen.items() if len(where) > 1} == {}


ECHO = re.compile(
    r"\b((?:\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|"
    r"thirty|forty|fifty|hundred|thousand|million)(?:\s+(?:million|thousand|percent|people))?)"
    r"\s*\((\d[\d,.]*)\)",
    re.IGNORECASE,
)


@pytest.mark.parametrize("selection", SELECTIONS)
def test_no_number_is_echoed_in_brackets(selection: str) -> None:
    text = " ".join(b["text"] for _, b in prose(selection))
    assert ECHO.findall(text) == []
    assert "as of by" not in text and "as of around" not in text


FACTUAL = re.compile(r"\b(1[89]\d\d|20\d\d)\b|\b\d[\d,.]*\b")


def uncited(selection: str, section: str) -> list[str]:
    found = []
    for b in blocks(rendered(selection).get(section, "")):  # absent here: nothing to check
        # a statement that the sources hold nothing ("No prosecution … was reported by …") has
        # no source to cite
        if b["tag"] not in ("p", "li") or b["in_table"] or b["cites"] or b["empty"]:
            continue
        if FACTUAL.search(b["text"]) and len(b["text"].split()) >= 6:
            found.append(b["text"])
    return found


FACT_SECTIONS = [s for s in SECTION_ORDER if s not in NOT_FACTUAL]


@pytest.mark.parametrize("selection", SELECTIONS)
@pytest.mark.parametrize("section", FACT_SECTIONS)
def test_every_line_that_states_a_number_or_year_cites_its_source(
    selection: str, section: str
) -> None:
    assert uncited(selection, section) == []


COUNTED = (
    "individual|case|count|state|channel|source|report|event|statement|claim|profile|"
    "discrepancy|discrepancie|figure|measure|article|web page|person|judgment|row"
)
SINGULAR_AS_PLURAL = re.compile(rf"\b(1|one) (?:\w+ )?({COUNTED})s\b", re.IGNORECASE)
ONE_OF_ONE = re.compile(r"\b(1|one) of the (1|one)\b", re.IGNORECASE)
PLURAL_AS_SINGULAR = re.compile(
    rf"\b([2-9]|[1-9]\d+|two|three|four|five|six|seven|eight|nine) (?:\w+ )?({COUNTED})\b(?!s)",
    re.IGNORECASE,
)
ZERO_DIGIT = re.compile(rf"\b0 (?:\w+ )?({COUNTED})", re.IGNORECASE)


@pytest.mark.parametrize("selection", SELECTIONS)
def test_counts_agree_with_their_nouns(selection: str) -> None:
    faults = []
    for _, b in prose(selection):
        if b["has_child"]:
            continue
        text = re.sub(r"\s*\[\d+\]", "", b["unquoted"])
        faults += [m.group(0) for m in SINGULAR_AS_PLURAL.finditer(text)]
        faults += [m.group(0) for m in ONE_OF_ONE.finditer(text)]
        faults += [m.group(0) for m in ZERO_DIGIT.finditer(text)]
        faults += [m.group(0) for m in PLURAL_AS_SINGULAR.finditer(text)]
    assert faults == []


def test_the_checks_catch_what_they_are_for() -> None:
    """Each check fails on a sentence a copy editor would strike."""
    html = (
        '<section data-section="x"><p>The sources give ten (10) counts of the dead.</p>'
        "<p>In 2023 the KNB opened 10 criminal cases on the war.</p>"
        "<p>It names 1 of the 1 selected state and one cases.</p>"
        '<p>Repeated sentence of more than eight words here. <a class="cite">[1]</a></p>'
        '<ul><li>Repeated sentence of more than eight words here. <a class="cite">[2]</a></li></ul>'
        "</section>"
    )
    found = blocks(html)
    text = " ".join(b["text"] for b in found)
    assert ECHO.search(text)
    assert SINGULAR_AS_PLURAL.search(text) and ONE_OF_ONE.search(text)
    assert [b for b in found if not b["cites"] and FACTUAL.search(b["text"])]
    said = [s for b in found if not b["has_child"] for s in sentences(b["unquoted"])]
    assert Counter(said).most_common(1)[0][1] == 2


def test_the_brief_tells_the_seed_facts_it_used_to_leave_out() -> None:
    """Facts the data holds that a reader of the two articles would miss if the brief left them out."""
    text = re.sub(r"<[^>]+>", "", "\n".join(rendered("default").values()))
    for fact in (
        "comparable number",  # Krasov
        "hundreds of thousands",  # citizenship each year
        "Similar cases were reported in Kazakhstan, Kyrgyzstan and Uzbekistan",
        "50 such people",
        "no official Uzbek confirmation",
        "children of Tajik migrants",
        "five Kazakh regions",
        "early March 2022",
        "early September",
        "reportedly in Molkino",
        "Arab and African countries",  # Wagner's deployments
    ):
        assert fact in text, fact


def test_counts_of_other_populations_are_kept_out_of_the_table_of_central_asian_dead() -> None:
    html = rendered("default")["scope_and_numbers"]
    table = html.split("Counts of Central Asian dead")[1].split("</table>")[0]
    assert "118,139" not in table and "thousands" not in table
    assert "118,139" in html and "not counts of Central Asians" in html


def test_ukraine_side_says_how_the_fighters_came() -> None:
    html = rendered("ukraine")["two_sides"]
    assert "not stated by the sources" not in html
    assert "migrant worker" in html


def test_a_quote_in_a_fighters_mouth_is_his_own_words() -> None:
    """The journalist's narration ('One of them claimed …') is never quoted as the fighter's."""
    html = rendered("default")["two_sides"]
    quoted = re.findall(r"<q>([^<]+)</q>", html)
    assert quoted and all(not q.startswith(("One of them", "The second")) for q in quoted)
    assert "One captive said he joined the PMC Redut to make money." in html


NESTED = re.compile(r"\([^()]*\(")


@pytest.mark.parametrize("selection", SELECTIONS)
@pytest.mark.parametrize("section", ["key_judgments", "scope_and_numbers", "two_sides"])
def test_attributions_never_nest_parentheses(selection: str, section: str) -> None:
    faults = [
        b["text"]
        for b in blocks(rendered(selection)[section])
        if not b["in_table"] and not b["has_child"] and NESTED.search(b["unquoted"])
    ]
    assert faults == []


def test_the_migrant_figures_are_told_once_as_prose() -> None:
    html = rendered("default")
    text = re.sub(r"<[^>]+>", "", "\n".join(html.get(s, "") for s in SECTION_ORDER))
    assert "Migrant workers in Russia:" not in text and "Share of migrant workers" not in text
    assert text.count("3.35 million") == 1
    assert "3.35 million" in re.sub(r"<[^>]+>", "", html["scope_and_numbers"])


def test_the_method_note_of_the_judgments_points_to_the_annex() -> None:
    html = rendered("default")["key_judgments"]
    assert "ICD 203" not in html and 'href="#methodology"' in html


# ----------------------------------------------------------------------------- recruitment, law


SUBJECTLESS = re.compile(r"^(?:In \w+ \d{4} )?(?:he|she|his|her)\b", re.IGNORECASE)


@pytest.mark.parametrize("selection", SELECTIONS)
def test_the_channel_annex_names_whom_each_report_is_about(selection: str) -> None:
    """No report in the annex leans on a pronoun for its subject ('In November 2022 he signed …',
    'His son Baurzhan …'), and no pointer reads 'Reports: see …'."""
    html = rendered(selection)["recruitment_channels"]
    text = re.sub(r"<[^>]+>", "", html)
    assert "Reports: see" not in text
    said = [
        s.strip()
        for b in blocks(html)
        if b["tag"] == "p"
        for s in re.split(r"(?<=[.\]])\s+(?=[A-Z])", re.sub(r"\s*\[\d+\]", "", b["unquoted"]))
    ]
    assert [s for s in said if SUBJECTLESS.match(s)] == []
    assert "In November 2022 he signed" not in text and "His son Baurzhan" not in text


def test_the_channel_annex_names_the_subject_from_the_data() -> None:
    text = re.sub(r"<[^>]+>", "", rendered("default")["recruitment_channels"])
    assert "In November 2022 Erlan Ermekov signed a six-month Wagner contract" in text
    assert (
        "Samigullo Urazov&#39;s son Baurzhan" in text or "Samigullo Urazov's son Baurzhan" in text
    )
    assert "Margulan Bekenov&#39;s mother" in text or "Margulan Bekenov's mother" in text
    # under redaction the son's code, never his name or his father's
    redacted = Brief(parse_params({"redact_private_persons": True}), dataset())
    html = redacted.render_section("recruitment_channels")
    assert "Urazov" not in html and "Baurzhan" not in html and "Уразов" not in html
    son = redacted.scope.redactor.codes["per_baurzhan_urazov"]
    father = redacted.scope.redactor.codes["per_samigullo_urazov"]
    assert f"{father}'s son" in html.replace("&#39;", "'")  # the father's son, not his own
    assert f"{son}'s son" not in html.replace("&#39;", "'")


@pytest.mark.parametrize("selection", ["default", "KZ", "ukraine"])
def test_the_mobilisation_carries_the_misprinted_year_wherever_it_is_dated(selection: str) -> None:
    """Global Voices prints the mobilisation of 21 September 2022 as 2021: every place the brief
    dates the mobilisation says so."""
    dated = 0
    for section in ("recruitment_tactics", "recruitment_channels"):
        for b in blocks(rendered(selection)[section]):
            # a claim is told with its attribution and its flag: split after the citation mark
            for told in re.split(r"(?<=\])\s+", b["text"]):
                if "obilisation" in told and re.search(r"\b20(21|22)\b", told):
                    dated += 1
                    assert "2021" in told and "discrepancy register" in told, told
    assert dated >= 2  # in the section's paragraph on coercion, and in the annex


def test_the_recruitment_section_is_short_and_points_to_the_annex() -> None:
    html = rendered("default")["recruitment_tactics"]
    text = re.sub(r"<[^>]+>", "", html)
    assert 'href="#recruitment_channels"' in html and "Annex B" in text
    assert "<h3>What the reports say, channel by channel</h3>" not in html
    assert "figure" not in html.lower()  # the timeline is in the chronology's annex now
    # Table 3 counts individuals: the Moscow Times' 32-year-old and Askar Kubanychbek uulu once
    cases = re.search(r'data-key="cases_tac_fast_track_citizenship" data-value="(\d+)"', html)
    assert cases and cases.group(1) == "3"


@pytest.mark.parametrize("as_of", ["2023-05-20", "2023-06-01", "2023-08-29", "2023-09-20", None])
def test_the_prosecutions_table_and_the_sentences_chart_agree(as_of: str | None) -> None:
    """The Kyrgyz verdict of May 2023 is in the table whenever it is in the chart, whichever
    record of the man the scope holds."""
    values = {"as_of": as_of} if as_of else {}
    brief = Brief(parse_params(values), dataset())
    html = brief.render_section("legal_exposure")
    table = html.split("Criminal cases, convictions and extraditions")[1].split("</table>")[0]
    alt = " ".join(re.findall(r'alt="([^"]+)"', html))
    in_chart = "Kyrgyzstan, May 2023: 10 years in prison" in alt
    in_table = "10 years in prison (May 2023)" in table
    assert in_chart == in_table
    if as_of and as_of < "2023-09-14":  # before Jamestown named him, he is the unnamed man
        assert "Kubanychbek" not in html
    assert in_chart or as_of == "2023-05-20"  # the verdict is reported from 17 May 2023
    set_aside = as_of is None or as_of >= "2023-09-14"
    assert ("later set aside" in table) == (set_aside and in_table)


# ----------------------------------------------------------------------------- a second reader's check

MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
YEARLESS = re.compile(
    rf"\b(?:[Ii]n|[Oo]n|[Bb]y|[Ss]ince|[Uu]ntil) (?:early |late |mid-)?(?:\d{{1,2}} )?"
    rf"(?:{MONTHS})\b(?!,? \d{{1,2}},? \d{{4}}|,? \d{{4}}| of (?:last|this) year)"
)


@pytest.mark.parametrize("selection", SELECTIONS)
def test_no_month_is_dated_without_its_year(selection: str) -> None:
    """'In July MediaHub's video …' leaves the reader to guess the year; the brief writes 'In
    July 2022' (quotes and the discrepancy register keep the source's words)."""
    faults = [
        m.group(0) + " …"
        for _, b in prose(selection)
        if not b["in_register"] and not b["has_child"]
        for m in YEARLESS.finditer(b["unquoted"])
    ]
    assert faults == []


def test_the_month_check_catches_a_month_without_its_year() -> None:
    assert YEARLESS.search("In July MediaHub's video showed recruiters")
    assert YEARLESS.search("declared unfit in September and paid")
    assert not YEARLESS.search("In July 2022 MediaHub's video; on 20 September 2022; in March 2023")
    assert not YEARLESS.search("on September 21, 2021; in November of last year")


_POINTER = re.compile(r"\b[Aa]s for (.+?), above\b")


@pytest.mark.parametrize("selection", SELECTIONS)
def test_no_case_file_points_to_one_profile_twice(selection: str) -> None:
    """A case file that repeats an earlier one says so once, not once per paragraph."""
    html = rendered(selection)["case_files"]
    files = re.findall(r'<article class="case" id="([^"]+)">(.*?)</article>', html, re.S)
    assert files or selection == "ukraine"
    for anchor, body in files:
        pointers = _POINTER.findall(re.sub(r"<[^>]+>", "", body))
        assert len(pointers) == len(set(pointers)), (anchor, pointers)


def test_table_2_says_at_least_wherever_its_count_is_a_floor() -> None:
    """Figure 1 marks the BBC's 19, 40 and 34 '≥': Table 2 says 'at least' for each of them."""
    html = rendered("default")["scope_and_numbers"]
    table = html.split("Counts of Central Asian dead")[1].split("</table>")[0]
    cells = dict(re.findall(r"<tr><td[^>]*>([^<]+)</td><td[^>]*>([^<]+)</td>", table))
    figures = dataset().figures
    floors = figures[
        (figures["qualifier"] == "at_least") & (figures["figure_category"] == "deaths")
    ]
    checked = 0
    for measure in floors["measure"].tolist():
        if measure in cells:
            checked += 1
            assert cells[measure].startswith("at least"), (measure, cells[measure])
    assert checked >= 5  # the BBC's three parts and its 93, Global Voices' 10, RFE/RL's four
    assert cells["Kyrgyzstan citizens killed fighting for Russia"] == "at least 19"


def test_named_individuals_and_those_known_by_initials_are_counted_apart() -> None:
    html = rendered("default")["scope_and_numbers"]
    text = re.sub(r"<[^>]+>", "", html)
    people = Brief(parse_params({}), dataset()).scope.individuals
    initials = people["name"].fillna("").str.fullmatch(r"(?:[A-Z][a-z]?\.)+")
    named = int(people["is_named"].sum())
    assert int(initials.sum()) == 3  # O.R., Sh.K., I.Zh.
    assert f"{named - 3} are named and three are known only by initials" in text
    assert f"{named} are named" not in text


@pytest.mark.parametrize("values", [{}, {"redact_private_persons": True}])
def test_an_inferred_status_is_marked_where_the_case_file_gives_it(values: dict[str, Any]) -> None:
    """Dorboev's 'killed' rests on a burial: his case file says the status is inferred, as it
    says of his side."""
    brief = Brief(parse_params(values), dataset())
    persons = dataset().persons
    inferred = set(persons.loc[persons["status_basis"] == "inferred", "person_id"])
    files = {f.name: f for f in brief.analysis("case_files").files}  # type: ignore[attr-defined]
    shown = [brief.scope.person_name(p) for p in inferred if brief.scope.person_name(p) in files]
    assert shown
    for name in shown:
        assert files[name].status.endswith("(inferred from context)"), name
    stated = [f for f in files.values() if f.name not in shown]
    assert all("inferred" not in f.status for f in stated)


@pytest.mark.parametrize("selection", SELECTIONS)
def test_a_case_left_out_of_table_5_is_told_not_sent_to_a_data_file(selection: str) -> None:
    """A reader of the PDF cannot open data/legal_cases.csv: the case is told in brief, with its
    case file."""
    html = rendered(selection)["legal_exposure"]
    assert "data/legal_cases.csv" not in html
    if selection == "default":
        note = html.split("Criminal cases, convictions and extraditions")[1].split("</table>")[1]
        assert "I.Zh." in note and 'href="#case-' in note and 'class="cite"' in note


FREQUENCY = re.compile(r"\b(often|frequently|usually|commonly|seldom|mostly)\b", re.IGNORECASE)


def test_a_key_judgment_gives_its_count_instead_of_a_frequency_word() -> None:
    """'Uzbek courts have often sentenced …' on six verdicts is 'in four of the six'."""
    a = Brief(parse_params({}), dataset()).analysis("key_judgments")
    assert [j.sentence for j in a.items if FREQUENCY.search(j.sentence)] == []  # type: ignore[attr-defined]
    assert any("four of the six Uzbek verdicts" in j.sentence for j in a.items)  # type: ignore[attr-defined]


def test_the_longest_prison_term_says_its_verdict_was_set_aside() -> None:
    """The 10-year Kyrgyz verdict was cancelled by the Supreme Court: where the prose counts it
    among the prison terms, it says so."""
    text = re.sub(r"<[^>]+>", "", rendered("default")["legal_exposure"])
    assert "to 10 years (in Kyrgyzstan, later set aside)" in text


def test_the_prison_recruits_agree_with_the_channels_table() -> None:
    """Table 3 counts four individuals recruited from prison; the prose on Russian sentences
    names three and says for whom none is recorded, instead of a count that clashes."""
    text = re.sub(r"<[^>]+>", "", rendered("default")["legal_exposure"])
    assert "Of the four individuals recruited from prison (Table 3), three were serving" in text
    assert "none is recorded for Fathullo Narzulloyev" in text
    assert "Three men recruited from prison" not in text


def test_a_count_made_with_a_second_counter_names_both() -> None:
    """BBC Russian counts the named dead with Mediazona: the table and the prose say so."""
    html = rendered("default")["scope_and_numbers"]
    text = re.sub(r"<[^>]+>", "", html)
    table = text.split("Counts of Central Asian dead")[1].split("Figure")[0]
    assert table.count("BBC Russian Service with Mediazona") >= 4  # the four July 2025 rows
    assert "118,139, in July 2025, counted by BBC Russian Service with Mediazona" in text


def test_each_version_of_where_bekenov_was_taken_cites_its_own_source() -> None:
    """Orda has him taken from Krasnodar, RFE/RL from Tomsk: the chronology row cites both
    outlets, so it gives neither version and points to the register."""
    text = re.sub(r"<[^>]+>", "", rendered("default")["case_files"])
    assert "took him from Krasnodar to Molkino" not in text
    assert "Where he was taken from differs between Orda and RFE/RL" in text


def test_the_kind_counts_say_that_a_report_is_counted_once() -> None:
    """A kind's report count is of distinct reports, smaller than the sum of its rows."""
    text = re.sub(r"<[^>]+>", "", rendered("default")["recruitment_tactics"])
    assert "Four channels of this kind appear in 18 reports" in text
    assert "(each counted once, however many of these channels it shows)" in text
