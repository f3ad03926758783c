"""`ca-brief preview`: the brief's HTML served on 127.0.0.1, rendered again whenever the data,
the templates, the notebook or the package change, and the open page reloaded.

One kernel is started at the beginning and kept warm: the package is imported in it once, and
a change to the data, a template or the notebook re-runs the notebook's cells in that same
kernel (the dataset is validated again, the analyses and charts redone). A change to a Python
file of the package restarts the kernel, so that every module is imported afresh in the order
Python imports them.

The page on disk is never touched: the served copy alone carries a short script that listens
for the next render (Server-Sent Events on /__events) and shows it, swapping in the parts of the
page that changed (or reloading it, when its shape changed). Invalid data is shown as the
list of its problems in place of the brief, a failing cell as its error, never the brief of
before as if it were current. Ctrl-C (or SIGTERM, SIGHUP) stops the server, the watcher and
the kernel, and removes the preview's temporary folder."""

from __future__ import annotations

import ast
import contextlib
import html as html_lib
import http.server
import json
import shutil
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from .params import BriefParams
from .paths import NOTEBOOK, PACKAGE_DIR

HOST = "127.0.0.1"
EVENTS = "/__events"
KEEPALIVE_SECONDS = 10
RENDER_TIMEOUT = 600  # seconds for one run of the notebook
# The served page's script. At each new render it fetches the page and swaps in the parts that
# changed: each child of <main> (the cover, the contents, each section) and the footer, the head's
# meta tags and the title. Only a page whose parts differ in kind or number (the problems page in
# place of the brief, a section added) or whose styles changed is reloaded whole. A swap keeps the
# reader's place, and the browser lays out one section again, not the whole page.
RELOAD_SCRIPT = """<script>(function () {
  var generation = "__GENERATION__", asked = 0;
  var events = new EventSource("__EVENTS__");
  function parts(doc) {
    var main = doc.querySelector("body > main");
    return main ? Array.from(main.children).concat(Array.from(doc.querySelectorAll("body > footer"))) : [];
  }
  function styles(doc) {
    return Array.from(doc.querySelectorAll("head style, head link")).map(function (e) { return e.outerHTML; }).join("");
  }
  function show(text) {
    var next = new DOMParser().parseFromString(text, "text/html");
    var now = parts(document), then = parts(next);
    var alike = now.length > 0 && now.length === then.length && now.every(function (p, i) {
      return p.tagName === then[i].tagName && p.id === then[i].id;
    });
    if (!alike || styles(document) !== styles(next)) { location.reload(); return; }
    now.forEach(function (p, i) {
      if (p.outerHTML !== then[i].outerHTML) p.replaceWith(document.adoptNode(then[i]));
    });
    document.head.querySelectorAll("meta[name]").forEach(function (m) {
      var n = next.head.querySelector('meta[name="' + m.name + '"]');
      if (n) m.content = n.content;
    });
    document.title = next.title;
    document.documentElement.dataset.generation = generation;
  }
  events.onmessage = function (e) {
    if (e.data === generation) return;
    generation = e.data;
    var mine = ++asked;
    fetch(location.href, {cache: "no-store"})
      .then(function (r) { return r.text(); })
      .then(function (text) { if (mine === asked) show(text); })
      .catch(function () { location.reload(); });
  };
})();</script>"""


class PreviewError(Exception):
    """The preview cannot start or go on (the port is taken, the kernel does not start)."""


# ----------------------------------------------------------------------------- in the kernel


def _run_cell(source: str, namespace: dict[str, Any]) -> Any:
    """Run a cell as IPython would: its statements, then the value of a last expression."""
    tree = ast.parse(source)
    last = tree.body[-1] if tree.body else None
    if isinstance(last, ast.Expr):
        tree.body.pop()
    exec(compile(tree, "<cell>", "exec"), namespace)
    if not isinstance(last, ast.Expr):
        return None
    return eval(compile(ast.Expression(last.value), "<cell>", "eval"), namespace)


CHARTS = (  # every chart function a section draws with (tests/test_preview.py checks)
    "deaths_over_time",
    "prosecutions_over_time",
    "sentences_against_statute",
    "timeline",
)
CHARTS_KEPT = 64


