"""One function per chart. Each returns a Figure (SVG, caption, alt text) or None when there is
nothing to draw, so a section says so in words instead of showing an empty chart."""

from __future__ import annotations

import base64
import io
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")  # no display; the same bytes everywhere

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from markupsafe import Markup, escape
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import Bbox

if TYPE_CHECKING:  # the analyses import no figure code; their results are only drawn here
    from .channels import ChannelsResult
    from .prosecutions import ProsecutionsResult
    from .sentencing import Sentence, SentencesResult

# Okabe–Ito: distinguishable with the common colour-vision deficiencies.
OKABE_ITO = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]
SIDE_COLOURS = {"Russia": "#D55E00", "Ukraine": "#0072B2"}
# Drawn at about the width a chart is read at: shown at most at its own size, and on a 390 px
# phone shrunk to about 0.75, where 9-unit text still reads at 9 px or more (tests check it). In
# print it takes three quarters of the A4 text block, with text at the size of the body text.
WIDTH_IN = 4.6
LABEL_CHARS = 24  # longer axis labels wrap onto a second line
SMALLEST_TEXT = 9  # points, in the drawn chart; no label is smaller
DENSE = 400  # above this many marks, points are drawn as a 200 dpi image inside the SVG; text stays vector


def apply_theme() -> None:
    sns.set_theme(context="paper", style="whitegrid", palette=OKABE_ITO, font="DejaVu Sans")
    plt.rcParams.update(
        {
            "font.size": SMALLEST_TEXT,
            "axes.titlesize": 10.5,
            "axes.labelsize": 9.5,
            "xtick.labelsize": SMALLEST_TEXT,
            "ytick.labelsize": SMALLEST_TEXT,
            "legend.fontsize": SMALLEST_TEXT,
            "legend.title_fontsize": 9.5,
            "svg.hashsalt": "ca-brief",  # stable ids inside the SVG
            "svg.fonttype": "none",  # text stays text: searchable, sharp, small
            "figure.dpi": 100,
        }
    )


@dataclass(frozen=True)
class Figure:
    number: int
    caption: str
    alt: str
    svg: str
    # the caption's citations, as markup (reference links): empty for a chart whose sources the
    # text around it cites
    sources: str = ""

    def html(self) -> Markup:
        data = base64.b64encode(self.svg.encode("utf-8")).decode("ascii")
        sources = f" {Markup(self.sources)}" if self.sources else ""
        return Markup(
            f'<figure class="chart" id="figure-{self.number}">'
            f'<img src="data:image/svg+xml;base64,{data}" alt="{escape(self.alt)}">'
            f'<figcaption><span class="label">Figure {self.number}.</span> {escape(self.caption)}{sources}</figcaption></figure>'
        )

    def _repr_html_(self) -> str:
        return str(self.html())


_SVG_SIZE = re.compile(r'width="[0-9.]+pt" height="[0-9.]+pt" viewBox="0 0 [0-9.]+ [0-9.]+"')


def _to_svg(fig: plt.Figure) -> str:
    """The figure as SVG, cropped to its drawn content as `bbox_inches="tight"` would crop it.

    `bbox_inches="tight"` lays the whole figure out twice, once to measure it and once to draw
    it; a third of the kernel's time for a brief went there. Here the figure is drawn once,
    measured with the renderer that drew it, and the SVG's viewBox crops it to the same box."""
    measured: list[Bbox] = []
    listener = fig.canvas.mpl_connect(
        "draw_event",
        lambda event: measured.append(fig.get_tightbbox(event.renderer)),  # inches
    )
    buf = io.StringIO()
    try:
        fig.savefig(buf, format="svg", dpi=200, metadata={"Date": None, "Creator": None})
    finally:
        fig.canvas.mpl_disconnect(listener)
        height = fig.get_figheight()
        plt.close(fig)
    pad = plt.rcParams["savefig.pad_inches"]
    box = measured[-1].padded(pad)
    # SVG units are points, with y running down from the figure's top edge
    x, y, w, h = (72 * v for v in (box.x0, height - box.y1, box.width, box.height))
    svg, found = _SVG_SIZE.subn(
        f'width="{w:.6f}pt" height="{h:.6f}pt" viewBox="{x:.6f} {y:.6f} {w:.6f} {h:.6f}"',
        buf.getvalue(),
        count=1,
    )
    if found != 1:
        raise RuntimeError("matplotlib's SVG has no size and viewBox where expected")
    return svg


ALT_ITEMS_MAX = 25  # alt text lists at most this many values; a screen reader user gets the count


def _listed(rows: pd.DataFrame, describe: Callable[[Any], str], where: str) -> str:
    """Rows described for alt text, capped, naming where the rest are (only shown rows are described)."""
    shown = "; ".join(describe(r) for r in rows.head(ALT_ITEMS_MAX).itertuples())
    rest = len(rows) - ALT_ITEMS_MAX
    return f"{shown}; and {rest:,} more, listed in {where}" if rest > 0 else shown


