"""Render one brief: papermill executes the notebook, the section outputs become one
self-contained HTML page, WeasyPrint makes the PDF. Files appear together or not at all."""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import hashlib
import importlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader

from . import dataset
from .params import BriefParams
from .paths import NOTEBOOK, REPO_ROOT, TEMPLATES_DIR
from .sections import SECTION_ORDER, SECTION_TITLES

KERNEL_NAME = "ca-brief"
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
PDF_IDENTIFIER_SALT = b"ca-brief"


class RenderError(Exception):
    """The render failed; the message says where and why."""


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
    params: BriefParams, data: dataset.Dataset, name: str, notebook: Path = NOTEBOOK
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
    as_of = params.as_of or data.sources["published_latest"].max().date()
    return {
        "brief": name,
        "parameters": params.model_dump(mode="json"),
        "information_as_of": as_of.isoformat(),
        "data": {"version": data.version, "sha256": digest, "files": files},
        "notebook_sha256": hashlib.sha256(notebook.read_bytes()).hexdigest(),
        "python": platform.python_version(),
        "packages": versions,
        "repository": _git_commit(),
    }


# ----------------------------------------------------------------------------- steps


def _skip_iri_grammar() -> None:
    """jupyter-events installs jsonschema's format extras; importing nbformat then builds an
    IRI grammar (rfc3987_syntax) for about 1.4 s that nbformat never uses. Marking that one
    module absent makes jsonschema skip the IRI format; every other check is unchanged."""
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def _preload_pdf_engine() -> threading.Thread:
    """Import WeasyPrint while the kernel works; the import releases the GIL often enough."""
    thread = threading.Thread(target=lambda: importlib.import_module("weasyprint"), daemon=True)
    thread.start()
    return thread


def execute_notebook(
    params: BriefParams, output: Path, kernel: str = KERNEL_NAME, notebook: Path = NOTEBOOK
) -> dict[str, Any]:
    """Run the notebook with papermill; on a failing cell, raise RenderError naming it."""
    _skip_iri_grammar()
    # papermill and WeasyPrint are imported late: only a render needs them, and they are heavy
    import papermill
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
        )
    except PapermillExecutionError as exc:
        raise RenderError(_describe_failure(output, exc)) from None
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
                section = next((t.split(":", 1)[1] for t in tags if t.startswith("section:")), None)
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
        tags = cell.get("metadata", {}).get("tags", [])
        section = next((t.split(":", 1)[1] for t in tags if t.startswith("section:")), None)
        if section is None:
            continue
        for out in cell.get("outputs", []):
            html = out.get("data", {}).get("text/html")
            if html:
                found[section] = html if isinstance(html, str) else "".join(html)
    missing = [s for s in SECTION_ORDER if s not in found]
    if missing:
        raise RenderError(
            f"the executed notebook shows no output for section(s): {', '.join(missing)}"
        )
    return found


def page_html(params: BriefParams, sections: dict[str, str], manifest: dict[str, Any]) -> str:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    css = (TEMPLATES_DIR / "brief.css").read_text(encoding="utf-8")
    toc = [
        {"id": s, "title": f"{i}. {SECTION_TITLES[s]}"}
        for i, s in enumerate(SECTION_ORDER)
        if s != "cover"
    ]
    return env.get_template("page.html.j2").render(
        params=params,
        css=css,
        paper={"A4": "A4", "Letter": "letter"}[params.paper_size],
        cover=sections["cover"],
        body=[sections[s] for s in SECTION_ORDER if s != "cover"],
        toc=toc,
        manifest=manifest,
        manifest_json=json.dumps(manifest, sort_keys=True, separators=(",", ":")),
        parameters_json=json.dumps(manifest["parameters"], sort_keys=True, ensure_ascii=False),
    )


def write_pdf(html: str, target: Path, manifest: dict[str, Any]) -> None:
    from weasyprint import HTML, Attachment

    manifest_text = json.dumps(manifest, indent=2, sort_keys=True)
    stamp = datetime.datetime.fromisoformat(manifest["information_as_of"]).replace(
        tzinfo=datetime.UTC
    )
    identifier = (
        hashlib.sha256(PDF_IDENTIFIER_SALT + html.encode("utf-8")).hexdigest()[:32].encode()
    )
    HTML(string=html, base_url=str(TEMPLATES_DIR)).write_pdf(
        str(target),
        pdf_identifier=identifier,  # derived from the content, so equal inputs give equal bytes
        custom_metadata=True,
        attachments=[
            Attachment(
                string=manifest_text,
                name="manifest.json",
                description="How this brief was produced",
                # WeasyPrint stamps attachments with the clock unless told: use the brief's own date
                created=stamp,
                modified=stamp,
            )
        ],
    )


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


def render(
    params: BriefParams,
    output_dir: Path,
    name: str = "brief",
    kernel: str = KERNEL_NAME,
    notebook: Path = NOTEBOOK,
) -> Rendered:
    """Render NAME.{html,pdf,ipynb,manifest.json} into output_dir, all or nothing."""
    start = time.perf_counter()
    check_name(name)
    data = dataset.load(params.data_path)  # DataError before any kernel starts
    output_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".tmp", dir=output_dir))
    try:
        manifest = build_manifest(params, data, name, notebook)
        staged = {
            "ipynb": work / f"{name}.ipynb",
            "html": work / f"{name}.html",
            "pdf": work / f"{name}.pdf",
            "manifest": work / f"{name}.manifest.json",
        }
        preload = _preload_pdf_engine()
        try:
            nb = execute_notebook(params, staged["ipynb"], kernel, notebook)
        except RenderError:
            if staged["ipynb"].exists():  # keep the executed notebook for debugging
                os.replace(staged["ipynb"], output_dir / f"{name}.failed.ipynb")
            raise
        html = page_html(params, section_html(nb), manifest)
        staged["html"].write_text(html, encoding="utf-8")
        preload.join()
        try:
            write_pdf(html, staged["pdf"], manifest)
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
        return Rendered(name, final, time.perf_counter() - start)
    finally:
        shutil.rmtree(work, ignore_errors=True)
