"""Redaction that a relative cannot undo: for every private person with a named relative in the
data, no output of a redacted brief holds their name, a part of it, or the relation that points
to them (the relative's name, label or office)."""

from __future__ import annotations

import csv
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pandas as pd
import pypdf
import pytest

from ca_combatants.dataset import load
from ca_combatants.params import COUNTRY_NAMES, parse_params
from ca_combatants.paths import DEFAULT_DATA_DIR
from ca_combatants.redaction import Redactor
from ca_combatants.render import render

KIN = r"father|mother|son|daughter|brother|sister|uncle|aunt|nephew|niece|wife|husband|relative"
# words that name no one: kept out of the forbidden words of a relative's office
COMMON = {"former", "member", "parliament", "mayor", "deputy", "head", "official"}
DEMONYMS = {"Kazakh", "Kyrgyz", "Tajik", "Uzbek", "Turkmen", "Russian", "Ukrainian"}


def rows(name: str) -> list[dict[str, str]]:
    with (DEFAULT_DATA_DIR / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def names_of(p: dict[str, str]) -> list[str]:
    out = [p["name"]] if p["name"] else []
    return out + [v.strip() for v in p["name_variants"].split(";") if v.strip()]


def family(word: str) -> str:
    w = word.lower()
    return w[:-1] if w.endswith(("ova", "eva", "ina")) else w


def named_relatives() -> dict[str, list[dict[str, str]]]:
    """Private named persons and their named relatives, read from the CSV files on their own:
    a shared family name, a label or role that opens "Father of X" / "X's mother", or a claim
    about the person in which a named speaker speaks of "his son", "my daughter" …"""
    persons = {p["person_id"]: p for p in rows("persons")}
    named = {pid: p for pid, p in persons.items() if names_of(p)}
    kin: dict[str, set[str]] = {}

    def link(a: str, b: str) -> None:
        if a != b and a in named and b in named:
            kin.setdefault(a, set()).add(b)
            kin.setdefault(b, set()).add(a)

    surnames = {
        pid: {family(w) for n in names_of(p) for w in n.split()[1:] if len(w) >= 4} - {"uulu"}
        for pid, p in named.items()
    }
    for a in named:
        for b in named:
            if surnames[a] & surnames[b]:
                link(a, b)
    for pid, p in named.items():
        for text in (p["label"], p["role"]):
            for other, o in named.items():
                for n in names_of(o):
                    if re.match(
                        rf"({KIN})s? of {re.escape(n)}|{re.escape(n)}['’]s ({KIN})", text, re.I
                    ):
                        link(pid, other)
    for c in rows("claims"):
        speaker, about = c["speaker_person_id"], c["person_id"]
        text = f"{c['statement']} {c['quote']}"
        public = persons.get(about, {}).get("is_public_figure") == "true"
        if (
            speaker
            and about
            and not public
            and re.search(rf"\b(his|her|my|their) ({KIN})\b", text, re.I)
        ):
            link(about, speaker)
    return {
        pid: [named[o] for o in sorted(others)]
        for pid, others in sorted(kin.items())
        if named[pid]["is_public_figure"] != "true"
    }


def forbidden_strings() -> dict[str, list[str]]:
    """For each private person with a named relative: their names and each part of 4+ letters,
    the relative's names and parts, the relative's label, and the proper nouns of the relative's
    label and office (the city, the parliament) that would identify them."""
    persons = {p["person_id"]: p for p in rows("persons")}
    out = {}
    for pid, relatives in named_relatives().items():
        p = persons[pid]
        strings = set(names_of(p))
        strings |= {w for n in names_of(p) for w in re.findall(r"\w+", n) if len(w) >= 4}
        if re.search(rf"\b({KIN})\b", p["label"], re.I):
            strings.add(p["label"])  # "Son of a former Kazakh MP …"
        for r in relatives:
            if r["is_public_figure"] != "true":
                continue  # a private relative is coded in turn
            strings |= set(names_of(r))
            strings |= {w for n in names_of(r) for w in re.findall(r"\w+", n) if len(w) >= 4}
            strings.add(r["label"])
            for text in (r["label"], r["public_figure_basis"]):
                words = re.findall(r"\w+", text)[1:]
                strings |= {
                    w
                    for w in words
                    if len(w) >= 4
                    and w[0].isupper()
                    and w not in DEMONYMS
                    and w not in COUNTRY_NAMES.values()
                    and w.lower() not in COMMON
                }
        out[pid] = sorted(strings)
    return out


def test_the_persons_with_named_relatives_are_found_in_the_data() -> None:
    found = named_relatives()
    assert "per_baurzhan_urazov" in found  # his father, a former MP, is named
    ds = load(DEFAULT_DATA_DIR)
    redactor = Redactor(ds.persons, ds.claims, enabled=True)
    assert set(found) <= set(redactor.with_named_relatives())
    assert "Urazov" in forbidden_strings()["per_baurzhan_urazov"]
    assert "Oral" in forbidden_strings()["per_baurzhan_urazov"]


def findable_in_pdf(path: Path) -> str:
    reader = pypdf.PdfReader(path)

    def titles(items: list[Any]) -> list[str]:
        return [t for i in items for t in (titles(i) if isinstance(i, list) else [i.title])]

    layout = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return "\n".join(
        [layout]
        + [p.extract_text() for p in reader.pages]
        + titles(reader.outline)
        + list(reader.named_destinations)
        + [str(v) for v in (reader.metadata or {}).values()]
    )


@pytest.fixture(scope="module")
def redacted_outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    out = tmp_path_factory.mktemp("redacted")
    render(parse_params({"redact_private_persons": True}), out, "brief")
    # a PDF breaks words across lines with a hyphen; join them before looking
    pdf = findable_in_pdf(out / "brief.pdf")
    return {
        "html": (out / "brief.html").read_text(encoding="utf-8"),
        "pdf": pdf + "\n" + re.sub(r"[-‐]\n\s*", "", pdf),
        "notebook": json.dumps(json.loads((out / "brief.ipynb").read_text(encoding="utf-8"))),
    }


@pytest.mark.parametrize("person_id", sorted(forbidden_strings()))
def test_no_output_lets_a_reader_recover_the_name(
    redacted_outputs: dict[str, str], person_id: str
) -> None:
    strings = forbidden_strings()[person_id]
    for output, text in redacted_outputs.items():
        found = [
            s
            for s in strings
            if re.search(rf"(?<!\w){re.escape(s)}(?!\w)", text, re.IGNORECASE)
            or re.search(rf"(?<!\w){re.escape(json.dumps(s)[1:-1])}(?!\w)", text, re.IGNORECASE)
        ]
        assert not found, f"{output} of a redacted brief holds {found} ({person_id})"


def test_the_relation_survives_without_the_names(redacted_outputs: dict[str, str]) -> None:
    """The redacted brief still says what the father confirmed, with codes in place of names."""
    html = redacted_outputs["html"]
    ds = load(DEFAULT_DATA_DIR)
    redactor = Redactor(ds.persons, ds.claims, enabled=True)
    son, father = redactor.codes["per_baurzhan_urazov"], redactor.codes["per_samigullo_urazov"]
    assert f"[{father}] confirmed that his son [{son}]" in html
    assert f"{father} (relative of {son})" in html
    assert "Samigullo" not in html and "Uralsk" not in html


def test_a_relative_added_later_is_handled() -> None:
    """Persons as another source might add them: a private fighter, his public father, and his
    mother, named only by her label."""
    persons = pd.DataFrame(
        [
            ("per_a", "Ivan Petrov", "Son of the mayor of Someplace", "", False, True, "KZ", "russia", "", ""),
            ("per_b", "Pavel Petrov", "Mayor of Someplace", "", True, False, "KZ", "not_applicable", "", ""),
            ("per_c", "Anna Smirnova", "Ivan Petrov's mother", "", False, False, "KZ", "not_applicable", "", ""),
            ("per_d", "Oleg Ivanov", "Unrelated official", "", True, False, "RU", "russia", "", ""),
        ],
        columns=[
            "person_id", "name", "label", "name_variants", "is_public_figure", "is_combatant",
            "country_of_origin", "side", "role", "notes",
        ],
    )  # fmt: skip
    claims = pd.DataFrame(
        {
            "claim_id": ["c1", "c2"],
            "person_id": ["per_a", "per_b"],
            "speaker_person_id": ["per_b", None],
            "statement": ["Pavel Petrov says his son Ivan fights.", "Pavel Petrov is mayor."],
            "quote": ["The mayor of Someplace, Pavel Petrov, said his son Ivan fights.", None],
        }
    )
    r = Redactor(persons, claims, enabled=True)
    assert r.with_named_relatives() == ["per_a", "per_c"]
    assert r.identifying_relatives == {"per_b"} and "per_a" in r.shielded
    text = r.redact(
        "Pavel Petrov confirmed that his son Ivan Petrov fights; Petrov's case. Oleg Ivanov."
    )
    assert not re.search(r"Pavel|Petrov|Ivan\b|Anna|Smirnova", text), text
    assert "Oleg Ivanov" in text  # a public figure with no private relative stays named
    assert "Someplace" not in r.person_name("per_a") + r.person_name("per_b")
    kept = r.claims(claims)
    assert kept["claim_id"].tolist() == ["c1"]  # the claim about the father's office is withheld
    assert kept["quote"].isna().all()  # the quote naming his office is left out