def _labels_inside(fig: plt.Figure, ax: plt.Axes, labels: list[str]) -> None:
    """Wrap the y axis's labels and leave them room inside the figure's width, so the chart is
    as wide as drawn and its text keeps its size on a phone. The room is estimated (DejaVu Sans
    averages 0.6 em a character), not measured: a layout engine would draw the figure twice."""
    wrapped = [textwrap.fill(str(label), LABEL_CHARS) for label in labels]
    ax.set_yticks(range(len(wrapped)), wrapped)
    longest = max((len(line) for label in wrapped for line in label.split("\n")), default=0)
    inches = longest * 0.6 * SMALLEST_TEXT / 72 + 0.15
    fig.subplots_adjust(left=min(0.5, inches / fig.get_figwidth()), right=0.97)


def _finish(
    number: int, caption: str, alt: str, fig: plt.Figure, redact: Callable[[str], str]
) -> Figure:
    return Figure(number, redact(caption), redact(alt), _to_svg(fig))


# ------------------------------------------------------------------------------- charts


LANES = ["Russian measure", "Central Asian measure", "Legal case", "Reported case", "Media report"]
LANE_OF = {
    "russian_measure": "Russian measure",
    "central_asian_measure": "Central Asian measure",
    "criminal_case": "Legal case",
    "legal_proceeding": "Legal case",
    "media_report": "Media report",
}


def timeline(events: pd.DataFrame, number: int, redact: Callable[[str], str]) -> Figure | None:
    """events: event_id, event_date_start, event_type, date_basis, short_label."""
    if events.empty:
        return None
    data = events.assign(lane=events["event_type"].map(LANE_OF).fillna("Reported case"))
    data["basis"] = data["date_basis"].map(
        {
            "stated": "date stated",
            "derived": "date derived from context",
            "corrected": "date corrected (see discrepancies)",
        }
    )
    present = set(data["lane"].tolist())
    lanes = [lane for lane in LANES if lane in present]
    data["y"] = data["lane"].map(
        lanes.index
    )  # explicit positions: lane labels must match their points
    # identical marks drawn once: the picture is the same, and drawing stays fast at any size
    marks = data.drop_duplicates(["event_date_start", "lane", "basis"])
    fig, ax = plt.subplots(figsize=(WIDTH_IN, 0.5 * len(lanes) + 2.6))
    basis_markers = {
        "date stated": "o",
        "date derived from context": "D",
        "date corrected (see discrepancies)": "X",
    }
    for lane_index, lane in enumerate(lanes):
        for basis, marker in basis_markers.items():
            points = marks[(marks["lane"] == lane) & (marks["basis"] == basis)]
            if not points.empty:
                ax.scatter(
                    points["event_date_start"],
                    points["y"],
                    marker=marker,
                    s=42,
                    color=OKABE_ITO[lane_index],
                    edgecolors="white",
                    linewidths=0.6,
                    zorder=3,
                    rasterized=len(marks) > DENSE,
                )
    _labels_inside(fig, ax, lanes)
    measures = (
        data[data["lane"] == "Russian measure"]
        .sort_values(["event_date_start", "event_id"])
        .drop_duplicates(["event_date_start", "short_label"])
        .head(8)  # labels beyond eight would overlap; every event is in the table
        .reset_index(drop=True)
    )
    top = lanes.index("Russian measure") if "Russian measure" in lanes else 0
    # the highest label first: each lower label, on a white ground, is drawn over the leader
    # lines of those above it, which would otherwise cross its text
    for i, row in reversed(list(measures.iterrows())):
        ax.annotate(
            redact(str(row["short_label"])),
            (row["event_date_start"], top),
            xytext=(6, 10 + 12 * int(i)),
            textcoords="offset points",
            ha="left",
            va="bottom",
            fontsize=SMALLEST_TEXT,
            color="#333333",
            bbox={"boxstyle": "square,pad=0.15", "facecolor": "white", "edgecolor": "none"},
            arrowprops={
                "arrowstyle": "-",
                "color": "#999999",
                "linewidth": 0.6,
                "shrinkA": 0,
                "shrinkB": 3,
            },
        )
    ax.set_ylim(len(lanes) - 0.5, -0.6 - 0.4 * len(measures))
    ax.xaxis.set_major_locator(mdates.AutoDateLocator())
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))
    legend_handles = [
        plt.Line2D([], [], marker=m, linestyle="", color="#333333", label=b)
        for b, m in basis_markers.items()
        if b in set(data["basis"].tolist())
    ]
    ax.set(xlabel="", ylabel="")
    ax.legend(
        handles=legend_handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.1),
        frameon=False,
    )
    sns.despine(ax=ax, left=True)
    counts = data["lane"].value_counts()
    first, last = data["event_date_start"].min(), data["event_date_start"].max()
    return _finish(
        number,
        "Timeline of Russian recruitment measures, Central Asian responses, legal steps, reported cases and media reports. Russian measures are labelled; every event is listed in the chronology in the case-files annex.",
        f"Timeline from {first:%B %Y} to {last:%B %Y} with {len(data)} events: "
        + ", ".join(f"{n} {lane.lower()}" for lane, n in counts.items())
        + ".",
        fig,
        redact,
    )