def _fingerprint(value: Any) -> Any:
    """A hashable stand-in for a chart's argument: a frame by its content, anything else (a
    section's frozen result, a number) by its repr."""
    import pandas as pd

    if isinstance(value, pd.DataFrame):
        hashed = pd.util.hash_pandas_object(value, index=True).to_numpy().tobytes()
        return ("frame", tuple(value.columns), tuple(map(str, value.dtypes)), hashed)
    if isinstance(value, (list, tuple)):
        return tuple(_fingerprint(v) for v in value)
    if callable(value):  # a function's repr holds its address: it would never match again
        raise TypeError("a chart's arguments hold a function: the chart is drawn, not kept")
    return ("value", repr(value))


def keep_charts_drawn() -> None:
    """In the preview's kernel only: a chart whose data did not change since the last render
    is not drawn again (drawing is a third of a render). A chart function's result depends on
    its data, its number and the redaction alone; charts of a redacting brief are always drawn,
    since what redaction replaces is not among the arguments."""
    from . import figures

    if getattr(figures, "_kept_by_preview", False):
        return
    kept: dict[Any, Any] = {}
    for name in CHARTS:
        draw = getattr(figures, name)

        def kept_draw(*args: Any, _draw: Any = draw, _name: str = name) -> Any:
            redact = args[-1]
            if getattr(getattr(redact, "__self__", None), "redacting", True):
                return _draw(*args)
            try:
                key = (_name, _fingerprint(args[:-1]))
            except (TypeError, ValueError):  # a frame of values pandas cannot hash: drawn
                return _draw(*args)
            if key not in kept:
                if len(kept) >= CHARTS_KEPT:
                    kept.pop(next(iter(kept)))
                kept[key] = _draw(*args)
            return kept[key]

        setattr(figures, name, kept_draw)
    figures._kept_by_preview = True  # type: ignore[attr-defined]


def keep_templates_compiled() -> None:
    """In the preview's kernel only: each brief makes its own template environment, which
    compiles every template again; here the environments share the compiled code, kept in
    memory by each template's source (an edited template is compiled afresh)."""
    from jinja2 import BytecodeCache
    from jinja2.bccache import Bucket

    from . import brief

    if getattr(brief, "_kept_by_preview", False):
        return

    class InMemory(BytecodeCache):
        def __init__(self) -> None:
            self.store: dict[str, bytes] = {}

        def load_bytecode(self, bucket: Bucket) -> None:
            if bucket.key in self.store:
                bucket.bytecode_from_string(self.store[bucket.key])

        def dump_bytecode(self, bucket: Bucket) -> None:
            self.store[bucket.key] = bucket.bytecode_to_string()

    shared = InMemory()
    make = brief.template_environment

    def environment(**options: Any) -> Any:
        try:
            return make(**{"bytecode_cache": shared, **options})
        except TypeError:  # the environment chooses its own cache
            return make(**options)

    brief.template_environment = environment
    brief._kept_by_preview = True  # type: ignore[attr-defined]


TABLES_KEPT = 4  # validations kept per table: an edit, then undoing it, finds both


def keep_tables_validated() -> None:
    """In the preview's kernel only: a table whose cells and description did not change since
    an earlier render is not put through its own rules again (dataset.table_problems, most of
    validation); an edited table is, and the rules across tables always run. A table is
    compared cell for cell with the one validated before, not by a hash, so a kept result is
    never another table's. The kernel does not ask the validation stamp (which skips every
    rule for a package that passed before): the first render runs each table's rules, so that
    the first edit finds the others kept."""
    from . import dataset

    if getattr(dataset, "_kept_by_preview", False):
        return
    check = dataset.table_problems
    kept: dict[str, list[tuple[str, Any, list[Any]]]] = {}

    def kept_check(resource: dict[str, Any], df: Any) -> list[Any]:
        described = json.dumps(resource, sort_keys=True, default=str)
        entries = kept.setdefault(str(resource.get("name")), [])
        for n, (was_described, frame, problems) in enumerate(entries):
            if was_described == described and frame.equals(df):  # cells, lines, columns
                entries.insert(0, entries.pop(n))
                return list(problems)
        problems = check(resource, df)
        entries.insert(0, (described, df.copy(deep=True), list(problems)))
        del entries[TABLES_KEPT:]
        return problems

    def no_stamp(data_dir: Path) -> Path | None:
        return None

    dataset.table_problems = kept_check
    dataset.validation_stamp = no_stamp
    dataset._kept_by_preview = True  # type: ignore[attr-defined]


