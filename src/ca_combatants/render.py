"""Render one brief: papermill executes the notebook, the section outputs become one
self-contained HTML page, WeasyPrint makes the PDF. Files appear together or not at all."""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import functools
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from jinja2 import Environment
from markupsafe import Markup

from . import pdf
from .datafiles import Description, describe, read_descriptor
from .kernel import KERNEL_NAME, skip_iri_grammar, started_kernel
from .params import BriefParams
from .paths import NOTEBOOK, REPO_ROOT, TEMPLATES_DIR
from .sections import SECTION_ORDER, SECTION_TITLES
from .templates_env import template_environment
from .zygote import Zygote

PDF_TIMEOUT_SECONDS = 1800  # a brief of 1,000 times the data takes under a minute
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
PACKAGES = (
    "ca-combatants",
    "pandas",
    "pyarrow",
    "pandera",
    "seaborn",
    "matplotlib",
    "jinja2",
    "papermill",
    "nbclient",
    "ipykernel",
    "weasyprint",
    "pikepdf",
    "pydantic",
)


class RenderError(Exception):
    """The render failed; the message says where and why."""

    def __init__(self, message: str, error_name: str | None = None):
        super().__init__(message)
        self.error_name = error_name  # the exception's class name, when a cell raised one


@dataclass(frozen=True)
class Rendered:
    name: str
    files: dict[str, Path]
    seconds: float


def check_name(name: str) -> str:
    if not NAME_PATTERN.match(name):
        raise ValueError(
            f"bad --name {name!r}: use letters, digits, '.', '_' or '-' (up to 100 characters), starting with a letter or digit"
        )
    return name


# ----------------------------------------------------------------------------- provenance


def _git_commit() -> dict[str, Any]:
    if not (REPO_ROOT / ".git").exists():
        return {"commit": None, "worktree_clean": None}
    try:
        commit = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout
        return {"commit": commit, "worktree_clean": status.strip() == ""}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "worktree_clean": None}


def build_manifest(
    params: BriefParams, data: Description, name: str, notebook: Path = NOTEBOOK
) -> dict[str, Any]:
    """Everything needed to say what produced a brief; no timestamps, no machine paths."""
    versions = {}
    for package in PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[package] = metadata.version(package)
    files = data.file_hashes
    digest = hashlib.sha256(
        "".join(f"{k}\0{v}\n" for k, v in sorted(files.items())).encode()
    ).hexdigest()
    as_of = params.as_of or data.newest_publication
    return {
        "brief": name,
        "parameters": params.model_dump(mode="json"),
        "information_as_of": as_of.isoformat() if as_of else None,
        "data": {"version": data.version, "sha256": digest, "files": files},
        "notebook_sha256": hashlib.sha256(notebook.read_bytes()).hexdigest(),
        "python": platform.python_version(),
        "packages": versions,
        "repository": _git_commit(),
    }


# ----------------------------------------------------------------------------- steps


def import_papermill() -> Any:
    """papermill, imported late (only a render needs it, and it is heavy), without nbformat's
    unused IRI grammar (kernel.skip_iri_grammar) and without pyarrow: papermill imports
    pyarrow (and numpy) only to offer hdfs:// paths, which a render never uses; that is a sixth
    of this process's work. pyarrow stays importable afterwards."""
    skip_iri_grammar()
    blocked = "pyarrow.fs" not in sys.modules
    if blocked:
        sys.modules["pyarrow.fs"] = None  # type: ignore[assignment]
    try:
        import papermill
    finally:
        if blocked and sys.modules.get("pyarrow.fs", ...) is None:
            del sys.modules["pyarrow.fs"]
    return papermill


