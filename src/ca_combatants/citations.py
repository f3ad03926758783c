"""Citations: a claim's reference number is its source's place in the brief's list of sources
(by publication date, see `Scope.sources`), so it does not depend on which section is rendered
first. Which sources the references list is worked out from the sections' results, not from
what their templates happened to print."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from typing import Any

from markupsafe import Markup, escape

from .lookups import Lookups


class Citations:
    def __init__(self, lookups: Lookups, redacting: bool):
        self.lookups = lookups
        self.redacting = redacting

    def source_of(self, claim_id: str) -> str:
        return str(self.lookups.claim(claim_id)["source_id"])

    def cite(self, *claim_ids: str) -> Markup:
        """Linked reference numbers for claims, e.g. [2][5]; nothing for a claim not visible."""
        visible = [c for c in claim_ids if self.lookups.is_visible(c)]
        if not visible:
            return Markup("")
        by_source: dict[str, list[str]] = {}
        for cid in visible:
            by_source.setdefault(self.source_of(cid), []).append(cid)
        numbers = self.lookups.ref_numbers
        marks = []
        for sid in sorted(by_source, key=lambda s: numbers[s]):
            # claim ids can hold names, so redacted briefs link without them
            title = "" if self.redacting else f' title="claims: {escape(" ".join(by_source[sid]))}"'
            marks.append(f'<a class="cite" href="#ref-{escape(sid)}"{title}>[{numbers[sid]}]</a>')
        return Markup("".join(marks))

    def sources_cited(self, results: Iterable[Any]) -> set[str]:
        """The sources of every visible claim the results cite."""
        return {
            self.source_of(c)
            for result in results
            for c in claims_cited(result)
            if self.lookups.is_visible(c)
        }


def claims_cited(value: Any) -> Iterator[str]:
    """Every claim id a section result carries for citing: its rows' fields named `claim_id`
    or ending in `claim_ids`, at any depth. (A field named otherwise is not cited.)"""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            item = getattr(value, field.name)
            if field.name == "claim_id" and isinstance(item, str):
                yield item
            elif field.name.endswith("claim_ids"):
                yield from item
            else:
                yield from claims_cited(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from claims_cited(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from claims_cited(item)
