"""Kernels for a batch, forked from a process that has already imported what a brief needs.

Before its first cell, each brief's kernel spends about two seconds of CPU starting Python and
importing ipykernel, pandas, pyarrow, matplotlib and seaborn. A batch pays that for
every brief. The zygote pays it once: it imports all of that, then waits. Each kernel is a fork
of it that runs ipykernel exactly as `python -m ipykernel_launcher -f CONNECTION_FILE` would,
in a process of its own: its own session, working folder, environment and namespace, and no
state from any other brief, since nothing but imports ever ran in the zygote.

Only a kernelspec of that form (`PYTHON [FLAGS] -m ipykernel_launcher ...`) is forked; the
zygote runs the same interpreter with the same flags. Any other kernelspec, or a zygote that
failed to start, gets an ordinary kernel process.

Run as `python -m ca_combatants.zygote REQUESTS_FD REPLIES_FD`: one JSON request per line
(an id, arguments, environment, folder), one reply per line with the request's id (the kernel's
pid, or why there is none).
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import json
import multiprocessing
import os
import select
import signal
import subprocess
import sys
import threading
import traceback
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .paths import REPO_ROOT
from .sections import SECTION_ORDER

LAUNCHER = "ipykernel_launcher"
BRIEF_MODULE = "ca_combatants.notebook"  # what the notebook's setup cell imports
# what every kernel would otherwise import for itself: ipykernel's own modules first, then
# those it imports while it starts (its debugger, which brings debugpy, was most of a forked
# kernel's start), then the brief and the sections it imports as it reaches them
PRELOAD = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.debugger",
    "IPython.core.oinspect",
    "psutil",
    "matplotlib_inline.backend_inline",
    BRIEF_MODULE,
    "pyarrow.ipc",
    *(f"ca_combatants.sections.{section}" for section in SECTION_ORDER),
)
_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Ask Linux to kill this process when its parent ends, however the parent ends."""
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


# ----------------------------------------------------------------------------- the zygote


def _become_kernel(
    request: dict[str, Any], own_fds: tuple[int, int], set_by_imports: dict[str, str]
) -> None:
    """In the forked child: become the kernel that `python -m ipykernel_launcher` would start.
    `set_by_imports`: what the preloaded modules added to the environment, as they would have
    in a kernel that imported them itself (debugpy sets PYDEVD_USE_FRAME_EVAL)."""
    code = 1
    try:
        for fd in own_fds:
            os.close(fd)
        os.setsid()  # a session of its own, as jupyter_client gives every kernel
        die_with_parent()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        for name, value in set_by_imports.items():
            os.environ.setdefault(name, value)
        from ipykernel import kernelapp

        # IPKernelApp read JPY_PARENT_PID when the zygote imported it; give the kernel's own
        # (first, so that the kernelspec's arguments still win)
        args = [
            f"--IPKernelApp.parent_handle={int(os.environ.get('JPY_PARENT_PID') or 0)}",
            *request["args"],
        ]
        sys.argv = [str(Path(kernelapp.__file__).with_name(f"{LAUNCHER}.py")), *args]
        kernelapp.launch_new_instance(argv=args)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # a closed stream: nothing left to say
                stream.flush()
        os._exit(code)


def serve(requests_fd: int, replies_fd: int) -> None:
    """Import, then fork one kernel per request until the pipe closes. Each reply carries its
    request's id; if the imports failed, each says so instead, and a normal kernel is started."""
    die_with_parent()
    # the batch ends the zygote by closing the pipe; Ctrl-C is for the batch to handle
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # as ipykernel_launcher does: the working folder is not a place to import from
    if sys.path and (sys.path[0] == "" or Path(sys.path[0]) == Path.cwd()):
        del sys.path[0]
    replies = os.fdopen(replies_fd, "w", buffering=1, encoding="utf-8")
    try:
        failure = None
        environment = dict(os.environ)
        try:
            # ipykernel sets this before the kernel's first import of matplotlib; so do we
            os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
            for module in PRELOAD:
                importlib.import_module(module)
        except BaseException as exc:
            failure = f"{type(exc).__name__}: {exc}"
        set_by_imports = {k: v for k, v in os.environ.items() if k not in environment}
        signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # kernels that end are reaped by Linux
        with os.fdopen(requests_fd, "r", encoding="utf-8") as requests:
            for line in requests:
                request = json.loads(line)
                reply: dict[str, Any] = {"id": request["id"]}
                if failure is not None:
                    reply["error"] = failure
                else:
                    reply["pid"] = pid = os.fork()
                    if pid == 0:
                        _become_kernel(request, (requests_fd, replies_fd), set_by_imports)
                replies.write(json.dumps(reply) + "\n")
    except BrokenPipeError:
        pass  # the batch has gone (finished or interrupted): so do we
    finally:
        with contextlib.suppress(OSError):
            replies.close()


