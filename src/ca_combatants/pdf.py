"""The PDF, laid out in parts on worker processes while the kernel is still writing the brief.

Every section starts on a new page, so WeasyPrint laying out one section alone gives the same
pages as laying out the whole brief. Each section is laid out as soon as its cell has run;
the front matter (cover and contents, which needs every section's first page) and the page
numbers (which need the page count) come last. pikepdf then joins the parts: pages in order,
one outline, one table of named destinations so links between parts resolve, and the numbers
drawn over each page. The parent process imports neither WeasyPrint nor pikepdf until needed.
"""

from __future__ import annotations

import datetime
import functools
import gc
import hashlib
import io
import multiprocessing
import os
import pickle
import sys
import threading
import warnings
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from .paths import TEMPLATES_DIR

T = TypeVar("T")
_NICENESS = 10


@dataclass(frozen=True)
class Part:
    """One laid-out part of the brief: its PDF, its page count and the anchors it defines."""

    pdf: bytes
    pages: int
    anchors: tuple[str, ...]


@dataclass(frozen=True)
class Attachment:
    name: str
    text: str
    description: str
    stamp: datetime.datetime


# ----------------------------------------------------------------------------- in the workers


@functools.cache
def _font_config() -> Any:
    """One font configuration per worker, so the fonts each part loads and shapes with are
    loaded once (about 7% of the layout time; the same bytes)."""
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


@functools.lru_cache(maxsize=4)
def _stylesheet(text: str) -> Any:
    """The brief's stylesheet, parsed once per worker: parsing it and compiling its selectors
    costs more than laying out a short section."""
    from ._weasyprint import weasyprint

    return weasyprint.CSS(string=text, base_url=str(TEMPLATES_DIR), font_config=_font_config())


def lay_out(
    html: str, pdf_id: bytes, attachment: Attachment | None = None, stylesheet: str = ""
) -> Part:
    """Lay out one part with WeasyPrint and return its PDF. `stylesheet` applies under the
    part's own <style>, which therefore wins every conflict with it."""
    from ._weasyprint import weasyprint

    document = weasyprint.HTML(string=html, base_url=str(TEMPLATES_DIR)).render(
        stylesheets=[_stylesheet(stylesheet)] if stylesheet else None, font_config=_font_config()
    )
    defined = {name for page in document.pages for name in page.anchors}
    wanted = {
        target for page in document.pages for kind, target, *_ in page.links if kind == "internal"
    }
    # WeasyPrint drops links to anchors it cannot see, and those live in other parts: park
    # each missing anchor on the first page; the joined PDF points it at the real place.
    for name in sorted(wanted - defined):
        document.pages[0].anchors[name] = (0, 0, 0, 0)
    attachments = []
    if attachment is not None:
        attachments.append(
            weasyprint.Attachment(
                string=attachment.text,
                name=attachment.name,
                description=attachment.description,
                # WeasyPrint stamps attachments with the clock unless told: same inputs, same bytes
                created=attachment.stamp,
                modified=attachment.stamp,
            )
        )
    pdf = document.write_pdf(pdf_identifier=pdf_id, custom_metadata=True, attachments=attachments)
    return Part(pdf, len(document.pages), tuple(sorted(defined)))


class _SharedParts:
    """Laid-out parts shared by the workers of a batch, in a folder the batch removes when it
    ends: a batch's briefs share parts whole (the key judgments of every country and side, the
    methodology of most, the page numbers of any two with as many pages). A part is the same
    bytes for the same HTML, identifier, attachment and stylesheet, so one laid out for an
    earlier brief, by either worker, is as good as a new one. diskcache keeps the parts safe
    for several processes to read and write at once; it drops the oldest beyond `size_limit`."""

    def __init__(self, folder: str, size_limit: int = 512 * 2**20):
        import diskcache

        self._cache = diskcache.Cache(folder, size_limit=size_limit)

    def lay_out(
        self, html: str, pdf_id: bytes, attachment: Attachment | None = None, stylesheet: str = ""
    ) -> Part:
        key = _part_key(html, pdf_id, attachment, stylesheet)
        part = self._cache.get(key)
        if not isinstance(part, Part):
            part = lay_out(html, pdf_id, attachment, stylesheet)
            self._cache.set(key, part)
        return part