def execute_notebook(
    params: BriefParams,
    output: Path,
    kernel: str = KERNEL_NAME,
    notebook: Path = NOTEBOOK,
    on_cell_executed: Callable[..., None] | None = None,
    kernel_manager: Any = None,
) -> dict[str, Any]:
    """Run the notebook with papermill (in `kernel_manager`'s kernel when one is given, else a
    new one); on a failing cell, raise RenderError naming it."""
    papermill = import_papermill()
    from papermill.exceptions import PapermillExecutionError

    try:
        papermill.execute_notebook(
            str(notebook),
            str(output),
            parameters=params.model_dump(mode="json"),
            kernel_name=kernel,
            progress_bar=False,
            log_output=False,
            cwd=str(REPO_ROOT),
            on_cell_executed=on_cell_executed,
            km=kernel_manager,
            # written once at the end (or on failure), not after every cell: the render
            # reads it only then, and each save re-validates the whole notebook
            request_save_on_cell_execute=False,
        )
    except PapermillExecutionError as exc:
        raise RenderError(_describe_failure(output, exc), exc.ename) from None
    nb: dict[str, Any] = json.loads(output.read_text(encoding="utf-8"))
    return nb


def _describe_failure(output: Path, exc: Any) -> str:
    where = f"cell {exc.exec_count}"
    if output.exists():
        nb = json.loads(output.read_text(encoding="utf-8"))
        code_cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
        for cell in nb["cells"]:
            if cell.get("metadata", {}).get("papermill", {}).get("exception"):
                tags = cell["metadata"].get("tags", [])
                section = _section_of(cell)
                label = (
                    f"section '{SECTION_TITLES.get(section, section)}'"
                    if section
                    else f"the {tags[0] if tags else 'untagged'} cell"
                )
                where = f"{label} (code cell {code_cells.index(cell) + 1} of {len(code_cells)} in the executed notebook)"
                break
    return f"{where} failed: {exc.ename}: {exc.evalue}"


def section_html(nb: dict[str, Any]) -> dict[str, str]:
    """The HTML each section cell displayed, by section name."""
    found: dict[str, str] = {}
    for cell in nb["cells"]:
        section, html = _section_of(cell), _cell_html(cell)
        if section is not None and html is not None:
            found[section] = html
    missing = [s for s in SECTION_ORDER if s not in found]
    if missing:
        raise RenderError(
            f"the executed notebook shows no output for section(s): {', '.join(missing)}"
        )
    return found


def css_string(text: str) -> Markup:
    """Quote text as a CSS string inside a <style> element."""
    escaped = "".join(
        f"\\{ord(ch):X} " if ch in '"\\<>&\n\r' or ord(ch) < 32 else ch for ch in text
    )
    return Markup(f'"{escaped}"')


@functools.cache
def _environment() -> Environment:
    env = template_environment()
    env.filters["css_string"] = css_string
    return env


def brief_css() -> str:
    return (TEMPLATES_DIR / "brief.css").read_text(encoding="utf-8")


def _page_context(
    params: BriefParams,
    manifest: dict[str, Any] | None,
    pages: list[int] | None = None,
    css: str | None = None,
) -> dict[str, Any]:
    titled = [s for s in SECTION_ORDER if s != "cover"]
    toc = [
        {"id": s, "title": f"{i}. {SECTION_TITLES[s]}", "page": pages[i - 1] if pages else None}
        for i, s in enumerate(titled, 1)
    ]
    context: dict[str, Any] = {
        "params": params,
        "css": brief_css() if css is None else css,
        "paper": {"A4": "A4", "Letter": "letter"}[params.paper_size],
        "toc": toc,
        "manifest": manifest,
    }
    if manifest is not None:
        context["manifest_json"] = json.dumps(manifest, sort_keys=True, separators=(",", ":"))
        context["parameters_json"] = json.dumps(
            manifest["parameters"], sort_keys=True, ensure_ascii=False
        )
    return context


def page_html(params: BriefParams, sections: dict[str, str], manifest: dict[str, Any]) -> str:
    """The self-contained HTML brief."""
    return (
        _environment()
        .get_template("page.html.j2")
        .render(
            _page_context(params, manifest),
            cover=sections["cover"],
            body=[sections[s] for s in SECTION_ORDER if s != "cover"],
        )
    )