def freeze_heap_once() -> None:
    """In the preview's kernel only, after its first render: what is alive then (the
    libraries, the package, the kept charts and tables) is left out of the garbage collector's
    full passes, which otherwise walk all of it several times a render (0.1 s of each). Only
    the objects of that moment are frozen; each later render's garbage is collected as ever."""
    import gc

    if not gc.get_freeze_count():
        gc.collect()
        gc.freeze()


def speed_up_kernel() -> None:
    """The preview's speed-ups, installed once in its kernel; a render never has them. Each
    keeps, between renders, a result that depends only on inputs it compares (see
    docs/performance.md): charts by their data, compiled templates by their source, each
    table's validation by its cells."""
    keep_charts_drawn()
    keep_templates_compiled()
    keep_tables_validated()


def build_in_kernel(values: dict[str, Any], notebook: str, target: str) -> None:
    """Run in the preview's kernel: the notebook's cells with these parameters (injected after
    the parameters cell, as papermill does), then the page. Writes the page to `target` and
    the outcome, as JSON, to `target`.json: ok, the data's problems, or the failing cell."""
    from . import render
    from .datafiles import describe
    from .errors import DataError
    from .params import parse_params

    outcome: dict[str, Any]
    try:
        speed_up_kernel()
        params = parse_params(values)
        nb = json.loads(Path(notebook).read_text(encoding="utf-8"))
        namespace: dict[str, Any] = {"__name__": "__main__"}
        sections: dict[str, str] = {}
        for cell in nb["cells"]:
            if cell["cell_type"] != "code":
                continue
            source = "".join(cell["source"])
            result = _run_cell(source, namespace)
            if "parameters" in cell.get("metadata", {}).get("tags", []):
                namespace.update(params.model_dump(mode="json"))
            section = render._section_of(cell)
            if section is not None and hasattr(result, "_repr_html_"):
                sections[section] = result._repr_html_()
        missing = [
            s.name for s in render.SECTIONS if s.included(params) and not sections.get(s.name)
        ]
        if missing:
            raise render.RenderError(f"the notebook shows no output for: {', '.join(missing)}")
        shown = params.model_copy(update={"data_dir": values.get("data_dir")})
        manifest = render.build_manifest(shown, describe(params.data_path), "preview")
        Path(target).write_text(render.page_html(params, sections, manifest), encoding="utf-8")
        outcome = {"status": "ok"}
        freeze_heap_once()
    except DataError as exc:
        outcome = {"status": "invalid", "problems": [str(p) for p in exc.problems]}
    except Exception as exc:
        outcome = {
            "status": "failed",
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(),
        }
    Path(target + ".json").write_text(json.dumps(outcome), encoding="utf-8")


# ----------------------------------------------------------------------------- pages


def _message_page(title: str, lead: str, items: list[str], detail: str = "") -> str:
    listed = "".join(f"<li><code>{html_lib.escape(i)}</code></li>" for i in items)
    pre = f"<pre>{html_lib.escape(detail)}</pre>" if detail else ""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html_lib.escape(title)}</title>"
        "<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;"
        "line-height:1.5}h1{color:#a00}li{margin:.3rem 0}pre{white-space:pre-wrap}</style>"
        f'</head><body><main><h1 id="preview-status">{html_lib.escape(title)}</h1>'
        f'<p>{html_lib.escape(lead)}</p><ul class="problems">{listed}</ul>{pre}</main></body></html>'
    )


def invalid_page(data_dir: Path, problems: list[str]) -> str:
    return _message_page(
        "The data is invalid: no brief is shown",
        f"{len(problems)} problem(s) in {data_dir}. Fix them and save: the brief comes back "
        "as soon as the data is valid.",
        problems,
    )


def failed_page(error: str, detail: str) -> str:
    return _message_page(
        "The brief failed to render",
        "A cell of the notebook raised; fix the cause and save to render again.",
        [error],
        detail,
    )