# Figure 1's colours, one per state or group of states: Okabe–Ito without its yellow, which
# prints faintly on white (every chart sits on white, in the dark theme too); sky blue, the
# palest left, comes last.
POPULATION_COLOURS = [
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#000000",
    "#56B4E9",
]
PRISONERS = ", prisoners"


def population_marks(populations: list[str]) -> dict[str, tuple[str, bool]]:
    """Each population's colour and whether its marks are open: a count of a state's prisoners
    takes the state's colour in an open mark, so no two populations look alike. The palette has
    seven colours; past seven states or groups the rest are drawn in grey, alike."""
    groups = list(dict.fromkeys(p.removesuffix(PRISONERS) for p in populations))
    colour = {
        g: POPULATION_COLOURS[i] if i < len(POPULATION_COLOURS) else "#777777"
        for i, g in enumerate(groups)
    }
    return {p: (colour[p.removesuffix(PRISONERS)], p.endswith(PRISONERS)) for p in populations}


def deaths_over_time(
    deaths: pd.DataFrame, number: int, redact: Callable[[str], str]
) -> Figure | None:
    """deaths: as_of_date_start, value, counter, population, qualifier_label. Never summed or joined."""
    if deaths.empty:
        return None
    fig, ax = plt.subplots(figsize=(WIDTH_IN, 3.4))
    populations = sorted(deaths["population"].unique())
    counters = sorted(deaths["counter"].unique())
    marker_cycle = ["o", "s", "^", "D", "v", "P"]
    marker_of = {c: marker_cycle[i % len(marker_cycle)] for i, c in enumerate(counters)}
    look = population_marks(populations)
    # identical marks drawn once: the picture is the same, and drawing stays fast at any size
    marks = deaths.drop_duplicates(["as_of_date_start", "value", "population", "counter"])
    for (population, counter), group in marks.groupby(["population", "counter"], sort=True):
        colour, open_mark = look[str(population)]
        ax.scatter(
            group["as_of_date_start"],
            group["value"],
            s=48,
            marker=marker_of[str(counter)],
            facecolors="white" if open_mark else colour,
            edgecolors=colour,
            linewidths=1.6,
            zorder=3,
            rasterized=len(marks) > DENSE,
        )
    placed: list[tuple[float, float]] = []
    labels = deaths.drop_duplicates(
        ["as_of_date_start", "value", "qualifier_label"]
    )  # one label per distinct point
    for row in labels.sort_values("value").itertuples():
        x = mdates.date2num(row.as_of_date_start)
        dy = 0.0
        while any(abs(x - px) < 60 and abs(row.value + dy - py) < 4 for px, py in placed):
            dy += 4.5  # nudge labels of nearby points apart
        placed.append((x, row.value + dy))
        prefix = {"at least": "≥", "about": "~", "more than": ">"}.get(row.qualifier_label, "")
        ax.annotate(
            f"{prefix}{row.value:g}",
            (row.as_of_date_start, row.value),
            xytext=(7, dy * 2.2 - 3),
            textcoords="offset points",
            fontsize=SMALLEST_TEXT,
        )
    ax.set(xlabel="Count as of", ylabel="Deaths counted")
    ax.set_ylim(0, float(deaths["value"].max()) * 1.2)
    ax.xaxis.set_major_locator(mdates.AutoDateLocator())
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))

    def entry(marker: str, colour: str, face: str) -> plt.Line2D:
        return plt.Line2D(
            [],
            [],
            marker=marker,
            linestyle="",
            markersize=6.5,
            color=colour,
            markerfacecolor=face,
            markeredgewidth=1.6,
        )

    def heading() -> plt.Line2D:
        return plt.Line2D([], [], linestyle="", marker="")

    handles = [heading()]
    labels = ["Population"]
    for population in populations:
        colour, open_mark = look[population]
        handles.append(entry("o", colour, "white" if open_mark else colour))
        labels.append(population)
    handles.append(heading())
    labels.append("Counted by")
    for counter in counters:
        handles.append(entry(marker_of[counter], "#333333", "#333333"))
        labels.append(counter)
    ax.legend(
        handles,
        labels,
        loc="upper left",
        bbox_to_anchor=(0.0, -0.16),
        frameon=False,
        fontsize=SMALLEST_TEXT,
    )
    sns.despine(ax=ax)
    parts = _listed(
        deaths,
        lambda r: (
            f"{r.counter}, {r.as_of_date_start:%B %Y}, {r.population}: {r.qualifier_label} {r.value:g}"
        ),
        "data/figures.csv",
    )
    return _finish(
        number,
        "Counts of the dead over time, by population (colour; open marks count prisoners) and counter (shape). ≥ marks 'at least', ~ 'about'. Each point is one count; different populations and methods are never added together.",
        f"Scatter chart of death counts. {parts}.",
        fig,
        redact,
    )


