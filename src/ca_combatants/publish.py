"""Publishing a brief's files all at once.

A render writes its files into a staging folder beside the published ones. Publishing makes
that folder the current generation in one step: `NAME.html`, `NAME.pdf`, `NAME.ipynb` and
`NAME.manifest.json` are symbolic links through `.NAME.current`, itself a link to the newest
generation folder `.NAME.<token>`, and replacing that one link (a rename, which POSIX makes
atomic) switches the four files together. A reader of the folder therefore sees the old set or
the new one, never a mix, at every instant. The four links themselves never change once made.

A staging folder is locked (flock) for as long as its render runs, so a later render can tell
a stale one, left by a process that was killed, from one in use, and removes it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import secrets
import shutil
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

LOCK = ".lock"
# the signals that end a render; they wait while the files are switched
_ENDING_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


class Staging:
    """A locked folder in which one render writes its files before they are published."""

    def __init__(self, output_dir: Path, name: str):
        self.output_dir = output_dir
        self.name = name
        self.token = secrets.token_hex(8)
        self.published = False
        self.folder = output_dir / f".{name}.{self.token}.tmp"
        # made under another name and locked before it gets its staging name, so that no other
        # render ever sees it unlocked and takes it for a stale one
        making = output_dir / f".{name}.{self.token}.new"
        making.mkdir()
        self._lock = os.open(making / LOCK, os.O_CREAT | os.O_WRONLY, 0o600)
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        os.rename(making, self.folder)

    def path(self, suffix: str) -> Path:
        return self.folder / f"{self.name}{suffix}"

    def _unlock(self) -> None:
        if self._lock >= 0:
            os.close(self._lock)
            self._lock = -1

    def discard(self) -> None:
        self._unlock()
        shutil.rmtree(self.folder, ignore_errors=True)

    def publish(self, suffixes: list[str]) -> dict[str, Path]:
        """Switch the published set to this folder's files; return the published paths."""
        out, name = self.output_dir, self.name
        generation = out / f".{name}.{self.token}"
        current = out / f".{name}.current"
        try:
            with _signals_held(), _folder_locked(out):
                self._switch(generation, current, suffixes)
        except KeyboardInterrupt as exc:  # it came while the files were switched
            exc.published = self.published  # type: ignore[attr-defined]
            raise
        return {suffix: out / f"{name}{suffix}" for suffix in suffixes}

    def _switch(self, generation: Path, current: Path, suffixes: list[str]) -> None:
        out, name = self.output_dir, self.name
        (self.folder / LOCK).unlink()
        self._unlock()
        os.rename(self.folder, generation)
        # the links first, made once (a plain file from an older layout is replaced): before
        # the first publish they lead nowhere, so a reader sees no set rather than part of one
        for suffix in suffixes:
            link = out / f"{name}{suffix}"
            wanted = f"{current.name}/{name}{suffix}"
            if _link_target(link) != wanted:
                _replace_link(link, wanted)
        if current.is_dir() and not current.is_symlink():  # a copy that followed the links
            shutil.rmtree(current)
        _replace_link(current, generation.name)  # the one step that publishes
        # the set before stays until the next render of this name clears it (remove_stale), so
        # that a reader who has just followed the old link can finish reading it
        self.published = True


def _link_target(path: Path) -> str | None:
    try:
        return os.readlink(path)
    except OSError:
        return None


def _replace_link(link: Path, target: str) -> None:
    temporary = link.with_name(f".{link.name}.{secrets.token_hex(4)}.link")
    os.symlink(target, temporary)
    try:
        os.replace(temporary, link)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Ctrl-C, SIGTERM and SIGHUP wait until the block is done, then act as they would have.
    (Python runs a signal's handler between two steps of the main thread, so while the block
    runs the handler only notes the signal.)"""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread receives signals
        return
    noted: list[int] = []
    previous = {
        s: signal.signal(s, lambda signum, _: noted.append(signum)) for s in _ENDING_SIGNALS
    }
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        for signum in dict.fromkeys(noted):
            signal.raise_signal(signum)


@contextlib.contextmanager
def _folder_locked(folder: Path) -> Iterator[None]:
    """Renders of one folder publish, and clear stale folders, one at a time. The lock is on
    the folder itself: nothing is left behind."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


@contextlib.contextmanager
def staging(output_dir: Path, name: str) -> Iterator[Staging]:
    """A staging folder for one render, removed on any failure or interruption; stale staging
    folders of the same name (their render was killed) are removed first."""
    remove_stale(output_dir, name)
    stage = Staging(output_dir, name)
    try:
        yield stage
    finally:
        stage.discard()  # published: the folder was renamed, only the lock is closed


def remove_stale(output_dir: Path, name: str) -> None:
    """Remove staging folders of NAME that no live render holds, and generation folders that
    are no longer current (left by a render killed while it published)."""
    with _folder_locked(output_dir):
        _remove_stale(output_dir, name)


def _remove_stale(output_dir: Path, name: str) -> None:
    current = _link_target(output_dir / f".{name}.current")
    for folder in output_dir.glob(f".{name}.*"):
        if folder.is_symlink() or not folder.is_dir() or folder.name == current:
            continue
        token, _, kind = folder.name[len(name) + 2 :].partition(".")
        if len(token) != 16 or kind not in ("", "tmp", "new"):
            continue  # not one of ours (another name that starts with NAME.)
        if kind and _in_use(folder):
            continue
        if kind == "new" and time.time() - folder.stat().st_mtime < 60:
            continue  # being made this instant, not yet locked
        shutil.rmtree(folder, ignore_errors=True)


def _in_use(folder: Path) -> bool:
    try:
        fd = os.open(folder / LOCK, os.O_WRONLY)
    except OSError:
        return False  # no lock file: its render is gone, or is just making it (seconds old)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        return exc.errno in (errno.EAGAIN, errno.EACCES)
    finally:
        os.close(fd)
    return False
