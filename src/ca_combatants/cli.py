"""Command line: `ca-brief validate`, `ca-brief render`, `ca-brief batch`."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import errors
from .datafiles import validated_before
from .errors import ParamsError
from .paths import DEFAULT_DATA_DIR

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C


def _validate(args: argparse.Namespace) -> int:
    from . import dataset

    data_dir = Path(args.data_dir)
    try:
        result = dataset.check(data_dir)
    except errors.DataDirError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not result.ok:
        for problem in result.problems:
            print(f"{data_dir}/{problem}")
        print(f"\n{data_dir}: INVALID, {len(result.problems)} problem(s)", file=sys.stderr)
        return EXIT_FAILED
    counts = result.counts()
    width = max(len(n) for n in counts)
    print(f"{data_dir}: valid (data version {result.version})")
    for name, n in counts.items():
        print(f"  {name:<{width}}  {n:>5}")
    return EXIT_OK


def _read_yaml(path: str) -> object:
    import yaml

    try:
        return yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ParamsError(f"cannot read --params file {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ParamsError(f"--params file {path} is not valid YAML: {exc}") from None


def _param_values(args: argparse.Namespace) -> dict[str, object]:
    """Parameters from --params FILE, overridden by any option given on the command line."""
    values: dict[str, object] = {}
    if args.params:
        loaded = _read_yaml(args.params)
        if not isinstance(loaded, dict):
            raise ParamsError(
                f"--params file {args.params} must hold a mapping of parameter names to values"
            )
        values.update(loaded)
    for option in PARAM_OPTIONS:
        value = getattr(args, option, None)
        if value is not None:
            values[option] = value
    return values


def _render(args: argparse.Namespace) -> int:
    from .kernel import KERNEL_NAME, start_kernel, stop_kernel

    # the kernel first: it boots on the other core while this process imports the rest and
    # checks the parameters (on bad parameters it is killed unused)
    try:
        kernel = start_kernel(KERNEL_NAME)
    except KeyboardInterrupt:
        print("interrupted: nothing was written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # jupyter_client's errors for a missing or broken kernelspec
        print(
            f"error: cannot start the kernel {KERNEL_NAME!r}: {exc} (`make env` installs it)",
            file=sys.stderr,
        )
        return EXIT_FAILED
    try:
        return _render_in(args, kernel)
    finally:
        stop_kernel(kernel)


def _render_in(args: argparse.Namespace, kernel: Any) -> int:
    from .params import parse_params
    from .render import RenderError, check_name, render

    try:
        params = parse_params(_param_values(args))
        check_name(args.name)
        done = render(params, Path(args.output_dir), args.name, kernel_manager=kernel)
    except (ParamsError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except errors.DataDirError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except errors.DataError as exc:
        for problem in exc.problems[:20]:
            print(f"data/{problem}", file=sys.stderr)
        print(
            f"error: the data package is invalid ({len(exc.problems)} problem(s)); run 'ca-brief validate' for all of them",
            file=sys.stderr,
        )
        return EXIT_USAGE
    except RenderError as exc:
        print(f"error: render failed: {exc}", file=sys.stderr)
        failed = Path(args.output_dir) / f"{args.name}.failed.ipynb"
        if failed.exists():
            print(f"the executed notebook is kept for debugging: {failed}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("interrupted: nothing was written", file=sys.stderr)
        return EXIT_INTERRUPTED
    for kind, path in done.files.items():
        print(f"{kind:>9}  {path}")
    print(f"rendered {args.name} in {done.seconds:.1f} s")
    return EXIT_OK


def _batch(args: argparse.Namespace) -> int:
    from .batch import jobs_from_grid, jobs_from_list, run_batch

    try:
        base = _param_values(args)
        if args.grid and args.param_sets:
            raise ParamsError("give either --grid or --param-sets, not both")
        if args.grid:
            grid: dict[str, list[str]] = {}
            for spec in args.grid:
                key, sep, vals = spec.partition("=")
                if not sep or not vals:
                    raise ParamsError(
                        f"bad --grid {spec!r}: expected NAME=V1,V2 (countries may join codes with '+', e.g. KZ+KG)"
                    )
                grid[key.strip().replace("-", "_")] = [
                    v.strip() for v in vals.split(",") if v.strip()
                ]
            jobs = jobs_from_grid(grid, base)
        elif args.param_sets:
            jobs = jobs_from_list(_read_yaml(args.param_sets), base)  # type: ignore[arg-type]
        else:
            raise ParamsError("batch needs --grid NAME=V1,V2 (repeatable) or --param-sets FILE")
        data_dir = Path(str(base.get("data_dir") or DEFAULT_DATA_DIR))
        if not validated_before(data_dir):  # checked without pandas when it has passed before
            from . import dataset

            dataset.load(data_dir)
    except (ParamsError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (errors.DataDirError, errors.DataError) as exc:
        print(f"error: {exc}; run 'ca-brief validate'", file=sys.stderr)
        return EXIT_USAGE
    out = Path(args.output_dir)
    outcomes, interrupted = run_batch(jobs, out, workers=args.jobs, progress=not args.quiet)
    width = max(len(o.name) for o in outcomes)
    print(f"\n{'brief':<{width}}  status  seconds  files")
    for o in outcomes:
        where = o.files.get("pdf", "") if o.ok else o.message
        print(f"{o.name:<{width}}  {'ok' if o.ok else 'FAILED':<6}  {o.seconds:7.1f}  {where}")
    failed = sum(not o.ok for o in outcomes)
    print(f"\n{len(outcomes) - failed} ok, {failed} failed; index: {out / 'index.html'}")
    if interrupted:
        print(
            "interrupted: the briefs marked ok are complete; no other file was written",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    return EXIT_FAILED if failed else EXIT_OK


PARAM_OPTIONS = (
    "countries",
    "side",
    "as_of",
    "period_start",
    "period_end",
    "redact_private_persons",
    "data_dir",
    "title",
    "paper_size",
)


def _add_param_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("brief parameters (override --params)")
    g.add_argument("--params", metavar="FILE", help="YAML file of parameters")
    g.add_argument("--countries", help="comma-separated: KZ,KG,TJ,UZ,TM (default all)")
    g.add_argument("--side", help="russia, ukraine or both (default both)")
    g.add_argument(
        "--as-of",
        dest="as_of",
        metavar="YYYY-MM-DD",
        help="use only information published by this date (default: newest source)",
    )
    g.add_argument(
        "--period-start", dest="period_start", metavar="YYYY-MM-DD", help="earliest event date"
    )
    g.add_argument(
        "--period-end", dest="period_end", metavar="YYYY-MM-DD", help="latest event date"
    )
    g.add_argument(
        "--redact-private-persons",
        dest="redact_private_persons",
        action="store_const",
        const=True,
        help="replace private persons' names with codes",
    )
    g.add_argument(
        "--data-dir", dest="data_dir", help="data package folder (default: the repository's data/)"
    )
    g.add_argument("--title", help="title on the cover")
    g.add_argument("--paper-size", dest="paper_size", help="A4 (default) or Letter")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ca-brief", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("validate", help="check the data package and print counts per table")
    p.add_argument(
        "data_dir",
        nargs="?",
        default=str(DEFAULT_DATA_DIR),
        help="data folder (default: the repository's data/)",
    )
    p.set_defaults(func=_validate)
    r = sub.add_parser(
        "render", help="render one brief: NAME.html, NAME.pdf, NAME.ipynb, NAME.manifest.json"
    )
    _add_param_options(r)
    r.add_argument("--output-dir", default="reports", help="where to write (default: reports/)")
    r.add_argument("--name", default="brief", help="file name stem (default: brief)")
    r.set_defaults(func=_render)
    b = sub.add_parser("batch", help="render many briefs in parallel, with an index.html")
    _add_param_options(b)
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
    from .intake import add_commands  # source add, card apply, quote find

    add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED


def run() -> None:
    """The `ca-brief` command. Once it is done, every object it made is frozen out of the
    garbage collector: Python's teardown then skips collecting them (about 0.1 s); the
    operating system takes the memory back in any case."""
    try:
        code = main()
    except KeyboardInterrupt:  # one that came before a command could handle it itself
        print("interrupted: no file was left half-written", file=sys.stderr)
        code = EXIT_INTERRUPTED
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    run()
