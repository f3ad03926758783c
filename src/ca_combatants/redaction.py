"""Redaction of private persons, so that a reader cannot recover a name from what remains.

Replacing a private person's name by a code is not enough when a relative is named: "Samigullo
Urazov confirmed that his son [P04] …" gives the son away, and so does "the son of a former mayor
of Oral". So, when redacting:

- every named private person gets a stable code (P01, P02 …), and each distinctive part of their
  name is replaced too, a surname shared with anyone else included;
- a named public figure who is the relative of a private person (an *identifying relative*) is
  coded as well, under a label that says no more than "relative of P04";
- a private person with an identifying relative gets a neutral label built from their country and
  side ("Kazakh combatant on Russia's side"), in place of one like "Son of a former Kazakh MP";
- claims about an identifying relative (their offices, their city) are withheld, and the verbatim
  quotes of claims about the private person or spoken by or naming the relative are left out
  (a quote can hold the relative's offices; the claim's statement, in our words, stays).

Relatives are found in the data, so that persons added later are covered: two named persons who
share a surname, or a person whose label, role or notes, or a claim about whom, names the other
beside a word of kinship ("father", "son", "uncle" …).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import pandas as pd

KINSHIP = (
    "father",
    "mother",
    "son",
    "daughter",
    "brother",
    "sister",
    "uncle",
    "aunt",
    "nephew",
    "niece",
    "cousin",
    "wife",
    "husband",
    "grandson",
    "granddaughter",
    "grandfather",
    "grandmother",
    "parent",
    "child",
    "relative",
)
# Parts of a name that say whose son or daughter, not which family: not surnames.
_PATRONYMIC_PARTICLES = frozenset({"uulu", "kyzy", "ogly", "ugli", "qizi", "ibn", "bin"})
DEMONYMS = {
    "KZ": "Kazakh",
    "KG": "Kyrgyz",
    "TJ": "Tajik",
    "UZ": "Uzbek",
    "TM": "Turkmen",
    "RU": "Russian",
    "UA": "Ukrainian",
}
SIDE_OF = {"russia": "on Russia's side", "ukraine": "on Ukraine's side"}
MIN_PART = 3  # parts of a name this long or longer are replaced on their own


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text)


def _surname_key(word: str) -> str:
    """Bekenova and Bekenov, Urazova and Urazov: one family name."""
    w = word.lower()
    for ending in ("ova", "eva", "ina", "yna", "aya"):
        if w.endswith(ending) and len(w) > len(ending) + 2:
            return w[:-1] if ending != "aya" else w[:-2] + "iy"
    return w


@dataclass(frozen=True)
class Person:
    person_id: str
    names: tuple[str, ...]  # name first, then its variants
    label: str
    is_public: bool
    is_combatant: bool
    country: str | None
    side: str | None
    texts: tuple[str, ...]  # label, role, notes: where a relative may be named

    @property
    def surnames(self) -> set[str]:
        """Family-name keys: every word of the names after the first, particles aside."""
        keys = set()
        for name in self.names:
            parts = _words(name)
            for part in parts[1:] if len(parts) > 1 else []:
                if len(part) >= MIN_PART + 1 and part.lower() not in _PATRONYMIC_PARTICLES:
                    keys.add(_surname_key(part))
        return keys


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


class Redactor:
    """What redaction replaces, withholds and relabels, for one dataset."""

    def __init__(self, persons: pd.DataFrame, claims: pd.DataFrame, enabled: bool):
        self.enabled = enabled
        self._persons_frame = persons
        self._claims_frame = claims

    # ------------------------------------------------------------------ who is who
    @cached_property
    def people(self) -> dict[str, Person]:
        p = self._persons_frame
        out = {}
        columns = (
            "person_id",
            "name",
            "name_variants",
            "label",
            "is_public_figure",
            "is_combatant",
            "country_of_origin",
            "side",
            "role",
            "notes",
        )
        for row in zip(*(p[c].tolist() for c in columns), strict=True):
            pid, name, variants, label, public, combatant, country, side, role, notes = row
            names = [name] if isinstance(name, str) and name.strip() else []
            names += [v.strip() for v in _text(variants).split(";") if v.strip()]
            out[str(pid)] = Person(
                str(pid),
                tuple(names),
                _text(label),
                bool(public),
                bool(combatant),
                country if isinstance(country, str) else None,
                side if isinstance(side, str) else None,
                (_text(label), _text(role), _text(notes)),
            )
        return out

    @cached_property
    def _kin_groups(self) -> list[tuple[frozenset[str], frozenset[str]]]:
        """Kinship the data gives, as pairs of groups: everyone in the first is kin of everyone
        else in the second (groups, not pairs, so that a name many persons share costs no more
        than the name). Found from: a shared family name; a label, role or notes that call their
        person someone's kin ("Father of Baurzhan Urazov", "Margulan Bekenov's mother"); a claim
        about a person that names someone as their kin ("his son, Baurzhan Urazov"), or that a
        named speaker speaks of as "my son", "his son"."""
        people = self.people
        by_name = _name_index(people.values())
        groups: list[tuple[frozenset[str], frozenset[str]]] = []
        families: dict[str, set[str]] = {}
        for pid, p in people.items():
            for key in p.surnames:
                families.setdefault(key, set()).add(pid)
        groups += [(frozenset(g), frozenset(g)) for g in families.values() if len(g) > 1]

        linkers: dict[str, set[str]] = {}  # a name given as kin -> who is its kin
        for pid, p in people.items():
            for i, text in enumerate(p.texts):
                for name in _kin_names(text, describes=True):  # "Father of X …": p is X's kin
                    linkers.setdefault(name, set()).add(pid)
                if i > 0:  # a role or notes may also name kin of the person: "his son X"
                    for name in _kin_names(text, describes=False, own=True):
                        linkers.setdefault(name, set()).add(pid)
        pairs: set[tuple[str, str]] = set()
        claims = self._claims_frame
        for pid, speaker, statement, quote in zip(
            claims["person_id"].tolist(),
            claims["speaker_person_id"].tolist(),
            claims["statement"].tolist(),
            claims["quote"].tolist(),
            strict=True,
        ):
            if not isinstance(pid, str) or pid not in people:
                continue
            text = f"{_text(statement)} {_text(quote)}"
            if (
                isinstance(speaker, str)
                and speaker in people
                and speaker != pid
                and not people[pid].is_public  # "his nephew" in a claim about Prigozhin is not him
                and _possessive_kin(text)
            ):
                pairs.add((pid, speaker))
            for name in _kin_names(text, describes=False):
                linkers.setdefault(name, set()).add(pid)
        for name, who in linkers.items():
            named = frozenset(by_name.get(name, ()))
            if named and named != who:
                groups.append((frozenset(who), named))
        groups += [(frozenset({a}), frozenset({b})) for a, b in sorted(pairs)]
        return groups

    @cached_property
    def _groups_of(self) -> dict[str, list[int]]:
        index: dict[str, list[int]] = {}
        for n, (first, second) in enumerate(self._kin_groups):
            for pid in first | second:
                index.setdefault(pid, []).append(n)
        return index

    def relatives_of(self, person_id: str) -> frozenset[str]:
        """The named persons the data gives as this person's kin, or who share their surname."""
        found: set[str] = set()
        for n in self._groups_of.get(person_id, []):
            first, second = self._kin_groups[n]
            if person_id in first:
                found |= second
            if person_id in second:
                found |= first
        found.discard(person_id)
        return frozenset(o for o in found if self.people[o].names)

    def with_named_relatives(self) -> list[str]:
        """Named private persons who have a named relative in the data."""
        return sorted(
            pid
            for pid in self._groups_of
            if self.people[pid].names and not self.people[pid].is_public and self.relatives_of(pid)
        )

    def _public(self, group: frozenset[str]) -> set[str]:
        return {g for g in group if self.people[g].is_public and self.people[g].names}

    def _private(self, group: frozenset[str]) -> set[str]:
        return {g for g in group if not self.people[g].is_public}

    @cached_property
    def identifying_relatives(self) -> frozenset[str]:
        """Public figures whose name would point to a private relative."""
        out: set[str] = set()
        for first, second in self._kin_groups:
            for a, b in ((first, second), (second, first)):
                private = self._private(a)
                if private:
                    out |= {r for r in self._public(b) if private - {r}}
        return frozenset(out)

    @cached_property
    def shielded(self) -> frozenset[str]:
        """Persons who are not public figures and have an identifying relative."""
        relatives = self.identifying_relatives
        out: set[str] = set()
        for first, second in self._kin_groups:
            for a, b in ((first, second), (second, first)):
                if b & relatives:
                    out |= self._private(a)
        return frozenset(out)

    @cached_property
    def _shielded_kin_codes(self) -> dict[str, list[str]]:
        """For each identifying relative, the codes of the private kin they would point to."""
        codes, relatives, shielded = self.codes, self.identifying_relatives, self.shielded
        out: dict[str, set[str]] = {}
        for first, second in self._kin_groups:
            for a, b in ((first, second), (second, first)):
                kin = {codes[k] for k in a & shielded if k in codes}
                if kin:
                    for r in b & relatives:
                        out.setdefault(r, set()).update(kin - {codes.get(r, "")})
        return {r: sorted(kin) for r, kin in out.items()}

    @cached_property
    def codes(self) -> dict[str, str]:
        """Stable codes: every named private person, and every identifying relative."""
        coded = sorted(
            pid
            for pid, p in self.people.items()
            if p.names and (not p.is_public or pid in self.identifying_relatives)
        )
        return {pid: f"P{n:02d}" for n, pid in enumerate(coded, 1)}

    # ------------------------------------------------------------------ labels and names
    @cached_property
    def _labels(self) -> dict[str, str]:
        return {}  # filled by label(): a relative's label looks at every kin of theirs

    def label(self, person_id: str) -> str:
        """The label a redacted brief shows for a person."""
        p = self.people[person_id]
        if not self.enabled:
            return p.label
        if person_id not in self._labels:
            self._labels[person_id] = self._redacted_label(person_id)
        return self._labels[person_id]

    def _redacted_label(self, person_id: str) -> str:
        p = self.people[person_id]
        if person_id in self.identifying_relatives:
            kin = self._shielded_kin_codes.get(person_id, [])
            if not kin:
                return "relative of a private person"
            return f"relative of {kin[0]}" + (" and others" if len(kin) > 1 else "")
        if person_id in self.shielded:
            who = DEMONYMS.get(p.country or "", "Central Asian")
            if p.is_combatant and p.side in SIDE_OF:
                return f"{who} combatant {SIDE_OF[p.side]}"
            return f"{who} private person"
        return p.label

    @cached_property
    def _plain_names(self) -> dict[str, str]:
        """Name, or label for the unnamed: all an unredacted brief needs, without a record per
        person (costly on a large dataset)."""
        p = self._persons_frame
        return {
            str(pid): name if isinstance(name, str) and name.strip() else _text(label)
            for pid, name, label in zip(
                p["person_id"].tolist(), p["name"].tolist(), p["label"].tolist(), strict=True
            )
        }

    def person_name(self, person_id: str) -> str:
        if not self.enabled:
            return self._plain_names[person_id]
        p = self.people[person_id]
        if not p.names:
            return self.label(person_id)
        if self.enabled and person_id in self.codes:
            return f"{self.codes[person_id]} ({self.label(person_id)})"
        return p.names[0]

    def persons(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Rows of the persons table as a redacted brief may show them: new labels, and an
        identifying relative's role, notes and public office left out."""
        if not self.enabled or not (self.shielded | self.identifying_relatives):
            return frame
        touched = frame["person_id"].isin(sorted(self.shielded | self.identifying_relatives))
        if not bool(touched.any()):
            return frame
        out = frame.copy()
        out.loc[touched, "label"] = [self.label(pid) for pid in out.loc[touched, "person_id"]]
        relative = frame["person_id"].isin(sorted(self.identifying_relatives))
        for column in ("role", "notes", "public_figure_basis"):
            if column in out.columns:
                out.loc[relative, column] = None
        return out

    # ------------------------------------------------------------------ claims
    @cached_property
    def _relative_names(self) -> re.Pattern[str] | None:
        patterns = {
            pattern
            for r in self.identifying_relatives
            for pattern in _name_patterns(self.people[r])
        }
        if not patterns:
            return None
        return re.compile(r"\b(" + "|".join(sorted(patterns, key=len, reverse=True)) + r")\b")

    def _mentions_relative(self, text: object) -> bool:
        pattern = self._relative_names
        return isinstance(text, str) and pattern is not None and pattern.search(text) is not None

    def claims(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Claims as a redacted brief may use them: none about an identifying relative, and no
        verbatim quote in a claim about a shielded person or spoken by or naming the relative."""
        if not self.enabled or not self.identifying_relatives:
            return frame
        relatives = sorted(self.identifying_relatives)
        about_relative = frame["person_id"].isin(relatives)
        kept = frame[~about_relative.fillna(False).astype(bool)]
        sensitive = (
            kept["person_id"].isin(sorted(self.shielded)).fillna(False).astype(bool)
            | kept["speaker_person_id"].isin(relatives).fillna(False).astype(bool)
            | pd.Series(
                [self._mentions_relative(q) for q in kept["quote"].tolist()],
                index=kept.index,
                dtype=bool,
            )
        )
        if not bool(sensitive.any()):
            return kept
        kept = kept.copy()
        kept.loc[sensitive, "quote"] = None
        return kept

    # ------------------------------------------------------------------ text
    @cached_property
    def _replacements(self) -> dict[str, str]:
        """Each string to replace, and its code: whole names first, then their parts. A part
        of a public figure's name stays ("uulu"), unless it is a surname that a private person
        shares, which is the private person's."""
        coded = self.codes
        public_words = {
            w
            for pid, p in self.people.items()
            if p.is_public and pid not in coded
            for n in p.names
            for w in _words(n)
        }
        shared = _shared_surnames(self.people, coded)
        replacements: dict[str, str] = {}
        for pid, code in coded.items():
            for name in self.people[pid].names:
                replacements[name] = code
        # parts: a private person's own parts win over a relative's
        order = sorted(coded, key=lambda pid: (not self.people[pid].is_public, pid), reverse=True)
        for pid in order:
            for name in self.people[pid].names:
                for word in _words(name):
                    if len(word) < MIN_PART or word in replacements:
                        continue
                    if word in public_words and word.lower() not in shared:
                        continue
                    replacements[word] = coded[pid]
        return replacements

    @cached_property
    def _pattern(self) -> re.Pattern[str] | None:
        if not self._replacements:
            return None
        alternatives = sorted(self._replacements, key=len, reverse=True)
        return re.compile(r"(?<!\w)(" + "|".join(re.escape(a) for a in alternatives) + r")(?!\w)")

    def redact(self, text: str) -> str:
        """Every coded person's name, and each distinctive part of it, replaced by the code."""
        if not self.enabled or self._pattern is None:
            return text
        return self._pattern.sub(lambda m: f"[{self._replacements[m.group(0)]}]", text)

    def private_name_strings(self) -> list[str]:
        """Every string redaction removes (for tests and checks)."""
        return sorted(self._replacements)


_KIN = "|".join(KINSHIP)
_ANY_KIN = re.compile(rf"\b({_KIN})", re.IGNORECASE)
_POSSESSIVE_KIN = re.compile(rf"\b(his|her|their|my|our) ({_KIN})s?\b", re.IGNORECASE)


def _name_patterns(person: Person) -> list[str]:
    """Regular expressions for the person's whole names and distinctive parts."""
    out = []
    for name in person.names:
        out.append(re.escape(name))
        for w in _words(name):
            if len(w) > MIN_PART and w.lower() not in _PATRONYMIC_PARTICLES:
                out.append(re.escape(w))
    return out


_NAME = r"[A-ZА-ЯЁ][\w’'-]*(?: (?:[A-ZА-ЯЁ][\w’'-]*|uulu|kyzy|ogly|ugli))*"
_KIN_PHRASES = [
    re.compile(rf"\b(?:{_KIN})s? of (?:the )?(?P<name>{_NAME})", re.IGNORECASE),
    re.compile(rf"(?P<name>{_NAME})(?:’|')s (?:{_KIN})s?\b"),
    re.compile(rf"\b(?:his|her|their|my|our) (?:{_KIN})s?,? (?P<name>{_NAME})", re.IGNORECASE),
]


@functools.lru_cache(maxsize=65536)  # texts recur (a quote under several claims)
def _kin_names(text: str, describes: bool, own: bool = False) -> tuple[str, ...]:
    """Names that a text gives as kin of the person it is about: a label or role that opens
    "Father of X" or "X's mother" (`describes`); elsewhere "son of X" or "his son X", and in a
    person's own role or notes (`own`) only "his son X"."""
    if not text or not _ANY_KIN.search(text):
        return ()
    text = text.strip()
    found = []
    for n, pattern in enumerate(_KIN_PHRASES):
        if describes:
            m = pattern.match(text)
            if m:
                found.append(m.group("name"))
        elif n != 1 and (n == 2 or not own):
            # "X's mother" inside a text may be anyone's kin; "his son X" is its person's
            found += [m.group("name") for m in pattern.finditer(text)]
    return tuple(found)


@functools.lru_cache(maxsize=65536)
def _possessive_kin(text: str) -> bool:
    return _POSSESSIVE_KIN.search(text) is not None


def _name_index(people: Iterable[Person]) -> dict[str, set[str]]:
    """Named persons by each whole name and each word of a name that a kin phrase may capture
    (a captured 'Baurzhan Urazov is' is looked up as itself and word by word)."""
    index: dict[str, set[str]] = {}
    for p in people:
        for name in p.names:
            index.setdefault(name, set()).add(p.person_id)
    return _WordIndex(index)


class _WordIndex(dict[str, set[str]]):
    """A captured name finds a person by their whole name, or by a whole name it starts with."""

    def get(self, key: str, default: object = ()) -> set[str]:
        if key in self:
            return self[key]
        words = key.split(" ")
        for n in range(len(words) - 1, 0, -1):
            prefix = " ".join(words[:n])
            if prefix in self:
                return self[prefix]
        return set()


def _shared_surnames(people: dict[str, Person], coded: Iterable[str]) -> set[str]:
    """Surname words (lower case) shared by a coded person and anyone else."""
    coded = set(coded)
    keys: dict[str, set[str]] = {}
    for pid, p in people.items():
        for key in p.surnames:
            keys.setdefault(key, set()).add(pid)
    shared = {key for key, pids in keys.items() if len(pids) > 1 and pids & coded}
    return {
        w.lower()
        for pid in coded
        for n in people[pid].names
        for w in _words(n)
        if _surname_key(w) in shared
    }
