"""The brief: analyses every section for one parameter set and renders each through its template."""

from __future__ import annotations

import re
from functools import cached_property
from typing import Any

import pandas as pd
from jinja2 import Environment, StrictUndefined
from markupsafe import Markup, escape

from . import csl
from . import dataset as dataset_module
from .citations import Citations
from .dataset import Dataset
from .figures import Figure, apply_theme
from .params import BriefParams, parse_params
from .scope import Scope, format_date
from .sections import ANNEXES, BY_NAME, SECTIONS, SectionSpec
from .sections._common import SectionResult
from .templates_env import template_environment


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
        self.citations = Citations(self.scope.lookups, self.scope.redacting)
        apply_theme()
        # the sections this brief has, in reading order (a section may be absent for a selection)
        self._specs = tuple(s for s in SECTIONS if s.included(params))
        self.section_names = tuple(s.name for s in self._specs)
        self._analyses: dict[str, SectionResult] = {}
        self._cited: set[str] | None = None
        self.figure_numbers: dict[str, int] = {}
        self.table_numbers: dict[str, int] = {}

    def _spec(self, name: str) -> SectionSpec:
        if name not in BY_NAME:
            raise ValueError(f"unknown section {name!r}; sections: {', '.join(BY_NAME)}")
        return BY_NAME[name]

    def analysis(self, name: str) -> SectionResult:
        """One section's analysis. Sections are analysed in reading order, when first needed, so
        a notebook shows its first sections while later ones are still being worked out; figures
        and tables are numbered as their sections are analysed."""
        if name not in self.section_names:
            self._spec(name)  # an unknown name is an error; a known one is absent here
            raise ValueError(f"section {name!r} is not in this brief (see its 'included')")
        for spec in self._specs[: self.section_names.index(name) + 1]:
            if spec.name in self._analyses:
                continue
            cited = self.cited_sources() if spec.lists_citations else ()
            result = self._analyses[spec.name] = spec.analyse(self.scope, cited)
            dataset_module.release_free_memory()  # an analysis's temporary frames, at scale
            for chart in result.charts:
                if chart.has_data:
                    self.figure_numbers[chart.key] = len(self.figure_numbers) + 1
            for table in spec.tables:
                if table.present(result):
                    self.table_numbers[table.key] = len(self.table_numbers) + 1
        return self._analyses[name]

    def cited_sources(self) -> set[str]:
        """The sources the brief cites: worked out from every section's result, so that the
        references are the same whichever sections are rendered."""
        if self._cited is None:  # the analyses, once made, do not change
            citing = [s.name for s in self._specs if not s.lists_citations]
            self._cited = self.citations.sources_cited(self.analysis(n) for n in citing)
        return self._cited

    @property
    def analyses(self) -> dict[str, SectionResult]:
        """Every section's analysis."""
        self.analysis(self.section_names[-1])
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
        def num(value: Any, key: str) -> Markup:
            return Markup(
                f'<span class="num" data-key="{escape(key)}" data-value="{escape(str(value))}">{escape(_number(value))}</span>'
            )

        def fig(key: str) -> Markup:
            return Markup(f"<!--figure:{key}-->") if key in self.figure_numbers else Markup("")

        numbers = {s.name: n for n, s in enumerate(s for s in self._specs if s.numbered)}
        spec = self._spec(name)
        return {
            "a": self.analysis(name),
            "params": self.params,
            "title": spec.title,
            "annex": spec.annex,
            "annex_of": ANNEXES,  # section name -> its annex letter, for pointers between annexes
            "section_number": numbers.get(name),
            "section_of": numbers,
            "as_of": format_date(self.scope.as_of),
            "cite": self.citations.cite,
            "num": num,
            "fig": fig,
            "fig_no": self.figure_numbers,
            "table_no": self.table_numbers,
            "redacting": self.scope.redacting,
        }

    def render_section(self, name: str) -> str:
        """The section's HTML; empty for a section this brief does not have."""
        spec = self._spec(name)
        if name not in self.section_names:
            return ""
        html = self._env.get_template(spec.template).render(self._context(name))
        html = _aligned_cells(self.scope.redact(html))  # before charts: base64 stays untouched
        for chart in self.analysis(name).charts:
            if chart.key in self.figure_numbers:
                figure: Figure | None = chart.draw(
                    self.figure_numbers[chart.key], self.scope.redact
                )
                html = html.replace(
                    f"<!--figure:{chart.key}-->", str(figure.html()) if figure else ""
                )
        # the annexes and references are back matter: each starts a page (see brief.css)
        kind = (
            "brief-section back-matter" if spec.annex or spec.lists_citations else "brief-section"
        )
        return f'<section class="{kind}" id="{name}" data-section="{name}">\n{html}\n</section>'

    def section(self, name: str) -> Section:
        html = self.render_section(name)
        if not self._spec(name).lists_citations or not html:
            return Section(name, html)
        return Section(
            name, html, {csl.MIME_TYPE: csl.references(self.scope, self.cited_sources())}
        )

    def sections(self) -> list[Section]:
        return [self.section(name) for name in self.section_names]
