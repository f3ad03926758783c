"""Command line: `ca-brief validate`, `ca-brief render`, `ca-brief batch`, `ca-brief preview`
(and, from intake and export: `source add`, `card apply`, `quote find`, `package refresh`,
`export sqlite`).

Exit codes, the same for every command: 0 done; 1 the work failed (a cell raised, the PDF
engine failed, the disk filled up, a brief of a batch failed); 2 the input is wrong (an
option or parameter, the data package, the data or output folder); 128 + N when signal N
stopped it (130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP), with nothing new published."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from . import errors
from .errors import ParamsError
from .interrupt import exit_code, signals_interrupt
from .kernel import KERNEL_NAME
from .params import BriefParams, allowed_values, is_path
from .paths import NOTEBOOK, default_data_dir

EXIT_OK, EXIT_FAILED, EXIT_INPUT = 0, 1, 2
PARAMS_FILE_MAX_BYTES = 64 * 1024
DATA_PROBLEMS_SHOWN = 20


def _error(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)


def _print_problems(
    data_dir: Path, problems: list[errors.Problem], limit: int | None, to: TextIO = sys.stderr
) -> None:
    for problem in problems[:limit]:
        print(f"{data_dir}/{problem}", file=to)
    if limit is not None and len(problems) > limit:
        print(f"… and {len(problems) - limit} more", file=to)


def _validate(args: argparse.Namespace) -> int:
    from . import dataset
    from .datafiles import stale_problems

    try:
        data_dir = Path(args.data_dir) if args.data_dir else default_data_dir()
        result = dataset.check(data_dir)
        problems = result.problems + stale_problems(data_dir)  # sizes and hashes recorded
    except errors.DataDirError as exc:
        return _input_problem(exc)
    if not result.ok or problems:
        _print_problems(data_dir, problems, None, sys.stdout)  # what validate reports
        print(f"\n{data_dir}: INVALID, {len(problems)} problem(s)", file=sys.stderr)
        return EXIT_INPUT
    counts = result.counts()
    width = max(len(n) for n in counts)
    print(f"{data_dir}: valid (data version {result.version})")
    for name, n in counts.items():
        print(f"  {name:<{width}}  {n:>5}")
    return EXIT_OK


# ----------------------------------------------------------------------------- parameters


def read_yaml(path: str) -> object:
    """A YAML mapping of parameters, bounded: at most 64 KiB, and no anchors or aliases (an
    alias can make a small file expand without limit). Relative paths in it are taken from
    the file's own folder."""
    import yaml

    try:
        with open(path, "rb") as f:
            raw = f.read(PARAMS_FILE_MAX_BYTES + 1)
    except OSError as exc:
        raise ParamsError(f"cannot read --params file {path}: {exc.strerror}") from None
    if len(raw) > PARAMS_FILE_MAX_BYTES:
        raise ParamsError(f"--params file {path} is over {PARAMS_FILE_MAX_BYTES // 1024} KiB")
    try:
        text = raw.decode("utf-8")
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                line = event.start_mark.line + 1 if event.start_mark else 0
                raise ParamsError(
                    f"--params file {path}, line {line}: anchors and aliases (&name, *name) are not allowed; write each value out"
                )
        loaded = yaml.safe_load(text)
    except UnicodeDecodeError:
        raise ParamsError(f"--params file {path} is not UTF-8 text") from None
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        raise ParamsError(
            f"--params file {path}, line {line}: not valid YAML ({exc.problem or exc.context})"
        ) from None
    except yaml.YAMLError as exc:
        raise ParamsError(f"--params file {path} is not valid YAML: {exc}") from None
    except ValueError as exc:  # a date YAML reads unquoted but that does not exist
        raise ParamsError(
            f"--params file {path}: {exc}; write dates as YYYY-MM-DD of a real day"
        ) from None
    except RecursionError:
        raise ParamsError(f"--params file {path} is nested too deeply to be parameters") from None
    return loaded


def typed_path(value: object, base: Path) -> object:
    """A path relative to `base`, where the user typed it; other values as they are."""
    return (
        os.path.normpath(base / value) if isinstance(value, str) and value else value
    )  # others are refused by name


def param_values(args: argparse.Namespace) -> dict[str, object]:
    """Parameters from --params FILE, overridden by any option given on the command line;
    every path relative to where it was written (the file's folder, or the current folder)."""
    values: dict[str, object] = {}
    if args.params:
        loaded = read_yaml(args.params)
        if not isinstance(loaded, dict):
            raise ParamsError(
                f"--params file {args.params} must hold a mapping of parameter names to values"
            )
        base = Path(args.params).absolute().parent
        values.update({k: typed_path(v, base) if is_path(k) else v for k, v in loaded.items()})
    for name in BriefParams.model_fields:
        value = getattr(args, name, None)
        if value is not None:
            values[name] = typed_path(value, Path.cwd()) if is_path(name) else value
    return values