def with_reload_script(page: str, generation: int) -> bytes:
    script = RELOAD_SCRIPT.replace("__GENERATION__", str(generation)).replace("__EVENTS__", EVENTS)
    at = page.rfind("</body>")
    served = page[:at] + script + page[at:] if at >= 0 else page + script
    return served.encode("utf-8")


# ----------------------------------------------------------------------------- the kernel


class WarmKernel:
    """One kernel for the whole preview, over Unix sockets in a private folder (as a render's)."""

    def __init__(self, folder: Path, kernel_name: str):
        self.folder = folder
        self.kernel_name = kernel_name
        self.manager: Any = None
        self.client: Any = None

    def start(self) -> None:
        from jupyter_client import KernelManager

        from .kernel import KERNEL_ARGUMENTS, UNIX_SOCKET_PATH_MAX

        manager = KernelManager(kernel_name=self.kernel_name)
        manager.connection_file = str(self.folder / "kernel.json")
        if sys.platform != "win32" and len(str(self.folder / "ipc-5")) <= UNIX_SOCKET_PATH_MAX:
            manager.transport = "ipc"
            manager.ip = str(self.folder / "ipc")
        self.manager = manager
        try:
            manager.start_kernel(extra_arguments=KERNEL_ARGUMENTS)
            client = manager.client()
            client.start_channels()
            self.client = client
            client.wait_for_ready(timeout=120)
        except RuntimeError as exc:
            raise PreviewError(f"the kernel did not start: {exc}") from None
        # the package once, so that a render pays only for the brief
        self.execute("import ca_combatants.preview, ca_combatants.render, ca_combatants.notebook")

    def execute(self, code: str) -> None:
        reply = self.client.execute_interactive(
            code, timeout=RENDER_TIMEOUT, output_hook=lambda _msg: None, allow_stdin=False
        )
        if reply["content"]["status"] != "ok":
            content = reply["content"]
            raise PreviewError(
                f"the kernel failed: {content.get('ename')}: {content.get('evalue')}"
            )

    def stop(self) -> None:
        if self.client is not None:
            with contextlib.suppress(Exception):
                self.client.stop_channels()
            self.client = None
        if self.manager is not None:
            with contextlib.suppress(Exception):
                if self.manager.has_kernel:
                    self.manager.shutdown_kernel(now=True)
            self.manager = None
        for entry in self.folder.iterdir():
            with contextlib.suppress(OSError):
                entry.unlink()

    def restart(self) -> None:
        self.stop()
        self.start()


# ----------------------------------------------------------------------------- the preview


class Preview:
    """The current page, its generation, and the kernel that renders it."""

    def __init__(
        self,
        params: BriefParams,
        folder: Path,
        notebook: Path = NOTEBOOK,
        kernel_name: str = "ca-brief",
    ):
        self.params = params
        self.notebook = notebook.absolute()
        self.data_dir = params.data_path.absolute()
        self.folder = folder
        (folder / "kernel").mkdir()
        self.kernel = WarmKernel(folder / "kernel", kernel_name)
        self.generation = 0
        self.status = "starting"
        self._page = _message_page(
            "Rendering the brief…", "This page reloads when it is ready.", []
        )
        self.changed = threading.Condition()

    def page(self) -> tuple[bytes, int]:
        with self.changed:
            return with_reload_script(self._page, self.generation), self.generation

    def _show(self, page: str, status: str) -> None:
        with self.changed:
            self._page, self.status = page, status
            self.generation += 1
            self.changed.notify_all()

    def build(self) -> str:
        """Render once in the warm kernel and show the result; return its status."""
        target = str(self.folder / "page.html")
        values = self.params.model_dump(mode="json")
        values["data_dir"] = str(self.data_dir)
        # JSON-mode values (text, lists, None, booleans) are Python literals as repr writes them
        code = (
            f"ca_combatants.preview.build_in_kernel({values!r}, {str(self.notebook)!r}, {target!r})"
        )
        try:
            self.kernel.execute(code)
            outcome = json.loads(Path(target + ".json").read_text(encoding="utf-8"))
        except (PreviewError, OSError, ValueError) as exc:
            outcome = {"status": "failed", "error": str(exc), "traceback": ""}
            with contextlib.suppress(PreviewError):
                self.kernel.restart()  # a kernel that died or hung gets a fresh start
        if outcome["status"] == "ok":
            self._show(Path(target).read_text(encoding="utf-8"), "ok")
        elif outcome["status"] == "invalid":
            self._show(invalid_page(self.data_dir, outcome["problems"]), "invalid")
        else:
            self._show(failed_page(outcome["error"], outcome["traceback"]), "failed")
        return str(outcome["status"])

    def watched(self) -> list[Path]:
        return [self.data_dir, PACKAGE_DIR, self.notebook.parent]

    def relevant(self, path: str) -> bool:
        p = Path(path)
        if p.parent == self.notebook.parent and self.notebook.parent not in (
            self.data_dir,
            PACKAGE_DIR,
        ):
            return p == self.notebook
        return True


