"""Render many briefs in parallel: a grid of parameters or a YAML list of parameter sets."""

from __future__ import annotations

import contextlib
import gc
import importlib
import itertools
import multiprocessing
import os
import signal
import tempfile
import time
from concurrent.futures import Future, ProcessPoolExecutor, as_completed, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from . import pdf
from .params import BriefParams, ParamsError, parse_params
from .paths import TEMPLATES_DIR
from .render import KERNEL_NAME, RenderError, check_name, render
from .templates_env import template_environment
from .zygote import Zygote, die_with_parent


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
    files: dict[str, str]


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
        jobs.append(Job(check_name(name), parse_params(values)))
    return jobs


def jobs_from_list(items: list[Any], base: dict[str, Any]) -> list[Job]:
    if not isinstance(items, list) or not items:
        raise ParamsError("the parameter-set file must hold a non-empty YAML list of mappings")
    jobs, names = [], set()
    for i, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise ParamsError(
                f"parameter set {i}: expected a mapping of parameter names to values, got {type(item).__name__}"
            )
        values = dict(base)
        values.update({k: v for k, v in item.items() if k != "name"})
        name = str(item.get("name", f"brief-{i:03d}"))
        if name in names:
            raise ParamsError(f"parameter set {i}: name {name!r} is used twice")
        names.add(name)
        try:
            jobs.append(Job(check_name(name), parse_params(values)))
        except (ParamsError, ValueError) as exc:
            raise ParamsError(f"parameter set {i} ({name}): {exc}") from None
    return jobs


_zygote: Zygote | None = None  # the batch's, which every worker asks for kernels
_stop: Any = None  # set by the batch on Ctrl-C: a brief already handed to a worker does not start
_interrupted = False  # this worker saw Ctrl-C: it starts no other brief
INTERRUPTED = "interrupted: nothing was written"
NOT_STARTED = "not started: the batch was interrupted"


def _import_what_briefs_need() -> None:
    """Import, before the workers are forked, what each would otherwise import for its first
    brief (papermill, jupyter_client, WeasyPrint, pikepdf): once, not once per worker."""
    from .render import import_papermill

    import_papermill()
    for module in (
        "jupyter_client.manager",
        "jupyter_client.asynchronous",
        "ca_combatants._weasyprint",
        "pikepdf",
        "diskcache",
    ):
        importlib.import_module(module)


def _start_worker(stop: Any, parts_folder: str, zygote: Zygote, batch: int) -> None:
    """Take the batch's kernel zygote and its folder of shared PDF parts, and end with the
    batch however it ends: a worker waiting for work would otherwise outlive a batch stopped
    while it started them, holding its output open.

    Ctrl-C reaches every process of the terminal's group. A worker between briefs notes it;
    one rendering a brief stops that brief, which cleans up after itself (see _run); neither
    starts another, and the batch cancels what has not started."""
    die_with_parent()
    if os.getppid() != batch:  # it ended before that took hold
        os._exit(1)
    # what the worker inherited (the imports) lives as long as it does: the garbage
    # collector's full passes skip it, where they took a tenth of a second each
    gc.freeze()
    global _zygote, _stop
    _stop = stop
    _zygote = zygote
    pdf.share_parts(parts_folder)  # the batch's briefs share some parts whole
    signal.signal(signal.SIGINT, _note_interrupt)


def _note_interrupt(_signum: int, _frame: Any) -> None:
    """Ctrl-C between briefs: start no other. (The batch's stop event says the same, but a
    worker may take its next brief before the batch has set it.)"""
    global _interrupted
    _interrupted = True


def _run(job: Job, output_dir: Path) -> Outcome:
    start = time.perf_counter()
    global _interrupted
    if _interrupted or (_stop is not None and _stop.is_set()):
        return Outcome(job.name, False, 0.0, NOT_STARTED, {})
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        # the jobs fill the cores: each lays its PDF out on a thread, not on worker processes
        done = render(job.params, output_dir, job.name, pdf_workers=0, zygote=_zygote)
        return Outcome(
            job.name,
            True,
            time.perf_counter() - start,
            "ok",
            {k: str(v) for k, v in done.files.items()},
        )
    except KeyboardInterrupt:
        _interrupted = True
        return Outcome(job.name, False, time.perf_counter() - start, INTERRUPTED, {})
    except (RenderError, ParamsError, ValueError) as exc:
        return Outcome(job.name, False, time.perf_counter() - start, str(exc), {})
    except Exception as exc:  # one brief's failure must not stop the others
        return Outcome(
            job.name, False, time.perf_counter() - start, f"{type(exc).__name__}: {exc}", {}
        )
    finally:
        signal.signal(signal.SIGINT, _note_interrupt)


def run_batch(
    jobs: list[Job], output_dir: Path, workers: int | None = None, progress: bool = True
) -> tuple[list[Outcome], bool]:
    """Render every job; return the outcomes in the jobs' order, and whether Ctrl-C cut the
    batch short (the briefs already written are kept and indexed; the rest are marked)."""
    output_dir.mkdir(parents=True, exist_ok=True)
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    outcomes: dict[str, Outcome] = {}
    interrupted = False
    stop = multiprocessing.Event()
    with (
        tempfile.TemporaryDirectory(prefix="ca-brief-parts-") as parts_folder,
        # started first: it imports the kernel's libraries while this process imports its own
        contextlib.closing(Zygote(KERNEL_NAME)) as zygote,
        ProcessPoolExecutor(
            max_workers=workers,
            # forked, the workers share the zygote's pipes and lock, and the imports below
            mp_context=multiprocessing.get_context("fork"),
            initializer=_start_worker,
            initargs=(stop, parts_folder, zygote, os.getpid()),
        ) as pool,
        tqdm(total=len(jobs), unit="brief", disable=not progress, desc="Rendering") as bar,
    ):
        futures: dict[Future[Outcome], Job] = {}
        try:
            _import_what_briefs_need()  # the workers are forked at the first submit
            for job in jobs:
                futures[pool.submit(_run, job, output_dir)] = job
            for future in as_completed(futures):
                outcome = future.result()
                outcomes[outcome.name] = outcome
                bar.set_postfix_str(f"{outcome.name} {'ok' if outcome.ok else 'FAILED'}")
                bar.update()
        except KeyboardInterrupt:
            interrupted = True
            stop.set()
            for future in futures:
                future.cancel()
            wait(futures)  # the briefs under way stop at their own Ctrl-C and clean up
            submitted = {job.name: future for future, job in futures.items()}
            for job in jobs:
                if job.name not in outcomes:
                    outcomes[job.name] = _outcome_after_ctrl_c(job, submitted.get(job.name))
    ordered = [outcomes[job.name] for job in jobs]
    write_index(jobs, ordered, output_dir)
    return ordered, interrupted


def _outcome_after_ctrl_c(job: Job, handed: Future[Outcome] | None) -> Outcome:
    if handed is None or handed.cancelled():
        return Outcome(job.name, False, 0.0, NOT_STARTED, {})
    try:
        return handed.result()
    except Exception:  # its worker was stopped by the Ctrl-C before it could take the brief
        return Outcome(job.name, False, 0.0, INTERRUPTED, {})


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
    target = output_dir / "index.html"
    tmp = output_dir / ".index.html.tmp"
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, target)
    return target
