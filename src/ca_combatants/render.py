"""Render one brief: papermill executes the notebook, the section outputs become one
self-contained HTML page, WeasyPrint lays that page out as a tagged PDF, and the four files
are published together (publish.py), or not at all."""

from __future__ import annotations

import contextlib
import datetime
import functools
import hashlib
import json
import logging
import os
import platform
import re
import subprocess
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from jinja2 import Environment

from . import csl, pdf, publish
from .datafiles import Description, describe, validated_before
from .errors import OutputDirError
from .kernel import KERNEL_ARGUMENTS, KERNEL_NAME, check_kernel, run_in_kernel
from .params import BriefParams
from .paths import DEFAULT_DATA_DIR, NOTEBOOK, REPO_ROOT, TEMPLATES_DIR
from .sections import SECTION_TITLES, SECTIONS, headings
from .templates_env import template_environment

SUFFIXES = {
    "html": ".html",
    "pdf": ".pdf",
    "docx": ".docx",
    "ipynb": ".ipynb",
    "manifest": ".manifest.json",
    "references": ".references.json",
}
FORMATS = ("html", "pdf", "docx")  # chosen by --format; the rest always
DEFAULT_FORMATS = ("html", "pdf")
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
    parameters = params.model_dump(mode="json")
    if params.data_path.absolute() == DEFAULT_DATA_DIR:
        parameters["data_dir"] = None  # the default, wherever the repository is
    return {
        "brief": name,
        "parameters": parameters,
        "information_as_of": as_of.isoformat() if as_of else None,
        "data": {"version": data.version, "sha256": digest, "files": files},
        "notebook_sha256": hashlib.sha256(notebook.read_bytes()).hexdigest(),
        "python": platform.python_version(),
        "packages": versions,
        "repository": _git_commit(),
    }


# ----------------------------------------------------------------------------- steps


def check_data(data_dir: Path) -> None:
    """Validate the data package here, before any kernel starts: DataError with every problem,
    or DataDirError when the folder cannot be used at all. Files that passed this validator
    before (its stamp, see dataset.load) are not read again, here or in the kernel."""
    if validated_before(data_dir):
        return
    from . import dataset

    dataset.load(data_dir)  # validates, and stamps the package for the kernel's own load