def _part_key(html: str, pdf_id: bytes, attachment: Attachment | None, stylesheet: str) -> str:
    """Everything a part's bytes depend on, hashed (pickle's bytes for equal values are equal
    within one batch's Python)."""
    return hashlib.sha256(pickle.dumps((html, pdf_id, attachment, stylesheet))).hexdigest()


_shared: _SharedParts | None = None


def share_parts(folder: str) -> None:
    """From now on this process reads and keeps the parts it lays out on a thread
    (PartPool(0)) in `folder`, which every worker of a batch is given."""
    global _shared
    _shared = _SharedParts(folder)


def _warm() -> None:
    """Start the worker early, so WeasyPrint's fonts are set up before the first section.
    What it holds by then lives as long as it does: the garbage collector's full passes skip it."""
    from ._weasyprint import weasyprint

    weasyprint.HTML(string="<p>.</p>").render(font_config=_font_config())
    gc.freeze()


# ----------------------------------------------------------------------------- in the parent


def _copy_outcome(source: Future[T], target: Future[T]) -> None:
    if source.cancelled():
        target.cancel()
    elif (exc := source.exception()) is not None:
        target.set_exception(exc)
    else:
        target.set_result(source.result())


class PartPool:
    """Where the parts are laid out: worker processes forked from a server that has already
    imported WeasyPrint, or, with workers=0, one thread of this process (a batch's briefs
    already fill the cores: extra processes would only add work). Both give the same bytes.

    The kernel is the critical path until it has written the last section, so the server, and
    every worker forked from it, runs at a lower priority than the kernel: it is started from a
    thread that has lowered its own priority, which Linux passes on to the processes it starts.
    """

    def __init__(self, workers: int):
        self.workers = max(1, workers)
        self._on_thread = workers == 0
        self._started: Future[Executor] = Future()
        if workers == 0:
            self._started.set_result(ThreadPoolExecutor(max_workers=1))
        else:
            threading.Thread(target=self._start, args=(workers,), daemon=True).start()

    def _start(self, workers: int) -> None:
        try:
            if sys.platform == "linux":  # elsewhere the call would lower the whole process
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), _NICENESS)
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(
                ["ca_combatants._forkserver", "ca_combatants._weasyprint", "pikepdf", __name__]
            )
            executor = ProcessPoolExecutor(max_workers=workers, mp_context=context)
            for _ in range(workers):
                executor.submit(_warm)  # starts every worker now, from this thread
            self._started.set_result(executor)
        except BaseException as exc:  # handed to whoever asks for the pool
            self._started.set_exception(exc)

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """Queue fn(*args) on a worker, without waiting for the workers to be started."""
        if self._started.done():
            return self._started.result().submit(fn, *args)
        outer: Future[T] = Future()

        def when_started(started: Future[Executor]) -> None:
            try:
                inner = started.result().submit(fn, *args)
            except BaseException as exc:
                outer.set_exception(exc)
                return
            inner.add_done_callback(lambda done: _copy_outcome(done, outer))

        self._started.add_done_callback(when_started)
        return outer

    def lay_out(
        self, html: str, pdf_id: bytes, attachment: Attachment | None = None, stylesheet: str = ""
    ) -> Future[Part]:
        # on this process's thread, parts a batch's workers laid out for earlier briefs serve
        shared = _shared if self._on_thread else None
        fn = lay_out if shared is None else shared.lay_out
        return self.submit(fn, html, pdf_id, attachment, stylesheet)

    def close(self, cancel: bool = False) -> None:
        try:
            executor = self._started.result()
        except Exception:  # it never started: nothing to stop
            return
        executor.shutdown(wait=not cancel, cancel_futures=cancel)