def _add_param_options(p: argparse.ArgumentParser) -> None:
    """One option per field of BriefParams, with its description and allowed values."""
    g = p.add_argument_group("brief parameters (override --params)")
    g.add_argument("--params", metavar="FILE", help="YAML file of parameters")
    for name, field in BriefParams.model_fields.items():
        option = "--" + name.replace("_", "-")
        text = f"{field.description} Allowed: {allowed_values(name)}."
        if field.annotation is bool:
            g.add_argument(option, dest=name, action="store_const", const=True, help=text)
        else:
            g.add_argument(option, dest=name, metavar=name.upper(), help=text)


def _add_notebook_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("notebook and kernel")
    g.add_argument(
        "--notebook",
        default=str(NOTEBOOK),
        help="the notebook to run, with the brief's section cells (default: the brief's own)",
    )
    g.add_argument(
        "--kernel",
        default=KERNEL_NAME,
        help=f"the Jupyter kernel to run it in (default: {KERNEL_NAME}; `ca-brief install-kernel` installs it)",
    )


# ----------------------------------------------------------------------------- commands


def _install_kernel(args: argparse.Namespace) -> int:
    from .kernel import install_kernel

    print(f'installed the "Python (ca-brief)" kernel in {install_kernel(args.user)}')
    return EXIT_OK


def _input_problem(exc: BaseException, data_dir: Path | None = None) -> int:
    """Report what is wrong with the input; the exit code for it."""
    if isinstance(exc, errors.DataError):
        where = data_dir or Path("data")
        _print_problems(where, exc.problems, DATA_PROBLEMS_SHOWN)
        _error(
            f"the data package {where} is invalid ({len(exc.problems)} problem(s)); "
            f"`ca-brief validate {where}` lists them all"
        )
    else:
        _error(str(exc))
    return EXIT_INPUT


INPUT_ERRORS = (
    ParamsError,
    ValueError,
    errors.DataDirError,
    errors.DataError,
    errors.OutputDirError,
    errors.KernelNotFoundError,
)


def _render(args: argparse.Namespace) -> int:
    from .params import parse_params
    from .render import RenderError, check_name, render

    params = None
    try:
        params = parse_params(param_values(args))
        check_name(args.name)
        formats = tuple(f.strip() for f in args.format.split(",") if f.strip())
        done = render(
            params,
            Path(args.output_dir),
            args.name,
            notebook=Path(args.notebook),
            kernel=args.kernel,
            formats=formats,
        )
    except INPUT_ERRORS as exc:
        return _input_problem(exc, params.data_path if params else None)
    except RenderError as exc:
        _error(f"render failed: {exc}")
        failed = Path(args.output_dir) / f"{args.name}.failed.ipynb"
        if failed.exists():
            print(f"the executed notebook is kept for debugging: {failed}", file=sys.stderr)
        return EXIT_FAILED
    for kind, path in done.files.items():
        print(f"{kind:>9}  {path}")
    print(f"rendered {args.name} in {done.seconds:.1f} s")
    return EXIT_OK


def _grid(specs: list[str]) -> dict[str, list[str]]:
    grid: dict[str, list[str]] = {}
    for spec in specs:
        key, sep, vals = spec.partition("=")
        values = [v.strip() for v in vals.split(",") if v.strip()]
        if not sep or not values:
            raise ParamsError(
                f"bad --grid {spec!r}: expected NAME=V1,V2 (countries may join codes with '+', e.g. KZ+KG)"
            )
        name = key.strip().replace("-", "_")
        if name not in BriefParams.model_fields:
            raise ParamsError(
                f"bad --grid {spec!r}: unknown parameter {name!r}; allowed: {', '.join(BriefParams.model_fields)}"
            )
        if name in grid:
            raise ParamsError(f"--grid {name} is given twice; give its values once")
        grid[name] = values
    return grid


def _batch(args: argparse.Namespace) -> int:
    from .batch import jobs_from_grid, jobs_from_list, run_batch
    from .kernel import check_kernel
    from .render import check_data, prepare_output_dir

    data_dir: Path | None = None
    try:
        if args.jobs is not None and args.jobs < 1:
            raise ParamsError(f"--jobs {args.jobs}: give a whole number of 1 or more")
        base = param_values(args)
        if args.grid and args.param_sets:
            raise ParamsError("give either --grid or --param-sets, not both")
        check_kernel(args.kernel)
        if args.grid:
            jobs = jobs_from_grid(_grid(args.grid), base)
        elif args.param_sets:
            loaded = read_yaml(args.param_sets)
            jobs = jobs_from_list(loaded, base, Path(args.param_sets).absolute().parent)
        else:
            raise ParamsError("batch needs --grid NAME=V1,V2 (repeatable) or --param-sets FILE")
        for data_dir in sorted({job.params.data_path.absolute() for job in jobs}):
            check_data(data_dir)  # once per package, before any brief starts
        out = prepare_output_dir(Path(args.output_dir))
    except INPUT_ERRORS as exc:
        return _input_problem(exc, data_dir)
    outcomes, interrupted = run_batch(
        jobs,
        out,
        workers=args.jobs,
        progress=not args.quiet,
        notebook=Path(args.notebook),
        kernel=args.kernel,
    )
    width = max(len(o.name) for o in outcomes)
    print(f"\n{'brief':<{width}}  status  seconds  files")
    for o in outcomes:
        where = o.files.get("pdf", "") if o.ok else o.message
        print(f"{o.name:<{width}}  {'ok' if o.ok else 'FAILED':<6}  {o.seconds:7.1f}  {where}")
    failed = sum(not o.ok for o in outcomes)
    print(f"\n{len(outcomes) - failed} ok, {failed} failed; index: {out / 'index.html'}")
    if interrupted is not None:
        print(
            "interrupted: the briefs marked ok are complete; nothing else was published",
            file=sys.stderr,
        )
        return exit_code(interrupted)
    return EXIT_FAILED if failed else EXIT_OK


