"""The brief's kernel: started as early as possible, and handed to papermill ready to run.

The kernel is the critical path of a render, so `ca-brief render` starts it before anything
else is imported: it boots on the other core while this process imports papermill and checks
the parameters. The brief's modules are imported while ipykernel waits for the first cell; in a
batch the kernel is forked from a zygote that has imported them already (zygote.py)."""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from typing import Any

from .paths import REPO_ROOT
from .zygote import BRIEF_MODULE, Zygote, launcher_prefix, provisioner_for

KERNEL_NAME = "ca-brief"
UNIX_SOCKET_PATH_MAX = 100  # Linux allows 107 bytes, macOS 103


def skip_iri_grammar() -> None:
    """jupyter-events installs jsonschema's format extras; importing nbformat then builds an
    IRI grammar (rfc3987_syntax) for about 1.4 s that nbformat never uses. Marking that one
    module absent makes jsonschema skip the IRI format; every other check is unchanged."""
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def start_kernel(kernel: str = KERNEL_NAME, zygote: Zygote | None = None) -> Any:
    """Launch the kernel and return its AsyncKernelManager, for papermill's `km`."""
    skip_iri_grammar()
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    manager = AsyncKernelManager(kernel_name=kernel)
    manager.client_factory = _client_class()
    # named here, not by jupyter_client: it creates a file of its own choosing before it
    # notes that it has one, and a Ctrl-C in between would leave that file behind
    name = os.path.join(tempfile.gettempdir(), f"kernel-{uuid.uuid4().hex[:16]}")
    manager.connection_file = f"{name}.json"
    if sys.platform != "win32" and len(f"{name}-ipc-5") <= UNIX_SOCKET_PATH_MAX:
        # over Unix sockets named after that file: jupyter_client picks free TCP ports, which
        # the kernel binds only later, and a kernel started meanwhile (by a batch's other
        # worker) can take one of them first ("Address already in use"); a name cannot be taken
        manager.transport = "ipc"
        manager.ip = f"{name}-ipc"
    extra: list[str] = []
    if (spec := manager.kernel_spec) is not None and launcher_prefix(spec.argv) is not None:
        # ipykernel's own log says only what went wrong: its warning that a local kernel talks
        # over TCP (where Unix sockets cannot be used) would otherwise precede every render's
        # output, and a parameter error's
        extra.append("--IPKernelApp.log_level=ERROR")
        # a brief's cells are not the user's history: nothing written to IPython's history
        # database, which concurrent kernels of a batch would otherwise take turns to lock
        extra.append("--HistoryManager.enabled=False")
        if zygote is None:
            # the brief's modules are imported while ipykernel waits for this process to send
            # the first cell, instead of after: the setup cell then only loads the data
            extra.append(f"--IPKernelApp.exec_lines={[f'import {BRIEF_MODULE}']!r}")
    if zygote is not None:
        manager.kernel_id = str(uuid.uuid4())
        manager.provisioner = provisioner_for(manager, zygote)
    try:
        run_sync(manager.start_kernel)(cwd=str(REPO_ROOT), extra_arguments=extra)
    except BaseException:  # Ctrl-C or a failed launch: no kernel, no connection file left
        stop_kernel(manager)
        raise
    return manager


def stop_kernel(manager: Any) -> None:
    """Kill the kernel, if it still runs: the notebook has run or failed, and nothing in the
    kernel is worth a graceful shutdown."""
    from jupyter_core.utils import run_sync

    try:
        if manager.has_kernel:
            run_sync(manager.shutdown_kernel)(now=True)
    finally:
        # shutting down removes the connection file and the sockets, but a kernel stopped
        # while it started, or one that died, is not shut down: they would stay behind
        with contextlib.suppress(OSError):
            os.remove(manager.connection_file)
        manager.cleanup_ipc_files()


@contextlib.contextmanager
def started_kernel(
    kernel: str = KERNEL_NAME, zygote: Zygote | None = None, manager: Any = None
) -> Iterator[Any]:
    """A kernel for the length of the block: `manager`'s, already started by the caller, or
    a new one."""
    if manager is None:
        manager = start_kernel(kernel, zygote)
    try:
        yield manager
    finally:
        stop_kernel(manager)


@functools.cache  # one class for every kernel of the process
def _client_class() -> type:
    from jupyter_client.asynchronous import AsyncKernelClient
    from jupyter_core.utils import ensure_async

    class PromptKernelClient(AsyncKernelClient):
        """jupyter_client's client, but ready as soon as the kernel has answered.

        jupyter_client's own wait ends by reading the kernel's messages until none has come for
        0.2 s, to drop what the kernel said while starting. nbclient ignores every message that
        is not about the cell it runs, so here those messages are dropped without the wait. The
        handshake before it is jupyter_client's: ask for kernel_info until the kernel answers
        and its IOPub channel is seen to be connected."""

        async def _async_wait_for_ready(self, timeout: float | None = None) -> None:
            from queue import Empty

            deadline = time.time() + (float("inf") if timeout is None else timeout)
            while True:
                self.kernel_info()
                try:
                    msg = await ensure_async(self.shell_channel.get_msg(timeout=1))
                except Empty:
                    pass
                else:
                    if msg["msg_type"] == "kernel_info_reply":
                        try:  # IOPub connected: the kernel's busy/idle for that request came
                            await ensure_async(self.iopub_channel.get_msg(timeout=0.2))
                        except Empty:
                            pass
                        else:
                            self._handle_kernel_info_reply(msg)
                            break
                if not await self._async_is_alive():
                    raise RuntimeError("Kernel died before replying to kernel_info")
                if time.time() > deadline:
                    raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")
            while True:  # what is already queued, without waiting for more
                try:
                    await ensure_async(self.iopub_channel.get_msg(timeout=0))
                except Empty:
                    break

        wait_for_ready = _async_wait_for_ready  # the base class binds its own at definition

    return PromptKernelClient