class Assembly:
    """Schedules the parts of one PDF on a PartPool and joins them, without waiting for the
    caller: the largest part waiting goes to the next free worker, the front matter and the
    page numbers follow the last section's layout, and a worker writes the joined file.

    `front(starts)` gives the front matter's HTML, identifier and attachment for the
    sections' first pages; `numbers(total)` gives the page-numbers HTML for a page count.
    Every part is laid out with `stylesheet` under its own <style>."""

    FRONT_PAGES = 2  # the cover, then the contents; the front part's own count is checked

    def __init__(
        self,
        pool: PartPool,
        workers: int,
        sections: list[str],
        front: Callable[[list[int]], tuple[str, bytes, Attachment]],
        numbers: Callable[[int], str],
        target: Path,
        stylesheet: str = "",
    ):
        self._pool, self._workers, self._order = pool, workers, sections
        self._front, self._numbers, self._target = front, numbers, target
        self._stylesheet = stylesheet
        self._lock = threading.Lock()
        self._waiting: list[tuple[int, int, str, Callable[[], str]]] = []
        self._busy = 0
        self._parts: dict[str, Part] = {}
        self._joining = False
        self.done: Future[None] = Future()

    def add(self, name: str, html: Callable[[], str], size: int) -> None:
        """Queue a section's part, once; `html()` is called when a worker is free for it."""
        with self._lock:
            self._waiting.append((-size, self._order.index(name), name, html))
            self._waiting.sort()
        self._dispatch()

    def _dispatch(self) -> None:
        while True:
            with self._lock:
                if self.done.done() or not self._waiting or self._busy >= self._workers:
                    return
                _, _, name, html = self._waiting.pop(0)
                self._busy += 1
            self._guard(functools.partial(self._submit, name, html))

    def _submit(self, name: str, build: Callable[[], str]) -> None:
        html = build()
        future = self._pool.lay_out(html, identifier(html), None, self._stylesheet)
        future.add_done_callback(lambda f: self._guard(lambda: self._laid_out(name, f.result())))

    def _laid_out(self, name: str, part: Part) -> None:
        with self._lock:
            self._busy -= 1
            self._parts[name] = part
            complete = len(self._parts) == len(self._order)
        if complete:
            self._finish(self.FRONT_PAGES)
        else:
            self._dispatch()

    def _finish(self, front_pages: int) -> None:
        parts = [self._parts[name] for name in self._order]
        total = front_pages + sum(p.pages for p in parts)
        html, front_id, attachment = self._front(first_pages(front_pages, [p.pages for p in parts]))
        numbers = self._pool.lay_out(self._numbers(total), b"page-numbers", None, self._stylesheet)
        front = self._pool.lay_out(html, front_id, attachment, self._stylesheet)

        def both_laid_out() -> None:
            # called for each of the two; never wait in a callback: the pool's own thread runs it
            if not (front.done() and numbers.done()):
                return
            with self._lock:
                if self._joining:
                    return
                self._joining = True
            front_part = front.result()
            if front_part.pages != front_pages:  # the contents ran longer: number again
                with self._lock:
                    self._joining = False
                self._finish(front_part.pages)
                return
            written = self._pool.submit(join, front_part, parts, numbers.result(), self._target)
            written.add_done_callback(lambda f: self._guard(lambda: self._set_done(f.result())))

        for future in (front, numbers):
            future.add_done_callback(lambda _: self._guard(both_laid_out))

    def _set_done(self, _: None) -> None:
        if not self.done.done():
            self.done.set_result(None)

    def _guard(self, step: Callable[[], None]) -> None:
        """Run a step; a failure ends the assembly with that error, for the caller to raise."""
        try:
            step()
        except BaseException as exc:
            with self._lock:
                if not self.done.done():
                    self.done.set_exception(exc)


def identifier(text: str) -> bytes:
    """A PDF identifier derived from the content, so equal inputs give equal bytes."""
    return hashlib.sha256(b"ca-brief" + text.encode("utf-8")).hexdigest()[:32].encode()


def first_pages(front_pages: int, section_pages: list[int]) -> list[int]:
    """The page on which each section starts, counting the front matter's pages."""
    starts, page = [], front_pages + 1
    for n in section_pages:
        starts.append(page)
        page += n
    return starts