def prepare_output_dir(output_dir: Path) -> Path:
    """The output folder, made if needed and proven writable; OutputDirError says why not."""
    folder = output_dir.absolute()
    if folder.exists() and not folder.is_dir():
        raise OutputDirError(f"--output-dir {output_dir} is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".write-test-{os.getpid()}"
        probe.touch()
        probe.unlink()
    except NotADirectoryError:
        raise OutputDirError(
            f"--output-dir {output_dir}: a part of that path is a file, not a folder"
        ) from None
    except OSError as exc:
        raise OutputDirError(
            f"--output-dir {output_dir}: cannot write there ({exc.strerror})"
        ) from None
    return folder


def execute_notebook(
    params: BriefParams, output: Path, notebook: Path = NOTEBOOK, kernel: str = KERNEL_NAME
) -> dict[str, Any]:
    """Run the notebook with papermill in a new kernel; on a failing cell, raise RenderError
    naming its section."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    logging.getLogger("papermill").setLevel(logging.ERROR)

    def run(manager: Any) -> None:
        papermill.execute_notebook(
            str(notebook),
            str(output),
            parameters=params.model_dump(mode="json"),
            kernel_name=kernel,
            km=manager,
            progress_bar=False,
            log_output=False,
            cwd=str(notebook.parent),
            extra_arguments=KERNEL_ARGUMENTS,
        )

    try:
        run_in_kernel(kernel, run)
    except PapermillExecutionError as exc:
        raise RenderError(_describe_failure(output, exc), exc.ename) from None
    nb: dict[str, Any] = json.loads(output.read_text(encoding="utf-8"))
    return nb


def _describe_failure(output: Path, exc: Any) -> str:
    where = "a cell"
    if output.exists():
        nb = json.loads(output.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell.get("metadata", {}).get("papermill", {}).get("exception"):
                section = _section_of(cell)
                tags = cell.get("metadata", {}).get("tags", [])
                where = (
                    f"section '{SECTION_TITLES.get(section, section)}'"
                    if section
                    else f"the {tags[0] if tags else 'untagged'} cell"
                )
                break
    return f"{where} failed: {exc.ename}: {exc.evalue}"


def section_html(nb: dict[str, Any], params: BriefParams) -> dict[str, str]:
    """The HTML each section cell displayed, by section name (every section these parameters
    include must have shown some)."""
    found: dict[str, str] = {}
    for cell in nb["cells"]:
        section, html = _section_of(cell), _cell_html(cell)
        if section is not None and html is not None:
            found[section] = html
    missing = [s.name for s in SECTIONS if s.included(params) and not found.get(s.name)]
    if missing:
        raise RenderError(
            f"the executed notebook shows no output for section(s): {', '.join(missing)}"
        )
    return found


def references_csl(nb: dict[str, Any]) -> list[Any]:
    """The references as CSL-JSON, as the references section's cell displayed them."""
    for cell in nb["cells"]:
        if _section_of(cell) == "references":
            for out in cell.get("outputs", []):
                if csl.MIME_TYPE in out.get("data", {}):
                    return list(out["data"][csl.MIME_TYPE])
    raise RenderError("the executed notebook shows no references as CSL-JSON")


def _section_of(cell: Any) -> str | None:
    tags = cell.get("metadata", {}).get("tags", [])
    return next((t.split(":", 1)[1] for t in tags if t.startswith("section:")), None)


def _cell_html(cell: Any) -> str | None:
    for out in cell.get("outputs", []):
        html = out.get("data", {}).get("text/html")
        if html:
            return html if isinstance(html, str) else "".join(html)
    return None


@functools.cache
def _environment() -> Environment:
    return template_environment()


def page_html(params: BriefParams, sections: dict[str, str], manifest: dict[str, Any]) -> str:
    """The self-contained HTML brief; its print CSS lays out the PDF."""
    listed = headings(params)  # in reading order; an absent section displayed nothing
    titled = [s for s in listed if sections.get(s)]
    toc = [{"id": s, "title": listed[s]} for s in titled]
    return (
        _environment()
        .get_template("page.html.j2")
        .render(
            params=params,
            css=(TEMPLATES_DIR / "brief.css").read_text(encoding="utf-8"),
            paper={"A4": "A4", "Letter": "letter"}[params.paper_size],
            toc=toc,
            manifest=manifest,
            manifest_json=json.dumps(manifest, sort_keys=True, separators=(",", ":")),
            parameters_json=json.dumps(manifest["parameters"], sort_keys=True, ensure_ascii=False),
            cover=sections["cover"],
            body=[sections[s] for s in titled],
        )
    )


def manifest_attachment(manifest: dict[str, Any]) -> pdf.Attachment:
    return pdf.Attachment(
        name="manifest.json",
        text=json.dumps(manifest, indent=2, sort_keys=True),
        description="How this brief was produced",
        # the brief's own date, not the clock's: same inputs, same bytes
        stamp=datetime.datetime.fromisoformat(manifest["information_as_of"]).replace(
            tzinfo=datetime.UTC
        ),
    )


# ----------------------------------------------------------------------------- the whole


def render(
    params: BriefParams,
    output_dir: Path,
    name: str = "brief",
    *,
    notebook: Path = NOTEBOOK,
    kernel: str = KERNEL_NAME,
    formats: tuple[str, ...] = DEFAULT_FORMATS,
) -> Rendered:
    """Render NAME.{html,pdf,ipynb,manifest.json} into output_dir, all or nothing.

    The data is validated first, in this process (DataError, DataDirError); the output folder
    is checked (OutputDirError); then papermill runs the notebook in a new kernel, and the
    section outputs become the HTML page and the PDF. A failing cell raises RenderError and
    keeps the executed notebook as NAME.failed.ipynb; any failure or interruption leaves the
    previously published files as they were (an interruption that comes while the files are
    switched waits for the switch, and carries `published = True`). A relative `data_dir` or
    `output_dir` is taken from the current folder. `notebook` and `kernel` choose another
    notebook with the same section cells, or another kernelspec. `formats` chooses which of
    html, pdf and docx are written."""
    start = time.perf_counter()
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise ValueError(
            f"bad --format {','.join(formats)}: give one or more of {', '.join(FORMATS)}"
        )
    kinds = [k for k in SUFFIXES if k in formats or k not in FORMATS]
    check_name(name)
    if not notebook.is_file():
        raise OutputDirError(f"--notebook {notebook}: no such notebook")
    check_kernel(kernel)
    data_dir = params.data_path.absolute()
    check_data(data_dir)
    folder = prepare_output_dir(output_dir)
    in_kernel = params.model_copy(update={"data_dir": str(data_dir)})
    failed_notebook = folder / f"{name}.failed.ipynb"
    try:
        with publish.staging(folder, name) as stage:
            try:
                nb = execute_notebook(in_kernel, stage.path(SUFFIXES["ipynb"]), notebook, kernel)
            except RenderError:
                if stage.path(SUFFIXES["ipynb"]).exists():  # kept for debugging
                    os.replace(stage.path(SUFFIXES["ipynb"]), failed_notebook)
                raise
            manifest = build_manifest(params, describe(data_dir), name)
            html = page_html(params, section_html(nb, params), manifest)
            if "html" in formats:
                stage.path(SUFFIXES["html"]).write_text(html, encoding="utf-8")
            try:
                if "pdf" in formats:
                    pdf.write_pdf(html, stage.path(SUFFIXES["pdf"]), manifest_attachment(manifest))
            except OSError:
                raise
            except Exception as exc:  # the PDF engine's own errors are many and undocumented
                raise RenderError(f"the PDF engine failed: {type(exc).__name__}: {exc}") from exc
            stage.path(SUFFIXES["references"]).write_text(
                json.dumps(references_csl(nb), indent=2, ensure_ascii=False) + "\n",
                encoding="utf-8",
            )
            if "docx" in formats:
                from . import docx

                try:
                    docx.write_docx(html, stage.path(SUFFIXES["docx"]), manifest)
                except docx.DocxError as exc:
                    raise RenderError(f"the Word file failed: {exc}") from exc
            stage.path(SUFFIXES["manifest"]).write_text(
                json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8"
            )
            published = stage.publish([SUFFIXES[k] for k in kinds])
    except OSError as exc:  # a full disk, a folder removed under us
        where = f" ({exc.filename})" if exc.filename else ""
        raise RenderError(
            f"cannot write the brief in {output_dir}: {exc.strerror or exc}{where}; "
            "the files published before are unchanged"
        ) from None
    with contextlib.suppress(FileNotFoundError):
        failed_notebook.unlink()
    for kind in FORMATS:  # a format an earlier render wrote, not this one: its link now dangles
        link = folder / f"{name}{SUFFIXES[kind]}"
        if kind not in kinds and link.is_symlink() and not link.exists():
            link.unlink()
    files = {kind: published[SUFFIXES[kind]] for kind in kinds}
    return Rendered(name, files, time.perf_counter() - start)