# ----------------------------------------------------------------------- later analyses
# Each draws a typed result of an analysis module (sentencing, prosecutions, channels).

SENTENCE_MARKS = {  # kind: (marker, face, edge); filled marks are custodial, open ones are not
    "prison": ("o", "#000000", "#000000"),
    "penal_colony": ("s", "#000000", "#000000"),
    "restricted_freedom": ("D", "white", "#D55E00"),
    "corrective_labour": ("^", "white", "#CC79A7"),
    "conditional": ("o", "white", "#009E73"),
}
SENTENCE_KIND_NAMES = {
    "prison": "prison",
    "penal_colony": "penal colony",
    "restricted_freedom": "restricted freedom",
    "corrective_labour": "corrective labour",
    "conditional": "conditional sentence",
}
_SENTENCE_MARK_OTHER = ("v", "white", "#555555")


def _years_text(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _range_text(low: float | None, high: float) -> str:
    return f"up to {high:g}" if low is None else f"{low:g}–{high:g}"


def _spread(xs: list[float], gap: float) -> list[float]:
    """Vertical offsets within a lane, so marks closer than `gap` years do not hide each other."""
    offsets, last, flip = [], None, 1
    for x in xs:
        if last is not None and x - last < gap:
            flip = -flip
            offsets.append(0.2 * flip)
        else:
            flip = 1
            offsets.append(0.0)
        last = x
    return offsets


def _sentence_words(s: Sentence) -> str:
    """'10 years in prison', 'four years of restricted freedom', 'a conditional sentence of
    five years': each kind as a reporter writes it."""
    return {
        "prison": f"{s.term_text} in prison",
        "penal_colony": f"{s.term_text} in a penal colony",
        "conditional": f"a conditional sentence of {s.term_text}",
    }.get(s.kind, f"{s.term_text} of {s.kind_label}")


def sentences_against_statute(
    result: SentencesResult, number: int, redact: Callable[[str], str]
) -> Figure | None:
    """result: a sentencing.SentencesResult. Only states with a sentence in scope are drawn; each
    provision is a bar of its reported range, and each sentence a mark of its kind: custodial
    terms on the bar of the article they were handed down under, sentences served outside prison
    on a lane of their own (their length is the length of that sentence, not years of prison)."""
    if not result.has_sentences:
        return None
    # lanes: (label, kind, payload); kinds: statute, free (non-custodial), range, unnamed
    lanes: list[tuple[str, str, Any]] = []
    separators: list[float] = []
    for country in (c for c in result.countries if c.sentences):
        if lanes:
            separators.append(len(lanes) - 0.5)
        for statute in country.statutes:
            if statute.superseded and not any(
                s.provision_id == statute.provision_id for s in country.sentences
            ):
                continue  # an old text no sentence was handed down under: the table keeps it
            on_bar = [
                s
                for s in country.sentences
                if s.provision_id == statute.provision_id and s.custodial
            ]
            lanes.append((statute.label, "statute", (statute, on_bar)))
            free = [
                s
                for s in country.sentences
                if s.provision_id == statute.provision_id and not s.custodial
            ]
            if free:
                lanes.append((f"{statute.label}: sentences outside prison", "free", free))
            for reported in country.reported_ranges:
                if reported.provision_id == statute.provision_id:
                    lanes.append((f"{statute.label}: earlier terms reported", "range", reported))
        drawn = {statute.provision_id for statute in country.statutes}
        unnamed = [s for s in country.sentences if s.provision_id not in drawn]
        if unnamed:  # no article named, or one whose text this brief does not hold
            what = (
                "article not named"
                if all(s.provision_id is None for s in unnamed)
                else "no range to compare"
            )
            lanes.append((f"{country.country} sentences, {what}", "unnamed", unnamed))
    height = 0.3 * len(lanes) + 1.45
    fig, ax = plt.subplots(figsize=(WIDTH_IN, height))
    fig.subplots_adjust(bottom=0.75 / height, top=1 - 0.1 / height)  # the axis label inside
    kinds_drawn: list[str] = []
    longest = 0.0

    def marks(y: float, sentences: list[Any]) -> None:
        nonlocal longest
        ordered = sorted(sentences, key=lambda s: (s.term_years, s.case_id))
        offsets = _spread([s.term_years for s in ordered], 0.45)
        for s, dy in zip(ordered, offsets, strict=True):
            marker, face, edge = SENTENCE_MARKS.get(s.kind, _SENTENCE_MARK_OTHER)
            ax.plot(
                [s.term_years],
                [y + dy],
                marker=marker,
                markersize=7,
                markerfacecolor=face,
                markeredgecolor=edge,
                markeredgewidth=1.4,
                linestyle="",
                zorder=4,
            )
            if s.kind not in kinds_drawn:
                kinds_drawn.append(s.kind)
            longest = max(longest, s.term_years)
            if s.set_aside:
                ax.annotate(  # to the left: the right of the plot holds the range labels
                    "later set aside",
                    (s.term_years, y + dy),
                    xytext=(-8, -3),
                    textcoords="offset points",
                    ha="right",
                    fontsize=SMALLEST_TEXT,
                )

    for i, (_, kind, payload) in enumerate(lanes):
        if kind == "statute":
            statute, on_bar = payload
            colour = (
                "#999999"
                if statute.superseded
                else (OKABE_ITO[5] if statute.penalty_kind == "imprisonment" else OKABE_ITO[4])
            )
            start = 0.0 if statute.min_years is None else statute.min_years
            ax.hlines(
                i,
                start,
                statute.max_years,
                colors=colour,
                linewidth=7,
                alpha=0.4 if statute.min_years is None else 1.0,  # pale: only a maximum
                zorder=2,
            )
            ax.plot([statute.max_years], [i], marker="|", markersize=11, color=colour)
            ax.annotate(
                _range_text(statute.min_years, statute.max_years),
                (statute.max_years, i),
                xytext=(6, -3),
                textcoords="offset points",
                fontsize=SMALLEST_TEXT,
            )
            longest = max(longest, statute.max_years)
            marks(i, on_bar)
        elif kind == "range":
            ax.hlines(
                i, payload.low_years, payload.high_years, colors="#333333", linewidth=2, zorder=2
            )
            for x in (payload.low_years, payload.high_years):
                ax.plot([x], [i], marker="|", markersize=9, color="#333333")
            ax.annotate(
                f"{_range_text(payload.low_years, payload.high_years)}, prison",
                (payload.high_years, i),
                xytext=(6, -3),
                textcoords="offset points",
                fontsize=SMALLEST_TEXT,
            )
            longest = max(longest, payload.high_years)
        else:
            marks(i, payload)
    _labels_inside(fig, ax, [label for label, _, _ in lanes])
    for y in separators:
        ax.axhline(y, color="#cccccc", linewidth=0.8)
    ax.set_ylim(len(lanes) - 0.5, -0.6)
    ax.set_xlim(0, longest + 6)
    ax.set(xlabel="Years: the statute's range, or the length\nof a sentence of its kind", ylabel="")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(axis="y", visible=False)
    handles: list[Any] = [Patch(color=OKABE_ITO[5], label="range reported: prison")]
    if any(kind == "statute" and payload[0].min_years is None for _, kind, payload in lanes):
        handles.append(Patch(color=OKABE_ITO[5], alpha=0.4, label="only a maximum reported"))
    if any(
        s.penalty_kind != "imprisonment" and not s.superseded
        for label, kind, payload in lanes
        if kind == "statute"
        for s in [payload[0]]
    ):
        handles.append(Patch(color=OKABE_ITO[4], label="fine or correctional labour"))
    if any(kind == "statute" and payload[0].superseded for _, kind, payload in lanes):
        handles.append(Patch(color="#999999", label="superseded text"))
    if any(kind == "range" for _, kind, _ in lanes):
        handles.append(
            plt.Line2D(
                [],
                [],
                color="#333333",
                linewidth=2,
                marker="|",
                markersize=9,
                label="earlier terms (prison)",
            )
        )
    for kind in [k for k in SENTENCE_MARKS if k in kinds_drawn] + [
        k for k in kinds_drawn if k not in SENTENCE_MARKS
    ]:
        marker, face, edge = SENTENCE_MARKS.get(kind, _SENTENCE_MARK_OTHER)
        handles.append(
            plt.Line2D(
                [],
                [],
                marker=marker,
                markersize=7,
                markerfacecolor=face,
                markeredgecolor=edge,
                markeredgewidth=1.4,
                linestyle="",
                label="sentence: " + SENTENCE_KIND_NAMES.get(kind, kind.replace("_", " ")),
            )
        )
    # below the chart, from the figure's left edge: under the plot alone it ran past the
    # figure's right edge, and a wider chart is shrunk on a phone
    ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(0.0, 0.0),
        bbox_transform=fig.transFigure,
        frameon=False,
        ncol=2,
        columnspacing=0.6,
        handletextpad=0.3,
    )
    sns.despine(ax=ax, left=True)
    described = []
    for country in result.countries:
        for s in country.sentences:
            charged = next((t for t in country.statutes if t.provision_id == s.provision_id), None)
            if charged is None:
                against = "the article not named"
            else:
                span = _range_text(charged.min_years, charged.max_years).replace("–", " to ")
                against = f"under {charged.label}, whose reported penalty is {span} years" + (
                    " in prison" if charged.penalty_kind == "imprisonment" else ""
                )
            probation = f" with {s.probation_text}' probation" if s.probation_text else ""
            later = "; the verdict was later set aside" if s.set_aside else ""
            described.append(
                f"{country.country_name}, {s.decided}: {_sentence_words(s)}{probation}, {against}{later}"
            )
    ranges = [
        f"{c.country_name}: earlier terms reported as {r.value_text}"
        for c in result.countries
        for r in c.reported_ranges
    ]
    not_drawn = [c.country_name for c in result.countries if not c.sentences]
    rest = (
        f" No sentence is recorded for {' or '.join([', '.join(not_drawn[:-1]), not_drawn[-1]] if len(not_drawn) > 1 else not_drawn)}."
        if not_drawn
        else ""
    )
    drawn_states = [c.country_name for c in result.countries if c.sentences]
    return _finish(
        number,
        f"Sentences handed down in {_and(drawn_states)}, drawn against the penalty ranges "
        "reported for that state's provisions"
        + (f" ({_and(not_drawn)}: no sentence recorded, not drawn)" if not_drawn else "")
        + ". The comparison is the analysts'; no source makes it. Filled marks are prison "
        "terms; open marks are sentences served outside prison, whose length is not years in "
        "prison. Sentences whose article the source does not name sit on a lane of their own.",
        "Interval chart of statutory ranges with the sentences handed down. "
        + "; ".join(described + ranges)
        + "."
        + rest,
        fig,
        redact,
    )