def _page_destination(
    dest: Any, pages: dict[tuple[int, int], int], offset: int
) -> tuple[int, float, float]:
    """(page index in the joined PDF, left, top) of an explicit /XYZ destination array."""
    left = float(dest[2]) if len(dest) > 2 else 0.0
    top = float(dest[3]) if len(dest) > 3 else 0.0
    return offset + pages[dest[0].objgen], left, top


def join(front: Part, sections: list[Part], numbers: Part, target: Path) -> None:
    """Write one PDF: the front part's metadata and attachment; every part's pages, outline and
    link targets; the page numbers drawn over every page but the cover. qpdf (pikepdf) does the
    work: it copies pages without parsing their content, and derives the file identifier from
    the content, so equal inputs give equal bytes."""
    import pikepdf

    pdf = pikepdf.open(io.BytesIO(front.pdf))
    destinations: dict[str, tuple[int, float, float]] = {}

    def take(source: pikepdf.Pdf, part: Part, offset: int) -> list[pikepdf.OutlineItem]:
        """Note the part's link targets; return its outline, pointing into the joined PDF."""
        pages = {page.obj.objgen: i for i, page in enumerate(source.pages)}
        names = source.Root.get("/Names")
        if names is not None and "/Dests" in names:
            for name, dest in pikepdf.NameTree(names.Dests).items():
                # each part parks the anchors it links to but lacks; only the owner's count
                if name in part.anchors and name not in destinations:
                    destinations[name] = _page_destination(dest, pages, offset)

        def copy(items: list[pikepdf.OutlineItem]) -> list[pikepdf.OutlineItem]:
            copied = []
            for item in items:
                page, left, top = _page_destination(item.destination, pages, offset)
                new = pikepdf.OutlineItem(str(item.title), page, "XYZ", left=left, top=top, zoom=0)
                new.children.extend(copy(item.children))
                copied.append(new)
            return copied

        with source.open_outline() as existing:
            return copy(existing.root)

    outline = take(pdf, front, 0)
    with warnings.catch_warnings():
        # named destinations are rebuilt below, from every part
        warnings.filterwarnings("ignore", category=pikepdf.PageCopyWarning)
        for part in sections:
            source = pikepdf.open(io.BytesIO(part.pdf))
            offset = len(pdf.pages)
            pdf.pages.extend(source.pages)
            # the brief's title heads the outline; the sections hang under it, as in one document
            (outline[0].children if outline else outline).extend(take(source, part, offset))

    numbered = pikepdf.open(io.BytesIO(numbers.pdf))
    if len(numbered.pages) != len(pdf.pages):
        raise RuntimeError(
            f"page numbers laid out for {len(numbered.pages)} pages, the brief has {len(pdf.pages)}"
        )
    for number, (page, numbers_page) in enumerate(
        zip(pdf.pages[1:], numbered.pages[1:], strict=True), start=2
    ):
        # what Page.add_overlay does, but under a fixed name (it draws a random one): the
        # numbers page, the same size as the page, drawn over it as a form XObject. One name
        # per page: the pages of a part share one resource dictionary.
        name = f"/PageNumber{number}"
        form = pdf.copy_foreign(numbers_page.as_form_xobject())
        page.add_resource(form, pikepdf.Name.XObject, pikepdf.Name(name))
        page.contents_add(pikepdf.Stream(pdf, b"q\n"), prepend=True)
        page.contents_add(pikepdf.Stream(pdf, f"\nQ q {name} Do Q\n".encode()))

    dests = pikepdf.NameTree.new(pdf)
    for name in sorted(destinations):
        index, left, top = destinations[name]
        dests[name] = pikepdf.Array([pdf.pages[index].obj, pikepdf.Name.XYZ, left, top, 0])
    pdf.Root.Names.Dests = dests.obj
    with pdf.open_outline() as joined:
        joined.root[:] = outline
    pdf.save(
        target,
        deterministic_id=True,
        object_stream_mode=pikepdf.ObjectStreamMode.generate,
    )
