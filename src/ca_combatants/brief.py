"""The brief: analyses every section for one parameter set and renders each through its template."""

from __future__ import annotations

import importlib
from functools import cached_property
from typing import Any

import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from . import dataset as dataset_module
from .dataset import Dataset
from .figures import Figure, apply_theme
from .params import BriefParams, parse_params
from .paths import TEMPLATES_DIR
from .scope import Scope, format_date
from .sections import SECTION_ORDER, SECTION_TITLES

# Tables in reading order; a table is numbered only when its section has rows for it.
TABLE_ORDER = (
    "cases_by_country",
    "death_counts",
    "tactic_taxonomy",
    "event_list",
    "legal_provisions",
    "prosecutions",
    "sides_table",
    "source_list",
    "estimative_terms",
    "credibility_scale",
    "data_dictionary",
)


def _present_tables(analyses: dict[str, dict[str, Any]]) -> list[str]:
    a = analyses
    present = {
        "cases_by_country": a["scope_and_numbers"]["n_total"] > 0,
        "death_counts": not a["scope_and_numbers"]["deaths"].empty,
        "tactic_taxonomy": True,
        "event_list": not a["recruitment_tactics"]["events"].empty,
        "legal_provisions": not a["legal_exposure"]["provisions"].empty,
        "prosecutions": not a["legal_exposure"]["home_cases"].empty
        or not a["legal_exposure"]["russian_convictions"].empty,
        "sides_table": sum(c["n"] for c in a["two_sides"]["columns"]) > 0,
        "source_list": True,
        "estimative_terms": True,
        "credibility_scale": True,
        "data_dictionary": True,
    }
    return [key for key in TABLE_ORDER if present[key]]


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int) else str(value)


class Section:
    """A rendered section; notebooks display it as HTML."""

    def __init__(self, name: str, html: str):
        self.name = name
        self.html = html

    def _repr_html_(self) -> str:
        return self.html

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
        self.analyses = {
            name: importlib.import_module(f".sections.{name}", __package__).analyse(self.scope)
            for name in SECTION_ORDER
        }
        self.figure_numbers: dict[str, int] = {}
        for name in SECTION_ORDER:
            for chart in self.analyses[name]["charts"]:
                if chart.has_data:
                    self.figure_numbers[chart.key] = len(self.figure_numbers) + 1
        self.table_numbers = {key: n for n, key in enumerate(_present_tables(self.analyses), 1)}

    @classmethod
    def from_parameters(cls, **values: Any) -> Brief:
        """Validate raw parameters (as papermill injects them) and build the brief."""
        return cls(parse_params(values))

    @cached_property
    def _env(self) -> Environment:
        env = Environment(
            loader=FileSystemLoader(TEMPLATES_DIR),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
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
            "a": self.analyses[name],
            "all": self.analyses,
            "params": self.params,
            "scope": scope,
            "title": SECTION_TITLES[name],
            "section_number": SECTION_ORDER.index(name),
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
        if name not in SECTION_ORDER:
            raise ValueError(f"unknown section {name!r}; sections: {', '.join(SECTION_ORDER)}")
        html = self._env.get_template(f"sections/{name}.html.j2").render(self._context(name))
        html = self.scope.redact(html)  # before charts go in: base64 must not be touched
        for chart in self.analyses[name]["charts"]:
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
        return Section(name, self.render_section(name))

    def sections(self) -> list[Section]:
        return [self.section(name) for name in SECTION_ORDER]
