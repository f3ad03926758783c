"""The HTML brief in headless Chromium at desktop and phone width, light and dark, network blocked:
no sideways scroll, legible charts, every image and link, and no axe-core violation."""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ca_combatants.params import parse_params
from ca_combatants.paths import REPO_ROOT
from ca_combatants.render import render

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SIZES = {"desktop": (1280, 900), "phone": (390, 844)}
SMALLEST_TEXT_PX = 9  # no chart label drawn smaller on screen than this
# Where axe-core's script is looked for: AXE_CORE_JS, the repository's node_modules (gitignored),
# then npm's global folder (`npm install -g axe-core`).
AXE_PATHS = [Path("node_modules/axe-core/axe.min.js")]


def axe_script() -> Path | None:
    if os.environ.get("AXE_CORE_JS"):
        return Path(os.environ["AXE_CORE_JS"])
    local = REPO_ROOT / AXE_PATHS[0]
    if local.is_file():
        return local
    npm = shutil.which("npm")
    if npm:
        root = subprocess.run([npm, "root", "-g"], capture_output=True, text=True, check=False)
        found = Path(root.stdout.strip()) / "axe-core" / "axe.min.js"
        if root.returncode == 0 and found.is_file():
            return found
    return None


needs_chromium = pytest.mark.skipif(
    not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
    reason="Debian's chromium is not installed (CI installs it)",
)


@pytest.fixture(scope="module")
def brief_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("browser")
    render(parse_params({}), out, "brief")
    return out / "brief.html"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


def open_page(browser: Any, html: Path, size: str, scheme: str) -> tuple[Any, list[str], list[str]]:
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme)
    page = context.new_page()
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def route(r: Any) -> None:
        requests.append(r.request.url)
        if r.request.url.startswith(("file:", "data:")):
            r.continue_()
        else:
            r.abort()

    page.route("**/*", route)
    page.goto(html.as_uri())
    page.wait_for_load_state("load")
    return page, errors, requests


def smallest_chart_text(src: str, shown_width: float) -> float:
    """The smallest text of an SVG chart in CSS pixels as shown: its font size in SVG units
    scaled by the shown width over the viewBox width."""
    svg = base64.b64decode(src.split(",", 1)[1]).decode("utf-8")
    box = re.search(r'viewBox="[-0-9.]+ [-0-9.]+ ([0-9.]+) [0-9.]+"', svg)
    sizes = [float(s) for s in re.findall(r"font-size: ?([0-9.]+)px", svg)]
    assert box and sizes, "chart SVG without viewBox or text"
    return min(sizes) * shown_width / float(box.group(1))


