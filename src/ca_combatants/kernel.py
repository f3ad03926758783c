"""The brief's kernel, for the length of one render.

papermill runs the notebook on a thread of its own while the main thread waits: nbclient
takes SIGINT and SIGTERM for itself when it runs on the main thread (it schedules the kernel's
shutdown and carries on), so a Ctrl-C could end in a traceback or a process that never exits.
On a thread it cannot; the main thread receives every signal, stops the kernel, and the
notebook on the thread ends with it.

The kernel talks over Unix sockets in a private folder, not TCP: jupyter_client picks free TCP
ports and closes them, and the kernel binds them only later, so a kernel started meanwhile (by
a batch's other worker) can take one first and the brief fails with "Address already in use".
A socket's name cannot be taken. The folder, with the connection file, goes with the kernel."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from .errors import KernelNotFoundError

KERNEL_NAME = "ca-brief"
T = TypeVar("T")
FOLDER_PREFIX = "ca-brief-kernel-"
UNIX_SOCKET_PATH_MAX = 100  # Linux allows 107 bytes, macOS 103
KERNEL_ARGUMENTS = [
    # a brief's cells are not the user's history, and a batch's kernels would take turns to
    # lock IPython's history database
    "--HistoryManager.enabled=False",
    # ipykernel's own log says only what went wrong (not, say, that it talks over TCP)
    "--IPKernelApp.log_level=ERROR",
]


def check_kernel(kernel_name: str) -> None:
    """KernelNotFoundError, saying how to install it, when no kernelspec has that name."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(kernel_name)
    except NoSuchKernel:
        hint = (
            "`ca-brief install-kernel` installs it into this environment"
            if kernel_name == KERNEL_NAME
            else "`jupyter kernelspec list` shows the kernels Jupyter finds"
        )
        raise KernelNotFoundError(
            f"no Jupyter kernel named {kernel_name!r}: {hint}, or pass --kernel NAME"
        ) from None


def install_kernel(user: bool) -> str:
    """Install the "Python (ca-brief)" kernel of this Python (`--user`: for this user, else into
    this environment); return where."""
    from ipykernel.kernelspec import install

    return str(
        install(
            user=user,
            prefix=None if user else sys.prefix,
            kernel_name=KERNEL_NAME,
            display_name="Python (ca-brief)",
        )
    )


@contextlib.contextmanager
def kernel_manager(kernel_name: str = KERNEL_NAME) -> Iterator[Any]:
    """A kernel manager for papermill to start the kernel with; the kernel is stopped and its
    files removed when the block ends, however it ends."""
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    _remove_stale_folders()
    folder = tempfile.mkdtemp(prefix=FOLDER_PREFIX)
    lock = os.open(os.path.join(folder, ".lock"), os.O_CREAT | os.O_WRONLY, 0o600)
    fcntl.flock(lock, fcntl.LOCK_EX)  # held while the kernel lives: a later render can tell
    manager = AsyncKernelManager(kernel_name=kernel_name)
    manager.connection_file = os.path.join(folder, "kernel.json")
    if sys.platform != "win32" and len(os.path.join(folder, "ipc-5")) <= UNIX_SOCKET_PATH_MAX:
        manager.transport = "ipc"
        manager.ip = os.path.join(folder, "ipc")
    try:
        yield manager
    finally:
        try:
            if manager.has_kernel:
                run_sync(manager.shutdown_kernel)(now=True)
        finally:
            os.close(lock)
            shutil.rmtree(folder, ignore_errors=True)


def _remove_stale_folders() -> None:
    """Kernel folders that no render holds (one killed with SIGKILL left them), a minute old."""
    for folder in Path(tempfile.gettempdir()).glob(f"{FOLDER_PREFIX}*"):
        try:
            if time.time() - folder.stat().st_mtime < 60:
                continue
            fd = os.open(folder / ".lock", os.O_WRONLY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # in use
        finally:
            os.close(fd)
        shutil.rmtree(folder, ignore_errors=True)


def run_in_kernel(kernel_name: str, work: Callable[[Any], T]) -> T:
    """work(manager), on a thread, with a kernel manager for `kernel_name`; this thread waits,
    and on any exception here (Ctrl-C, SIGTERM, SIGHUP) kills the kernel, lets the thread end
    and raises it."""
    with kernel_manager(kernel_name) as manager:
        outcome: dict[str, Any] = {}

        def target() -> None:
            try:
                outcome["value"] = work(manager)
            except BaseException as exc:  # handed to the main thread
                outcome["error"] = exc

        thread = threading.Thread(target=target, name="notebook", daemon=True)
        thread.start()
        try:
            while thread.is_alive():
                thread.join(0.2)  # a signal's handler runs between two waits
        except BaseException:
            _kill(manager)  # the notebook on the thread ends with its kernel
            thread.join(30)
            raise
        if "error" in outcome:
            raise outcome["error"]
        return outcome["value"]


def _kill(manager: Any) -> None:
    """Kill the kernel's process group at once (it runs in a session of its own)."""
    process = getattr(getattr(manager, "provisioner", None), "process", None)
    if process is None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
