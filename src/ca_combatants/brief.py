"""The brief: analyses every section for one parameter set and renders each through its template."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from functools import cached_property
from typing import Any

import pandas as pd
from jinja2 import Environment, StrictUndefined
from markupsafe import Markup, escape

from . import csl
from . import dataset as dataset_module
from .dataset import Dataset
from .figures import Figure, apply_theme
from .params import BriefParams, parse_params
from .scope import Scope, format_date
from .sections import OPTIONAL_SECTIONS, SECTION_ORDER, SECTION_TITLES, reading_order
from .templates_env import template_environment


def _always(_: dict[str, Any]) -> bool:
    return True


# Tables in reading order, each with its section and whether that section's analysis has rows
# for it; a table is numbered only when present.
TABLES: dict[str, tuple[str, Callable[[dict[str, Any]], bool]]] = {
    "cases_by_country": ("scope_and_numbers", lambda a: a["n_total"] > 0),
    "death_counts": ("scope_and_numbers", lambda a: not a["deaths"].empty),
    "tactic_taxonomy": ("recruitment_tactics", _always),
    "event_list": ("recruitment_tactics", lambda a: not a["events"].empty),
    "legal_provisions": ("legal_exposure", lambda a: not a["provisions"].empty),
    "prosecutions": (
        "legal_exposure",
        lambda a: not a["home_cases"].empty or not a["russian_convictions"].empty,
    ),
    "sides_table": ("two_sides", lambda a: sum(c["n"] for c in a["columns"]) > 0),
    "source_list": ("sources_and_discrepancies", _always),
    "estimative_terms": ("methodology", _always),
    "credibility_scale": ("methodology", _always),
    "data_dictionary": ("methodology", _always),
}
# numbers are given section by section, so a table may only follow the tables of earlier sections
assert [SECTION_ORDER.index(section) for section, _ in TABLES.values()] == sorted(
    SECTION_ORDER.index(section) for section, _ in TABLES.values()
)


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int) else str(value)


# Table cells and captions carry their alignment inline: JupyterLab's own stylesheet right-aligns and centres
# every cell of an output (and strips <style> from untrusted outputs), an inline style wins in
# both, and the page and PDF read the same as the notebook.
_CELL = re.compile(r'<(td|th|caption)((?: class="([^"]*)")?)(?=[ >])')


def _aligned_cells(html: str) -> str:
    def style(m: re.Match[str]) -> str:
        side = "right" if "n" in (m[3] or "").split() else "left"
        return f'<{m[1]}{m[2]} style="text-align:{side};vertical-align:top"'

    return _CELL.sub(style, html)


class Section:
    """A rendered section; notebooks display it as HTML (and the references section also as
    CSL-JSON, which the render writes beside the brief)."""

    def __init__(self, name: str, html: str, data: dict[str, Any] | None = None):
        self.name = name
        self.html = html
        self.data = data or {}

    def _repr_html_(self) -> str:
        return self.html

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {"text/html": self.html, **self.data}

    def __str__(self) -> str:
        return self.html

    def __repr__(self) -> str:  # the notebook's text/plain output: no memory address
        return f"Section({self.name!r})"


class Brief:
    def __init__(self, params: BriefParams, dataset: Dataset | None = None):
        self.params = params
        self.dataset = dataset if dataset is not None else dataset_module.load(params.data_path)
        self.scope = Scope(self.dataset, params)
        apply_theme()
        self._analyses: dict[str, dict[str, Any]] = {}
        self.figure_numbers: dict[str, int] = {}
        self.table_numbers: dict[str, int] = {}

    def analysis(self, name: str) -> dict[str, Any]:
        """One section's analysis. Sections are analysed in reading order, when first needed, so
        a notebook shows its first sections while later ones are still being worked out; figures
        and tables are numbered as their sections are analysed."""
        if name in OPTIONAL_SECTIONS:  # after the section it follows; it numbers no table
            self.analysis(OPTIONAL_SECTIONS[name])
            if name not in self._analyses:
                module = importlib.import_module(f".sections.{name}", __package__)
                self._analyses[name] = module.analyse(self.scope)
            return self._analyses[name]
        for section in SECTION_ORDER[: SECTION_ORDER.index(name) + 1]:
            if section in self._analyses:
                continue
            module = importlib.import_module(f".sections.{section}", __package__)
            result = self._analyses[section] = module.analyse(self.scope)
            dataset_module.release_free_memory()  # an analysis's temporary frames, at scale
            for chart in result["charts"]:
                if chart.has_data:
                    self.figure_numbers[chart.key] = len(self.figure_numbers) + 1
            for key, (table_section, present) in TABLES.items():
                if table_section == section and present(result):
                    self.table_numbers[key] = len(self.table_numbers) + 1
        return self._analyses[name]

    @property
    def analyses(self) -> dict[str, dict[str, Any]]:
        """Every section's analysis."""
        self.analysis(SECTION_ORDER[-1])
        return self._analyses

    @classmethod
    def from_parameters(cls, **values: Any) -> Brief:
        """Validate raw parameters (as papermill injects them) and build the brief."""
        return cls(parse_params(values))

    @cached_property
    def _env(self) -> Environment:
        env = template_environment(undefined=StrictUndefined)
        env.filters["date"] = lambda v, precision="day": format_date(v, precision)
        env.filters["number"] = _number
        env.tests["missing"] = lambda v: (
            v is None or (not isinstance(v, (list, dict, str)) and pd.isna(v))
        )
        return env

    def _context(self, name: str) -> dict[str, Any]:
        scope = self.scope

        def num(value: Any, key: str) -> Markup:
            return Markup(
                f'<span class="num" data-key="{escape(key)}" data-value="{escape(str(value))}">{escape(_number(value))}</span>'
            )

        def fig(key: str) -> Markup:
            return Markup(f"<!--figure:{key}-->") if key in self.figure_numbers else Markup("")

        return {
            "a": self.analysis(name),
            "params": self.params,
            "scope": scope,
            "title": SECTION_TITLES[name],
            "section_number": SECTION_ORDER.index(name) if name in SECTION_ORDER else None,
            "section_of": {section: n for n, section in enumerate(SECTION_ORDER)},
            "cite": scope.cite,
            "cited_sources": lambda: {str(scope.claim(c)["source_id"]) for c in scope.cited_claims},
            "has": scope.is_visible,
            "name": scope.person_name,
            "attrib": scope.attribution,
            "num": num,
            "fig": fig,
            "fig_no": self.figure_numbers,
            "table_no": self.table_numbers,
            "redacting": scope.redacting,
        }

    def render_section(self, name: str) -> str:
        if name not in SECTION_ORDER and name not in OPTIONAL_SECTIONS:
            raise ValueError(f"unknown section {name!r}; sections: {', '.join(SECTION_ORDER)}")
        html = self._env.get_template(f"sections/{name}.html.j2").render(self._context(name))
        html = _aligned_cells(self.scope.redact(html))  # before charts: base64 stays untouched
        for chart in self.analysis(name)["charts"]:
            if chart.key in self.figure_numbers:
                figure: Figure | None = chart.draw(
                    self.figure_numbers[chart.key], self.scope.redact
                )
                html = html.replace(
                    f"<!--figure:{chart.key}-->", str(figure.html()) if figure else ""
                )
        return (
            f'<section class="brief-section" id="{name}" data-section="{name}">\n{html}\n</section>'
        )

    def section(self, name: str) -> Section:
        if name in OPTIONAL_SECTIONS and getattr(self.params, name) is None:
            return Section(name, "")  # not asked for: the notebook shows nothing
        html = self.render_section(name)
        if name != "references":
            return Section(name, html)
        cited = {str(self.scope.claim(c)["source_id"]) for c in self.scope.cited_claims}
        return Section(name, html, {csl.MIME_TYPE: csl.references(self.scope, cited)})

    def sections(self) -> list[Section]:
        asked = [s for s in OPTIONAL_SECTIONS if getattr(self.params, s) is not None]
        return [self.section(name) for name in reading_order(asked)]