def _count_words(n: int, noun: str) -> str:
    small = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    return f"{small[n] if n < 10 else n} {noun}{'' if n == 1 else 's'}"


def prosecutions_over_time(
    result: ProsecutionsResult, number: int, redact: Callable[[str], str]
) -> Figure | None:
    """result: a prosecutions.ProsecutionsResult. Reported counts of criminal cases (by counter)
    above, convictions recorded one by one below; the two are never added, nor are counters.
    The caption's citations are added by the section (prosecutions_sources): the drawing
    depends on the points alone, the citations on the brief's numbering of its references."""
    if result.is_empty:
        return None
    from .params import COUNTRY_NAMES

    panels = (["cases"] if result.case_counts else []) + (
        ["convictions"] if result.convictions else []
    )
    # the cases' panel holds labels of two lines and counts in words: it gets more height
    heights = [1.8 if p == "cases" else 1.3 for p in panels]
    fig, axes = plt.subplots(
        len(panels),
        1,
        figsize=(WIDTH_IN, sum(heights) + 0.6),
        sharex=True,
        squeeze=False,
        gridspec_kw={"height_ratios": heights},
    )
    years = [c.year for c in result.case_counts] + [c.year for c in result.convictions]
    counters = sorted({c.counted_by for c in result.case_counts})
    colour_of_counter = {c: OKABE_ITO[i % len(OKABE_ITO)] for i, c in enumerate(counters)}
    countries = sorted({c.country for c in result.convictions})
    colour_of_country = {c: OKABE_ITO[(i + 2) % len(OKABE_ITO)] for i, c in enumerate(countries)}
    for ax, panel in zip(axes[:, 0], panels, strict=True):
        if panel == "cases":
            groups: dict[tuple[str, int], list[Any]] = {}
            for c in result.case_counts:
                groups.setdefault((c.country, c.year), []).append(c)
            top = max((c.value or 0.0) for c in result.case_counts) or 1.0
            for (_, year), points in groups.items():
                for k, c in enumerate(points):
                    x = year + (k - (len(points) - 1) / 2) * 0.3  # two counters: side by side
                    label = f"{c.value_text} ({c.counted_by_short})"
                    if c.value is None:  # no number: said in words, above the axis
                        if c.period:  # the years before one: written left of that year's tick
                            label = f"{c.value_text} {c.period} ({c.counted_by_short})"
                            x = year - 0.2
                        ax.annotate(
                            textwrap.fill(f"{label}: no number given", 20),
                            (x, top * 0.62),
                            ha="center",
                            va="center",
                            fontsize=SMALLEST_TEXT,
                            style="italic",
                            color="#333333",
                        )
                        continue
                    ax.plot(
                        [x],
                        [c.value],
                        marker="o",
                        markersize=7,
                        color=colour_of_counter[c.counted_by],
                        linestyle="",
                        zorder=3,
                        clip_on=False,  # a count near zero is drawn whole, over the axis
                    )
                    # a small count, or the right one of a pair, is labelled to its right; the
                    # left one of a pair to its left; others above
                    if len(points) > 1 and k == 0:
                        offset, align = (-8, 2), "right"
                    elif c.value < top * 0.3 or len(points) > 1:
                        offset, align = (8, 2), "left"
                    else:
                        offset, align = (0, 6), "center"
                    ax.annotate(
                        textwrap.fill(label, 20),
                        (x, c.value),
                        xytext=offset,
                        textcoords="offset points",
                        ha=align,
                        va="bottom",
                        fontsize=SMALLEST_TEXT,
                    )
            ax.set_ylim(0, top * 1.45)  # room for a two-line label under the title
            many = len({c.country for c in result.case_counts}) > 1
            ax.set_ylabel("Criminal cases\nas reported" + (" (by state)" if many else ""))
            ax.set_title(
                "Criminal cases, as reported"
                if many
                else f"{COUNTRY_NAMES.get(result.case_counts[0].country, '')}: criminal cases, "
                "as reported",
                loc="left",
                fontsize=SMALLEST_TEXT + 0.5,
            )
        else:
            # each group at its place on the axis: a year's tick, or the day by which verdicts
            # whose year is not given were reported; groups that would touch are spread apart
            placed: list[tuple[float, Any]] = []
            for v in sorted(result.convictions, key=lambda v: (v.position, v.reported)):
                x = v.position
                if placed and x - placed[-1][0] < 0.4:
                    x = placed[-1][0] + 0.4
                placed.append((x, v))
            top = float(max(v.convictions for v in result.convictions))
            for k, (x, c) in enumerate(placed):
                colour = colour_of_country[c.country]
                ax.plot(
                    [x],
                    [c.convictions],
                    marker="s",
                    markersize=7,
                    markerfacecolor="white" if c.reported else colour,  # open: year not given
                    markeredgecolor=colour,
                    markeredgewidth=1.4,
                    color=colour,
                    linestyle="",
                    zorder=3,
                    clip_on=False,  # a count near zero is drawn whole, over the axis
                )
                # a short label (the state is the colour, the full date in the caption), set
                # higher for every other mark where marks crowd
                words = [str(c.convictions)] + (["later set aside"] if c.set_aside else [])
                if c.reported:
                    words.append(_short_months(c.reported.replace("reported ", "")).split(",")[0])
                # a lone mark well before the next is labelled to its right, under the legend;
                # of the others, every other label sits above all the marks, clear of its
                # neighbours' labels
                beside = k == 0 and len(placed) > 1 and placed[1][0] - x > 0.9
                raised = bool(k % 2) and len(placed) > 2
                ax.annotate(
                    ", ".join(words) if beside else textwrap.fill(", ".join(words), 12),
                    (x, top if raised else c.convictions),
                    xytext=(8, 0) if beside else (0, 30 if raised else 6),
                    textcoords="offset points",
                    ha="left" if beside else "center",
                    va="center" if beside else "bottom",
                    fontsize=SMALLEST_TEXT,
                )
            shown: list[Any] = [
                Patch(color=colour_of_country[c], label=COUNTRY_NAMES.get(c, c)) for c in countries
            ]
            if any(v.reported for v in result.convictions):
                shown.append(
                    plt.Line2D(
                        [],
                        [],
                        marker="s",
                        markersize=6,
                        markerfacecolor="white",
                        markeredgecolor="#555555",
                        linestyle="",
                        label="year not given",
                    )
                )
            ax.legend(
                handles=shown,
                loc="upper left",
                frameon=False,
                fontsize=SMALLEST_TEXT,
                handlelength=1.0,
                borderaxespad=0.1,
            )
            ax.set_ylim(0, top * 2.4 + 0.8)  # room for labels set at two heights
            ax.set_ylabel("Convictions\nrecorded")
            ax.set_title(
                "Convictions reported, by year of verdict",
                loc="left",
                fontsize=SMALLEST_TEXT + 0.5,
            )
        ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
        sns.despine(ax=ax)
    fig.subplots_adjust(left=0.2, right=0.97)  # the two-line axis labels inside the width
    low, high = min(years), max(years)
    right = max([high + 0.9] + [v.position + 0.6 for v in result.convictions])
    axes[-1, 0].set_xlim(low - 0.9, right)
    axes[-1, 0].set_xticks(range(low, high + 1))
    axes[-1, 0].set_xlabel("Year")
    parts = [
        f"{COUNTRY_NAMES.get(c.country, c.country)}, {c.when}: {c.value_text} ({c.measure[:1].lower()}{c.measure[1:]}), counted by {c.counted_by}"
        for c in result.case_counts
    ] + [
        f"{COUNTRY_NAMES.get(c.country, c.country)}, {c.reported or c.year}: {_count_words(c.convictions, 'conviction')} recorded"
        + (
            (
                ", later set aside"
                if c.convictions == 1
                else f", {len(c.set_aside)} of them later set aside"
            )
            if c.set_aside
            else ""
        )
        for c in result.convictions
    ]
    kind = "Two-panel chart" if len(panels) == 2 else "Chart"
    return _finish(
        number,
        _prosecutions_caption(result),
        f"{kind} of prosecutions by year. " + "; ".join(parts) + ".",
        fig,
        redact,
    )