def _preview(args: argparse.Namespace) -> int:
    from .params import parse_params
    from .preview import PreviewError, serve

    try:
        params = parse_params(param_values(args))
        if not 0 <= args.port <= 65535:
            raise ParamsError(
                f"--port {args.port}: give a port from 1 to 65535, or 0 for any free one"
            )
        serve(params, args.port)
    except KeyboardInterrupt as exc:  # Ctrl-C, SIGTERM or SIGHUP: the kernel is stopped
        print("preview stopped", file=sys.stderr)
        return exit_code(exc)
    except INPUT_ERRORS as exc:
        return _input_problem(exc)
    except PreviewError as exc:
        _error(str(exc))
        return EXIT_FAILED
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ca-brief",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("validate", help="check the data package and print counts per table")
    p.add_argument(
        "data_dir",
        nargs="?",
        help="data folder (default: $CA_BRIEF_DATA_DIR, else the repository's data/, else ./data)",
    )
    p.set_defaults(func=_validate)
    k = sub.add_parser("install-kernel", help='install the "Python (ca-brief)" Jupyter kernel')
    k.add_argument(
        "--user", action="store_true", help="for this user (default: into this environment)"
    )
    k.set_defaults(func=_install_kernel)
    r = sub.add_parser(
        "render", help="render one brief: NAME.html, NAME.pdf, NAME.ipynb, NAME.manifest.json"
    )
    _add_param_options(r)
    _add_notebook_options(r)
    r.add_argument("--output-dir", default="reports", help="where to write (default: reports/)")
    r.add_argument("--name", default="brief", help="file name stem (default: brief)")
    r.add_argument(
        "--format",
        default="html,pdf",
        metavar="LIST",
        help="which of html, pdf, docx to write, joined by commas (default: html,pdf); the notebook and manifest are always written",
    )
    r.set_defaults(func=_render)
    v = sub.add_parser(
        "preview",
        help="serve the brief on 127.0.0.1 and render it again whenever the data, templates or package change",
    )
    _add_param_options(v)
    v.add_argument(
        "--port", type=int, default=8765, help="port on 127.0.0.1 (default: 8765; 0: any free port)"
    )
    v.set_defaults(func=_preview)
    b = sub.add_parser("batch", help="render many briefs in parallel, with an index.html")
    _add_param_options(b)
    _add_notebook_options(b)
    b.add_argument(
        "--grid",
        action="append",
        metavar="NAME=V1,V2",
        help="a parameter and its values; repeat for a grid (e.g. --grid countries=KZ,KG --grid side=russia,ukraine)",
    )
    b.add_argument(
        "--param-sets",
        dest="param_sets",
        metavar="FILE",
        help="YAML list of parameter sets (each may have a 'name')",
    )
    b.add_argument(
        "--output-dir", default="reports/batch", help="where to write (default: reports/batch)"
    )
    b.add_argument("--jobs", type=int, default=None, help="parallel renders (default: CPU cores)")
    b.add_argument("--quiet", action="store_true", help="no progress bar")
    b.set_defaults(func=_batch)
    from .export import add_commands as add_export_commands  # export sqlite
    from .intake import add_commands  # source add, card apply, quote find, package refresh

    add_commands(sub)
    add_export_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        with signals_interrupt():
            return int(args.func(args))
    except KeyboardInterrupt as exc:  # Ctrl-C, SIGTERM or SIGHUP: every cleanup has run
        if getattr(exc, "published", False):
            print(
                "interrupted once the brief was published: its files are complete", file=sys.stderr
            )
        else:
            print("interrupted: nothing new was published", file=sys.stderr)
        return exit_code(exc)
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED


def run() -> None:
    """The `ca-brief` command. Interrupted, it has cleaned up by now and leaves at once:
    exit handlers that libraries registered for the work it stopped (a kernel client's, say)
    could otherwise wait for what no longer exists."""
    code = main()
    if code >= 128:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    run()