def _handler(
    preview: Preview, stopping: threading.Event
) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path in ("/", "/index.html"):
                body, _ = preview.page()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Cache-Control", "no-store")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            elif path == EVENTS:
                self._events()
            else:
                self.send_error(404)

        def _events(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            sent = -1
            try:
                while not stopping.is_set():
                    with preview.changed:
                        if preview.generation == sent:
                            preview.changed.wait(KEEPALIVE_SECONDS)
                        generation = preview.generation
                    if generation != sent:
                        self.wfile.write(f"data: {generation}\n\n".encode())
                        sent = generation
                    else:
                        self.wfile.write(b": keep-alive\n\n")
                    self.wfile.flush()
            except OSError:  # the page went away
                return

    return Handler


def _say(text: str) -> None:
    print(f"preview: {text}", flush=True)


def _changes_need_restart(changes: set[tuple[Any, str]]) -> bool:
    return any(
        path.endswith(".py") and Path(path).is_relative_to(PACKAGE_DIR) for _, path in changes
    )


def serve(
    params: BriefParams, port: int, notebook: Path = NOTEBOOK, kernel_name: str = "ca-brief"
) -> None:
    """Serve and watch until interrupted (KeyboardInterrupt, as Ctrl-C, SIGTERM and SIGHUP
    raise it under the command line); everything started is stopped on the way out."""
    import watchfiles

    folder = Path(tempfile.mkdtemp(prefix="ca-brief-preview-"))
    stopping = threading.Event()
    server: http.server.ThreadingHTTPServer | None = None
    preview = Preview(params, folder, notebook, kernel_name)
    try:
        try:
            server = http.server.ThreadingHTTPServer((HOST, port), _handler(preview, stopping))
        except OSError as exc:
            raise PreviewError(
                f"cannot serve on {HOST}:{port} ({exc.strerror}); give another port with --port, or --port 0 for any free one"
            ) from None
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, name="preview-server", daemon=True).start()
        _say(f"http://{HOST}:{server.server_address[1]}/  (Ctrl-C stops)")
        preview.kernel.start()
        _report(preview, time.perf_counter())
        watched = ", ".join(str(p) for p in preview.watched())
        _say(f"watching {watched}")
        for changes in watchfiles.watch(
            *preview.watched(),
            watch_filter=lambda _change, path: (
                watchfiles.DefaultFilter()(_change, path) and preview.relevant(path)
            ),
            debounce=200,
            step=20,
            stop_event=stopping,
            raise_interrupt=True,
        ):
            start = time.perf_counter()
            if _changes_need_restart(changes):
                _say("package changed: restarting the kernel")
                preview.kernel.restart()
            _report(preview, start)
    finally:
        stopping.set()
        with preview.changed:
            preview.changed.notify_all()
        if server is not None:
            server.shutdown()
            server.server_close()
        preview.kernel.stop()
        shutil.rmtree(folder, ignore_errors=True)


def _report(preview: Preview, start: float) -> None:
    status = preview.build()
    seconds = time.perf_counter() - start
    text = {
        "ok": f"rendered in {seconds:.2f} s",
        "invalid": f"the data is invalid ({seconds:.2f} s): the page lists the problems",
        "failed": f"the render failed ({seconds:.2f} s): the page shows the error",
    }[status]
    _say(text)


__all__ = ["Preview", "PreviewError", "build_in_kernel", "serve"]