def _short_months(text: str) -> str:
    """'by 8 January 2025' -> 'by 8 Jan 2025': a label that fits beside its neighbours."""
    from .scope import MONTHS

    for month in MONTHS:
        text = text.replace(month, month[:3])
    return text


def _and(names: list[str]) -> str:
    return " and ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else "".join(names)


def _state_name(code: str) -> str:
    from .params import COUNTRY_NAMES

    return COUNTRY_NAMES.get(code, code)


def _prosecutions_caption(result: ProsecutionsResult) -> str:
    """The caption: what is counted, by whom, never summed."""
    state = _state_name  # a short name, in the sentences below
    text = ["Prosecutions by year."]
    both = bool(result.case_counts and result.convictions)
    if result.case_counts:
        states = _and(list(dict.fromkeys(state(c.country) for c in result.case_counts)))
        counters = _and(list(dict.fromkeys(c.counted_by for c in result.case_counts)))
        text.append(
            f"{'Above, criminal' if both else 'Criminal'} cases in {states} over citizens who "
            "went to the war: each point is one count as its counter reported it "
            f"({counters}); counts from different counters are not summed, and a count given "
            "only in words is written, not drawn."
        )
    if result.convictions:
        text.append(
            f"{'Below, convictions' if both else 'Convictions'} at home by state and year of "
            "verdict, counted by the analysts verdict by verdict from the reports of each case. "
            "Open marks are verdicts whose year the sources do not give: each sits at the day "
            "by which it was reported, or is labelled as undated, and is counted in no year."
        )
    if both:
        text.append("Cases and convictions are different measures, never added.")
    return " ".join(text)