def screenshot(page: Any, name: str) -> None:
    """Full-page screenshots for a person to look at, when BRIEF_SCREENSHOTS names a folder."""
    folder = os.environ.get("BRIEF_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


@needs_chromium
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", list(SIZES))
def test_page_reads_at_every_size_and_scheme(
    browser: Any, brief_html: Path, size: str, scheme: str
) -> None:
    page, errors, requests = open_page(browser, brief_html, size, scheme)
    state = page.evaluate(
        """() => {
          const root = document.documentElement;
          const internal = [...document.querySelectorAll('a[href]')]
            .map(a => a.getAttribute('href')).filter(h => h.startsWith('#'));
          const external = [...document.querySelectorAll('a[href]')]
            .map(a => a.getAttribute('href')).filter(h => !h.startsWith('#'));
          return {
            scrollWidth: root.scrollWidth, clientWidth: root.clientWidth,
            scripts: document.scripts.length,
            images: [...document.images].map(i => ({
              complete: i.complete, natural: i.naturalWidth, src: i.getAttribute('src'),
              shown: i.getBoundingClientRect().width
                - parseFloat(getComputedStyle(i).paddingLeft) - parseFloat(getComputedStyle(i).paddingRight),
            })),
            internal: internal.length,
            unresolved: internal.filter(h => !document.getElementById(decodeURIComponent(h.slice(1)))),
            external,
            background: getComputedStyle(root).backgroundColor,
            ink: getComputedStyle(document.body).color,
            chartGround: [...document.querySelectorAll('figure.chart img')].map(i => getComputedStyle(i).backgroundColor),
            boxes: [...document.querySelectorAll('.table-box')].map(b => ({
              scrolls: b.scrollWidth > b.clientWidth, tabindex: b.getAttribute('tabindex'),
              role: b.getAttribute('role'), label: b.getAttribute('aria-label'),
            })),
          };
        }"""
    )
    screenshot(page, f"brief-{size}-{scheme}")
    page.context.close()
    assert state["scripts"] == 0  # the brief is script-free
    assert state["scrollWidth"] <= state["clientWidth"], (
        f"page is {state['scrollWidth']} px wide at {state['clientWidth']} px"
    )
    assert len(state["images"]) >= 2  # the brief proper's charts
    for image in state["images"]:
        assert image["complete"] and image["natural"] > 0
        assert smallest_chart_text(image["src"], image["shown"]) >= SMALLEST_TEXT_PX
    assert state["internal"] > 50 and state["unresolved"] == []
    assert all(re.fullmatch(r"https?://[^\s]+", href) for href in state["external"]), state[
        "external"
    ]
    # every table box is a labelled region a keyboard can reach and scroll
    assert len(state["boxes"]) >= 8
    assert all(b["tabindex"] == "0" and b["role"] == "region" for b in state["boxes"])
    assert all(
        re.fullmatch(r"Table \d+|Chronology of dated events", b["label"] or "")
        for b in state["boxes"]
    )
    if size == "phone":  # the wide tables are the ones that scroll, inside their box
        assert any(b["scrolls"] for b in state["boxes"])
    light = ("rgb(255, 255, 255)", "rgb(26, 26, 26)")
    if scheme == "light":
        assert (state["background"], state["ink"]) == light
    else:  # dark page, light text; each chart on the white panel it is drawn for
        assert state["background"] != light[0] and state["ink"] != light[1]
        assert sum(map(int, re.findall(r"\d+", state["background"]))) < 150
    assert set(state["chartGround"]) == {"rgb(255, 255, 255)"}
    assert errors == []
    assert all(u.startswith(("file:", "data:")) for u in requests), requests


@needs_chromium
def test_print_stays_light_in_a_dark_system(browser: Any, brief_html: Path) -> None:
    page, _, _ = open_page(browser, brief_html, "desktop", "dark")
    page.emulate_media(media="print", color_scheme="dark")
    colours = page.evaluate(
        "() => [getComputedStyle(document.documentElement).backgroundColor, getComputedStyle(document.body).color,"
        " getComputedStyle(document.querySelector('.table-box')).overflowX]"
    )
    page.context.close()
    # printed pages keep no ground of their own (the paper's; page numbers are laid over them)
    assert colours == ["rgba(0, 0, 0, 0)", "rgb(26, 26, 26)", "visible"]


@pytest.mark.skipif(
    not shutil.which("pdftoppm") and not os.environ.get("CI"),
    reason="poppler-utils' pdftoppm is not installed (CI installs it)",
)
def test_pdf_pages_show_their_text_under_the_page_numbers(brief_html: Path, tmp_path: Path) -> None:
    """The page stylesheet styles the PDF too: section pages show their text, not only their
    running heads (an opaque page ground once hid the content under the page-number layer)."""
    from PIL import Image

    pdf = brief_html.with_suffix(".pdf")
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "30",
            "-gray",
            "-f",
            "3",
            "-l",
            "8",
            "-png",
            str(pdf),
            str(tmp_path / "p"),
        ],
        check=True,
    )
    pages = sorted(tmp_path.glob("p-*.png"))
    assert len(pages) == 6
    inks = []
    for page in pages:
        shades = Image.open(page).convert("L").histogram()
        inks.append(sum(shades[:128]) / sum(shades))
    # at 30 dpi a page of text is about 1% dark pixels; with the content hidden, none
    assert sum(inks) / len(inks) > 0.004, inks


@needs_chromium
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", list(SIZES))
def test_axe_core_finds_no_violation(
    browser: Any, brief_html: Path, size: str, scheme: str
) -> None:
    script = axe_script()
    if script is None:
        if os.environ.get("CI"):
            pytest.fail("axe-core is not installed: `npm install -g axe-core` (or set AXE_CORE_JS)")
        pytest.skip("axe-core is not installed: `npm install -g axe-core` or set AXE_CORE_JS")
    page, _, _ = open_page(browser, brief_html, size, scheme)
    page.add_script_tag(path=str(script))
    result = page.evaluate(
        """async () => {
          const r = await axe.run(document, {resultTypes: ['violations']});
          return {passes: r.passes.length,
                  violations: r.violations.map(v => ({id: v.id, impact: v.impact,
                    nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}))};
        }"""
    )
    page.context.close()
    assert result["violations"] == []
    assert result["passes"] > 10  # axe ran its rules (colour contrast among them)