def part_html(
    params: BriefParams,
    part: str,
    body: list[str],
    manifest: dict[str, Any] | None = None,
    cover: str = "",
    pages: list[int] | None = None,
) -> str:
    """One part of the PDF: "front" (cover and contents), "section", or "last" (with the footer).
    Without the brief's stylesheet, which the PDF workers apply under the part's own <style>."""
    return (
        _environment()
        .get_template("pdf_part.html.j2")
        .render(_page_context(params, manifest, pages, css=""), part=part, body=body, cover=cover)
    )


def numbers_html(params: BriefParams, pages: int) -> str:
    """Blank pages carrying the page numbers; without the brief's stylesheet, as part_html."""
    context = _page_context(params, None, css="")
    return _environment().get_template("page_numbers.html.j2").render(context, pages=pages)


class PdfParts:
    """Lays out each section on a worker as soon as the kernel has written it."""

    def __init__(
        self, params: BriefParams, workers: int, manifest: Future[dict[str, Any]], target: Path
    ):
        self.params = params
        self.pool = pdf.PartPool(workers)
        self._manifest = manifest
        self._sections: dict[str, str] = {}
        self.assembly = pdf.Assembly(
            self.pool,
            self.pool.workers,
            [s for s in SECTION_ORDER if s != "cover"],
            self._front,
            lambda total: numbers_html(params, total),
            target,
            brief_css(),
        )

    def section_done(self, name: str, html: str) -> None:
        self._sections[name] = html
        if name == "cover":
            return  # the front part, laid out once the page numbers are known
        if name == SECTION_ORDER[-1]:
            page = functools.partial(self._last_part, html)
        else:
            page = functools.partial(part_html, self.params, "section", [html])
        self.assembly.add(name, page, len(html))

    def _last_part(self, html: str) -> str:
        """The last section carries the footer, which needs the manifest."""
        return part_html(self.params, "last", [html], self._manifest.result())

    def on_cell_executed(self, cell: Any, **_: Any) -> None:
        """papermill's hook, run after each cell; a section cell's output goes to a worker."""
        name = _section_of(cell)
        html = _cell_html(cell)
        if name is not None and html is not None:
            self.section_done(name, html)

    def _front(self, starts: list[int]) -> tuple[str, bytes, pdf.Attachment]:
        manifest = self._manifest.result()
        html = part_html(
            self.params, "front", [], manifest, cover=self._sections.get("cover", ""), pages=starts
        )
        attachment = pdf.Attachment(
            name="manifest.json",
            text=json.dumps(manifest, indent=2, sort_keys=True),
            description="How this brief was produced",
            # WeasyPrint stamps attachments with the clock unless told: use the brief's own date
            stamp=datetime.datetime.fromisoformat(manifest["information_as_of"]).replace(
                tzinfo=datetime.UTC
            ),
        )
        identity = html + "".join(self._sections[s] for s in SECTION_ORDER if s in self._sections)
        return html, pdf.identifier(identity), attachment

    def write(self, sections: dict[str, str]) -> None:
        """Wait for the PDF, after queueing any section the hook did not see."""
        for name in SECTION_ORDER:
            if name not in self._sections:
                self.section_done(name, sections[name])
        try:
            self.assembly.done.result(timeout=PDF_TIMEOUT_SECONDS)
        except TimeoutError:
            raise RenderError(
                f"the PDF was not finished after {PDF_TIMEOUT_SECONDS} s; nothing was written"
            ) from None


def _section_of(cell: Any) -> str | None:
    tags = cell.get("metadata", {}).get("tags", [])
    return next((t.split(":", 1)[1] for t in tags if t.startswith("section:")), None)


def _cell_html(cell: Any) -> str | None:
    for out in cell.get("outputs", []):
        html = out.get("data", {}).get("text/html")
        if html:
            return html if isinstance(html, str) else "".join(html)
    return None


# ----------------------------------------------------------------------------- publishing