def prosecutions_sources(result: ProsecutionsResult, cite: Callable[..., str]) -> str:
    """The sources of Figure 'prosecutions over time', as markup for its caption: one
    citation per point."""
    state = _state_name
    points: list[str] = []
    for code in dict.fromkeys(c.country for c in result.case_counts):
        marks = [
            f"{escape(c.when)} ({escape(c.counted_by_short)}) {cite(*c.claim_ids)}"
            for c in result.case_counts
            if c.country == code
        ]
        points.append(f"{escape(state(code))} cases, " + ", ".join(marks))
    for code in dict.fromkeys(c.country for c in result.convictions):
        marks = [
            f"{escape(c.reported or str(c.year))} {cite(*c.claim_ids)}"
            for c in result.convictions
            if c.country == code
        ]
        points.append(f"{escape(state(code))} convictions, " + ", ".join(marks))
    return "Sources of the points: " + "; ".join(points) + "."


def recruitment_channels(
    result: ChannelsResult, number: int, redact: Callable[[str], str]
) -> Figure | None:
    """result: a channels.ChannelsResult. Individuals whose case shows each channel, counted once
    each, by side; a channel whose cases hold two records that may be one person is starred."""
    rows = result.in_cases
    if not rows:
        return None
    data = pd.DataFrame(
        [
            {"tactic": r.name + ("*" if r.n_possibly_same else ""), "side": side, "cases": n}
            for r in rows
            for side, n in r.cases_by_side().items()
        ]
    )
    order = list(dict.fromkeys(data["tactic"].tolist()))
    fig, ax = plt.subplots(figsize=(WIDTH_IN, 0.4 * len(order) + 1.2))
    sns.barplot(
        data=data,
        y="tactic",
        x="cases",
        hue="side",
        order=order,
        palette=SIDE_COLOURS,
        ax=ax,
        orient="h",
    )
    for container in ax.containers:
        ax.bar_label(container, fmt="%d", padding=2, fontsize=SMALLEST_TEXT)  # type: ignore[arg-type]
    _labels_inside(fig, ax, order)
    ax.set_xlim(0, float(data["cases"].max()) * 1.2)
    ax.set(xlabel="Individuals whose case shows the channel", ylabel="")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(
        title="Side fought for",
        frameon=False,
        loc="lower left",
        bbox_to_anchor=(0.0, 1.02),
        borderaxespad=0,
        ncol=2,
        alignment="left",
    )
    sns.despine(ax=ax, left=True)
    starred = any(r.n_possibly_same for r in rows)
    return _finish(
        number,
        "How people were recruited: the individuals whose case shows each channel, each counted "
        "once however many reports show it. One case can show several channels."
        + (" * Two of the records counted may be one man (see the case files)." if starred else ""),
        "Horizontal bar chart of recruitment channels by individuals. "
        + "; ".join(
            f"{r.name}: {r.n_cases}"
            + (" (two of these records may be one person)" if r.n_possibly_same == 1 else "")
            + (
                f" ({r.n_possibly_same} pairs of these records may each be one person)"
                if r.n_possibly_same > 1
                else ""
            )
            for r in rows
        )
        + ".",
        fig,
        redact,
    )