# ----------------------------------------------------------------------------- in the batch


def launcher_prefix(argv: list[str]) -> list[str] | None:
    """The interpreter and its flags, for a kernelspec of the form `PYTHON [FLAGS] -m
    ipykernel_launcher ...`; None for any other."""
    for i in range(1, len(argv) - 1):
        if argv[i] == "-m" and argv[i + 1] == LAUNCHER:
            return argv[:i]
    return None


@contextlib.contextmanager
def _ctrl_c_ignored() -> Iterator[None]:
    """What is started inside ignores Ctrl-C from its first instruction: Linux passes an ignored
    signal on through exec, and Python then leaves it ignored. Otherwise a Ctrl-C while the
    zygote is still importing, before serve() ignores it, prints a KeyboardInterrupt traceback;
    the batch handles Ctrl-C. Only the main thread may change how a signal is handled."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def _ctrl_c_deferred() -> Iterator[list[bool]]:
    """Inside the block a Ctrl-C is only noted (in the list yielded); the caller decides what
    to do once the block is done. Only the main thread may change how a signal is handled,
    and only there does Python raise KeyboardInterrupt."""
    noted: list[bool] = []
    if threading.current_thread() is not threading.main_thread():
        yield noted
        return
    previous = signal.signal(signal.SIGINT, lambda *_: noted.append(True))
    try:
        yield noted
    finally:
        signal.signal(signal.SIGINT, previous)


class Zygote:
    """The client end: starts the zygote for a kernelspec and asks it for kernels.

    A batch starts one and forks its worker processes after it: they share it, one exchange
    at a time under a lock they share, so the imports are paid once for the whole batch."""

    LOCK_TIMEOUT = 60.0  # a worker that died holding the lock: the others start kernels as usual

    def __init__(self, kernel_name: str):
        from jupyter_client.kernelspec import KernelSpecManager

        spec = KernelSpecManager().get_kernel_spec(kernel_name)
        self.prefix = launcher_prefix(list(spec.argv))
        self._lock = multiprocessing.get_context("fork").Lock()  # also between threads
        self._owner = os.getpid()
        self._usable = False
        self._proc: subprocess.Popen[bytes] | None = None
        if self.prefix is None:
            return
        requests_r, self._requests = os.pipe()
        self._replies, replies_w = os.pipe()
        env = {**os.environ, **spec.env}
        try:
            with _ctrl_c_ignored():
                self._proc = subprocess.Popen(
                    [*self.prefix, "-m", __name__, str(requests_r), str(replies_w)],
                    pass_fds=(requests_r, replies_w),
                    stdin=subprocess.DEVNULL,
                    env=env,
                    cwd=REPO_ROOT,
                )
            self._usable = True
        except OSError:
            pass
        finally:
            os.close(requests_r)
            os.close(replies_w)

    def kernel_args(self, cmd: list[str]) -> list[str] | None:
        """The kernel's own arguments in a formatted kernel command, when the zygote can run it."""
        if self.prefix is None or cmd[: len(self.prefix) + 2] != [*self.prefix, "-m", LAUNCHER]:
            return None
        return cmd[len(self.prefix) + 2 :]

    def _reply(self) -> dict[str, Any]:
        # one byte at a time: the pipe is shared, and what follows this line is not ours
        line = bytearray()
        while not line.endswith(b"\n"):
            byte = os.read(self._replies, 1)
            if not byte:
                raise OSError("the kernel zygote has ended")
            line += byte
        reply: dict[str, Any] = json.loads(line)
        return reply

    def fork(self, args: list[str], env: dict[str, str], cwd: str) -> int | None:
        """A new kernel's pid, or None when the zygote cannot give one (start a kernel instead)."""
        if not self._usable or not self._lock.acquire(timeout=self.LOCK_TIMEOUT):
            return None
        try:
            # a Ctrl-C waits until the answer is in: the kernel asked for must not run on,
            # unclaimed, after the brief that asked for it has stopped
            with _ctrl_c_deferred() as ctrl_c:
                pid = self._exchange(args, env, cwd)
        except (OSError, ValueError, KeyError):
            self._usable = False
            return None
        finally:
            self._lock.release()
        if ctrl_c:
            kernel = ForkedKernel(pid)
            kernel.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                kernel.wait(timeout=1)
            signal.raise_signal(signal.SIGINT)  # now, to whoever handles it here
            return None
        return pid

    def _exchange(self, args: list[str], env: dict[str, str], cwd: str) -> int:
        request_id = uuid.uuid4().hex
        request = json.dumps({"id": request_id, "args": args, "env": env, "cwd": cwd})
        with os.fdopen(os.dup(self._requests), "wb") as requests:  # writes it all
            requests.write(request.encode("utf-8") + b"\n")
        while (reply := self._reply())["id"] != request_id:
            # an exchange cut short (a worker killed mid-way) left its kernel unclaimed: end it
            if "pid" in reply:
                with contextlib.suppress(OSError):
                    os.kill(reply["pid"], signal.SIGKILL)
        pid: int = reply["pid"]  # KeyError: the zygote could not import
        return pid

    def close(self) -> None:
        """Stop the zygote (in the process that started it; elsewhere, only stop using it)."""
        self._usable = False
        if self._proc is None or os.getpid() != self._owner:
            return
        for fd in (self._requests, self._replies):
            with contextlib.suppress(OSError):
                os.close(fd)
        try:
            # closing the pipe ends it at once, unless it is still importing (Ctrl-C early
            # in a batch); it holds nothing worth waiting for
            self._proc.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._proc = None