@contextlib.contextmanager
def _publish_lock(output_dir: Path, name: str) -> Iterator[None]:
    """Serialise the final renames, so two renders of one name never leave a mixed set.
    The lock is on the output folder itself: nothing is left behind."""
    fd = os.open(output_dir, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _default_pdf_workers() -> int:
    return max(1, min(2, os.cpu_count() or 1))


def render(
    params: BriefParams,
    output_dir: Path,
    name: str = "brief",
    kernel: str = KERNEL_NAME,
    notebook: Path = NOTEBOOK,
    pdf_workers: int | None = None,
    zygote: Zygote | None = None,
    kernel_manager: Any = None,
) -> Rendered:
    """Render NAME.{html,pdf,ipynb,manifest.json} into output_dir, all or nothing.

    The kernel starts at once and validates the data, as the notebook does when a user runs
    it; the parent process only hashes the files meanwhile, and lays out the PDF's sections on
    worker processes as the kernel writes them (`pdf_workers` of them, by default up to two;
    0 lays them out on a thread of this process, for a batch whose briefs fill the cores).
    A batch also passes a zygote, from which the kernel is forked; `ca-brief render` passes
    the `kernel_manager` of a kernel it started first (kernel.start_kernel). Either way the
    kernel is killed once the notebook has run.
    Invalid data raises DataError, as `validate` would report it."""
    start = time.perf_counter()
    check_name(name)
    data_dir = Path(params.data_path)
    read_descriptor(data_dir)  # DataDirError at once: no kernel for a missing folder
    output_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".tmp", dir=output_dir))
    staged = {
        "ipynb": work / f"{name}.ipynb",
        "html": work / f"{name}.html",
        "pdf": work / f"{name}.pdf",
        "manifest": work / f"{name}.manifest.json",
    }
    failed = True
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(shutil.rmtree, work, ignore_errors=True)
        # the kernel is the critical path: launched before the threads below compete for the
        # interpreter, it boots while they start; it is shut down as soon as the notebook has run
        try:
            with started_kernel(kernel, zygote, kernel_manager) as kernel_manager:
                hashing = ThreadPoolExecutor(max_workers=1)
                cleanup.callback(hashing.shutdown, cancel_futures=True)
                manifest_future = hashing.submit(
                    lambda: build_manifest(params, describe(data_dir), name, notebook)
                )
                workers = _default_pdf_workers() if pdf_workers is None else pdf_workers
                parts = PdfParts(params, workers, manifest_future, staged["pdf"])
                cleanup.callback(lambda: parts.pool.close(cancel=failed))
                nb = execute_notebook(
                    params,
                    staged["ipynb"],
                    kernel,
                    notebook,
                    parts.on_cell_executed,
                    kernel_manager,
                )
        except RenderError as exc:
            if exc.error_name in ("DataError", "DataDirError"):
                _raise_data_problems(data_dir)
            if staged["ipynb"].exists():  # keep the executed notebook for debugging
                os.replace(staged["ipynb"], output_dir / f"{name}.failed.ipynb")
            raise
        try:
            manifest = manifest_future.result()
        except (OSError, ValueError, KeyError, StopIteration):
            _raise_data_problems(data_dir)
            raise
        sections = section_html(nb)
        html = page_html(params, sections, manifest)
        staged["html"].write_text(html, encoding="utf-8")
        try:
            parts.write(sections)
        except Exception as exc:  # the PDF engine's own errors are many and undocumented
            raise RenderError(f"PDF engine failed: {type(exc).__name__}: {exc}") from exc
        staged["manifest"].write_text(
            json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
        final = {kind: output_dir / path.name for kind, path in staged.items()}
        with _publish_lock(output_dir, name):
            for kind, path in staged.items():
                os.replace(path, final[kind])
            with contextlib.suppress(FileNotFoundError):
                (output_dir / f"{name}.failed.ipynb").unlink()
        failed = False
        return Rendered(name, final, time.perf_counter() - start)


def _raise_data_problems(data_dir: Path) -> None:
    """Validate in this process, to raise DataError with every problem, as `validate` does."""
    from . import dataset  # pandas, only on this failure path

    dataset.load(data_dir)
