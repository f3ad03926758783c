"""Render many briefs in parallel: a grid of parameters or a YAML list of parameter sets.

Each brief is an ordinary `render` in a worker process (as many workers as cores, by
default). A worker ignores Ctrl-C, SIGTERM and SIGHUP between briefs and starts no other after
one; during a brief, the first of them stops that brief, which cleans up as an interrupted
`render` does. A worker whose batch dies is sent SIGTERM by the kernel (Linux)."""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import multiprocessing
import os
import signal
import sys
import time
from concurrent.futures import Future, ProcessPoolExecutor, as_completed, wait
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from tqdm import tqdm

from .interrupt import Interrupted
from .kernel import KERNEL_NAME
from .params import BriefParams, ParamsError, is_path, parse_params
from .paths import NOTEBOOK, TEMPLATES_DIR
from .render import RenderError, check_name, render
from .templates_env import template_environment

INDEX_NAME = "index"  # the batch writes index.html
INTERRUPTED = "interrupted: nothing was published"
NOT_STARTED = "not started: the batch was interrupted"
_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Job:
    name: str
    params: BriefParams


@dataclass(frozen=True)
class Outcome:
    name: str
    ok: bool
    seconds: float
    message: str
    files: dict[str, str] = field(default_factory=dict)
    failed_notebook: str | None = None  # kept for debugging, when a cell failed


def _unique(jobs: list[Job]) -> list[Job]:
    seen: dict[str, int] = {}
    for i, job in enumerate(jobs, 1):
        if job.name == INDEX_NAME:
            raise ParamsError(
                f"brief {i} is named {INDEX_NAME!r}, which the batch's own index.html takes; give it another name"
            )
        if job.name in seen:
            raise ParamsError(
                f"briefs {seen[job.name]} and {i} would both be named {job.name!r}; give each a different name or values"
            )
        seen[job.name] = i
    return jobs


def jobs_from_grid(grid: dict[str, list[str]], base: dict[str, Any]) -> list[Job]:
    """Every combination of the grid's values; names say which combination."""
    keys = list(grid)
    jobs = []
    for combo in itertools.product(*(grid[k] for k in keys)):
        values = dict(base)
        values.update(
            {k: (v.split("+") if k == "countries" else v) for k, v in zip(keys, combo, strict=True)}
        )
        name = "brief-" + "-".join(v.replace("+", "") for v in combo)
        try:
            jobs.append(Job(check_name(name), parse_params(values)))
        except (ParamsError, ValueError) as exc:
            raise ParamsError(f"--grid combination {'-'.join(combo)}: {exc}") from None
    return _unique(jobs)


def jobs_from_list(items: object, base: dict[str, Any], folder: Path) -> list[Job]:
    """A YAML list of parameter mappings, each may carry a `name`; relative paths in it are
    taken from `folder`, the file's own."""
    if not isinstance(items, list) or not items:
        raise ParamsError("the parameter-set file must hold a non-empty YAML list of mappings")
    jobs = []
    for i, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise ParamsError(
                f"parameter set {i}: expected a mapping of parameter names to values, got {type(item).__name__}"
            )
        values = dict(base)
        for key, value in item.items():
            if key != "name":
                wanted_path = is_path(str(key)) and isinstance(value, str) and value
                values[key] = os.path.normpath(folder / value) if wanted_path else value
        given = item.get("name")
        name = f"brief-{i:03d}" if given is None else str(given)
        try:
            jobs.append(Job(check_name(name), parse_params(values)))
        except (ParamsError, ValueError) as exc:
            raise ParamsError(f"parameter set {i} ({name}): {exc}") from None
    return _unique(jobs)


# ----------------------------------------------------------------------------- in a worker

_rendering = False  # this worker is rendering a brief: the first ending signal stops it
_stopping = False  # an ending signal came: this worker starts no other brief


_batch_pid = 0  # the batch that started this worker


def _on_signal(signum: int, _frame: FrameType | None) -> None:
    global _stopping
    first = not _stopping
    _stopping = True
    if _rendering and first:
        raise Interrupted(signum)
    if not _rendering and os.getppid() != _batch_pid:
        os._exit(128 + signum)  # the batch is gone: no one will hand this worker a brief