class ForkedKernel:
    """What jupyter_client asks of a kernel's Popen, for a kernel that is not our child:
    Linux tells its end through a pidfd, and signals go through the same pidfd."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid = pid
        try:
            self._fd: int | None = os.pidfd_open(pid)
        except ProcessLookupError:  # it has already ended
            self._fd = None

    def poll(self) -> int | None:
        if self._fd is None:
            return 0
        readable, _, _ = select.select([self._fd], [], [], 0)
        if not readable:
            return None
        os.close(self._fd)
        self._fd = None
        return 0  # the zygote, its parent, has its exit status; an ended kernel is all we need

    def wait(self, timeout: float | None = None) -> int:
        if self._fd is not None:
            select.select([self._fd], [], [], timeout)
        code = self.poll()
        if code is None:
            raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout or 0)
        return code

    def send_signal(self, signum: int) -> None:
        # as Popen does, signalling a kernel that has ended does nothing
        if self.poll() is None and self._fd is not None:
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(self._fd, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


def provisioner_for(manager: Any, zygote: Zygote) -> Any:
    """A provisioner for `manager` whose kernel comes from the zygote, when it can."""
    from jupyter_client.provisioning import LocalProvisioner

    class ForkedProvisioner(LocalProvisioner):
        async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
            args = zygote.kernel_args(cmd)
            env = dict(kwargs.get("env") or os.environ)
            env["JPY_PARENT_PID"] = str(os.getpid())  # as jupyter_client's launcher sets it
            cwd = str(kwargs.get("cwd") or os.getcwd())
            pid = None if args is None else zygote.fork(args, env, cwd)
            if pid is None:
                return await super().launch_kernel(cmd, **kwargs)
            self.process = ForkedKernel(pid)  # type: ignore[assignment]  # what it uses of Popen
            self.pid = self.pgid = pid
            self.cwd = cwd
            return self.connection_info

    return ForkedProvisioner(
        kernel_id=manager.kernel_id, kernel_spec=manager.kernel_spec, parent=manager
    )


if __name__ == "__main__":
    serve(int(sys.argv[1]), int(sys.argv[2]))