def _start_worker() -> None:
    global _batch_pid
    _batch_pid = os.getppid()
    for s in _SIGNALS:
        signal.signal(s, _on_signal)
    if sys.platform.startswith("linux"):  # end with the batch, however the batch ends
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _run(job: Job, output_dir: Path, notebook: Path, kernel: str) -> Outcome:
    global _rendering
    start = time.perf_counter()
    if _stopping:
        return Outcome(job.name, False, 0.0, NOT_STARTED)
    failed = output_dir / f"{job.name}.failed.ipynb"
    _rendering = True
    try:
        done = render(job.params, output_dir, job.name, notebook=notebook, kernel=kernel)
        _rendering = False
        files = {k: str(v) for k, v in done.files.items()}
        return Outcome(job.name, True, time.perf_counter() - start, "ok", files)
    except KeyboardInterrupt:
        if os.getppid() != _batch_pid:
            os._exit(1)  # its batch was killed: the brief has cleaned up, and no one waits
        return Outcome(job.name, False, time.perf_counter() - start, INTERRUPTED)
    except Exception as exc:  # one brief's failure must not stop the others
        message = str(exc) if isinstance(exc, RenderError) else f"{type(exc).__name__}: {exc}"
        kept = failed.name if failed.exists() else None
        return Outcome(job.name, False, time.perf_counter() - start, message, {}, kept)
    finally:
        _rendering = False


# ----------------------------------------------------------------------------- the batch


def run_batch(
    jobs: list[Job],
    output_dir: Path,
    workers: int | None = None,
    progress: bool = True,
    notebook: Path = NOTEBOOK,
    kernel: str = KERNEL_NAME,
) -> tuple[list[Outcome], KeyboardInterrupt | None]:
    """Render every job; return the outcomes in the jobs' order, and the interruption that cut
    the batch short, if one did (the briefs already published are kept and indexed)."""
    output_dir.mkdir(parents=True, exist_ok=True)
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    outcomes: dict[str, Outcome] = {}
    interrupted: KeyboardInterrupt | None = None
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
    )
    futures: dict[Future[Outcome], Job] = {}
    with tqdm(total=len(jobs), unit="brief", disable=not progress, desc="Rendering") as bar:
        try:
            futures = {pool.submit(_run, job, output_dir, notebook, kernel): job for job in jobs}
            for future in as_completed(futures):
                outcome = future.result()
                outcomes[outcome.name] = outcome
                bar.set_postfix_str(f"{outcome.name} {'ok' if outcome.ok else 'FAILED'}")
                bar.update()
        except KeyboardInterrupt as exc:
            interrupted = exc
            for future in futures:
                future.cancel()
            signum = exc.signum if isinstance(exc, Interrupted) else signal.SIGINT
            for pid in list(getattr(pool, "_processes", {}) or {}):
                # a terminal's Ctrl-C reached them already; a signal sent to the batch alone did not
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signum)
            wait(futures)  # the briefs under way stop and clean up
            for future, job in futures.items():
                if job.name not in outcomes:
                    outcomes[job.name] = _outcome_after_interrupt(job, future)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    ordered = [outcomes[job.name] for job in jobs]
    write_index(jobs, ordered, output_dir)
    return ordered, interrupted


def _outcome_after_interrupt(job: Job, future: Future[Outcome]) -> Outcome:
    if future.cancelled():
        return Outcome(job.name, False, 0.0, NOT_STARTED)
    try:
        return future.result()
    except Exception:  # its worker ended before it could report
        return Outcome(job.name, False, 0.0, INTERRUPTED)


def write_index(jobs: list[Job], outcomes: list[Outcome], output_dir: Path) -> Path:
    env = template_environment()
    params = {job.name: job.params for job in jobs}
    html = env.get_template("index.html.j2").render(
        rows=[
            {"outcome": o, "params": params[o.name], "scope": params[o.name].scope_label()}
            for o in outcomes
        ],
        css=(TEMPLATES_DIR / "brief.css").read_text(encoding="utf-8"),
    )
    target = output_dir / f"{INDEX_NAME}.html"
    tmp = output_dir / ".index.html.tmp"
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, target)
    return target
