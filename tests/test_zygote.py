"""Start-up costs avoided: kernels forked from the batch's zygote (real kernels, isolated, and
never left behind), and WeasyPrint imported without running a C compiler."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.blocking import BlockingKernelClient

from ca_combatants.kernel import KERNEL_NAME, start_kernel, started_kernel, stop_kernel
from ca_combatants.paths import REPO_ROOT
from ca_combatants.zygote import Zygote, launcher_prefix
from tests.processes import live_processes

PROBE = (
    "import json, os, sys\n"
    "print(json.dumps({'pid': os.getpid(), 'ppid': os.getppid(), 'pgid': os.getpgid(0),"
    " 'cwd': os.getcwd(), 'parent_env': os.environ.get('JPY_PARENT_PID'),"
    " 'pandas_already_imported': 'pandas' in sys.modules, 'n': len(dir()),"
    " 'env': dict(os.environ)}))"
)


def probe(manager: Any) -> dict[str, Any]:
    """Run PROBE in the kernel and return what it printed."""
    client = BlockingKernelClient()
    client.load_connection_info(manager.get_connection_info())
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        printed: list[str] = []

        def collect(msg: dict[str, Any]) -> None:
            if msg["msg_type"] == "stream":
                printed.append(msg["content"]["text"])

        reply = client.execute_interactive(PROBE, timeout=60, output_hook=collect)
        assert reply["content"]["status"] == "ok", reply["content"]
        result: dict[str, Any] = json.loads("".join(printed))
        return result
    finally:
        client.stop_channels()


def gone(pid: int, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def zygote() -> Iterator[Zygote]:
    z = Zygote(KERNEL_NAME)
    try:
        yield z
    finally:
        z.close()


def test_a_forked_kernel_is_a_fresh_kernel_of_its_own(zygote: Zygote) -> None:
    assert zygote._proc is not None
    with started_kernel(KERNEL_NAME, zygote) as manager:
        first = probe(manager)
    with started_kernel(KERNEL_NAME, zygote) as manager:
        second = probe(manager)
    for seen in (first, second):
        assert seen["ppid"] == zygote._proc.pid  # forked from the zygote, not started afresh
        assert seen["pandas_already_imported"]  # which is the point
        assert seen["pgid"] == seen["pid"]  # a session of its own, as jupyter_client gives
        assert seen["cwd"] == str(REPO_ROOT)
        assert seen["parent_env"] == str(os.getpid())
        assert gone(seen["pid"])  # shut down with its block, and reaped
    assert first["pid"] != second["pid"]
    assert first["n"] == second["n"]  # the second kernel sees nothing the first one defined


def test_without_a_zygote_the_kernel_is_started_as_usual(zygote: Zygote) -> None:
    zygote.close()  # as when the zygote could not start: every kernel is an ordinary child
    with started_kernel(KERNEL_NAME, zygote) as manager:
        seen = probe(manager)
    assert seen["ppid"] == os.getpid()
    assert gone(seen["pid"])


def test_a_forked_kernel_has_the_environment_of_a_kernel_started_as_usual(zygote: Zygote) -> None:
    """The zygote's imports set variables (debugpy: PYDEVD_USE_FRAME_EVAL) that each kernel
    importing them itself would have; a forked kernel has them too, and nothing else."""
    assert zygote._proc is not None
    with started_kernel(KERNEL_NAME, zygote) as manager:
        forked = probe(manager)
    with started_kernel(KERNEL_NAME) as manager:
        usual = probe(manager)
    assert forked["ppid"] == zygote._proc.pid and usual["ppid"] == os.getpid()
    assert forked["env"].get("PYDEVD_USE_FRAME_EVAL") == "NO"
    assert forked["env"] == usual["env"]


def test_kernels_end_with_their_zygote(zygote: Zygote) -> None:
    assert zygote._proc is not None
    with started_kernel(KERNEL_NAME, zygote) as manager:
        kernel = probe(manager)["pid"]
        zygote._proc.send_signal(signal.SIGKILL)  # the batch worker's zygote dies hard
        assert gone(kernel)


def _probe_a_forked_kernel(zygote: Zygote, results: Any) -> None:
    with started_kernel(KERNEL_NAME, zygote) as manager:
        results.put(probe(manager))


def test_processes_forked_after_the_zygote_share_it(zygote: Zygote) -> None:
    """As a batch's workers do: each asks the one zygote for kernels, at the same time."""
    assert zygote._proc is not None
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    workers = [
        context.Process(target=_probe_a_forked_kernel, args=(zygote, results)) for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    seen = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert all(s["ppid"] == zygote._proc.pid for s in seen)  # forked, not started afresh
    assert seen[0]["pid"] != seen[1]["pid"]
    assert all(gone(s["pid"]) for s in seen)


def _children(pid: int) -> list[int]:
    return [int(p) for p in live_processes(lambda _, fields: int(fields[1]) == pid)]


def test_a_kernel_whose_request_was_cut_short_is_ended_by_the_next_request(
    zygote: Zygote, tmp_path: Path
) -> None:
    """A worker interrupted between asking for a kernel and reading the answer leaves the
    answer in the shared pipe; whoever asks next skips it and ends that kernel."""
    assert zygote._proc is not None
    unclaimed = {
        "id": "cut-short",
        "args": ["-f", str(tmp_path / "unclaimed.json")],
        "env": dict(os.environ),
        "cwd": str(REPO_ROOT),
    }
    os.write(zygote._requests, (json.dumps(unclaimed) + "\n").encode())
    with started_kernel(KERNEL_NAME, zygote) as manager:
        seen = probe(manager)
        assert seen["ppid"] == zygote._proc.pid
        deadline = time.monotonic() + 10
        while _children(zygote._proc.pid) != [seen["pid"]] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _children(zygote._proc.pid) == [seen["pid"]]


def test_only_an_ipykernel_launcher_kernelspec_is_forked() -> None:
    argv = ["/env/bin/python", "-Xfrozen_modules=off", "-m", "ipykernel_launcher", "-f", "{c}"]
    assert launcher_prefix(argv) == ["/env/bin/python", "-Xfrozen_modules=off"]
    assert launcher_prefix(["/env/bin/python", "-m", "other_kernel", "-f", "{c}"]) is None
    assert launcher_prefix(["/usr/bin/ir", "--kernel", "{c}"]) is None


def test_weasyprint_libraries_are_looked_up_in_ldconfig_cache_only_while_importing() -> None:
    import ctypes.util

    from ca_combatants._weasyprint import _libraries_from_ldconfig_cache

    original = ctypes.util.find_library
    with _libraries_from_ldconfig_cache():
        assert ctypes.util.find_library is not original
        # a name WeasyPrint tries for Linux, and one of the names it tries for Windows
        assert ctypes.util.find_library("pango-1.0") == original("pango-1.0") is not None
        assert ctypes.util.find_library("libpango-1.0-0") is None
    assert ctypes.util.find_library is original


def test_compiled_templates_are_kept_and_a_cache_that_cannot_be_written_is_harmless(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jinja2 import Environment

    from ca_combatants import templates_env

    cache = templates_env._OptionalBytecodeCache(str(tmp_path))
    monkeypatch.setattr(templates_env, "_bytecode_cache", lambda: cache)
    compiled: list[str] = []
    original = Environment.compile

    def counting(self: Environment, source: str, name: str | None = None, *a: Any) -> Any:
        compiled.append(name or "")
        return original(self, source, name, *a)

    monkeypatch.setattr(Environment, "compile", counting)
    first = templates_env.template_environment().get_template("index.html.j2")
    second = templates_env.template_environment().get_template("index.html.j2")
    assert compiled == ["index.html.j2"]  # the second environment read the cache
    assert first.render(rows=[], css="") == second.render(rows=[], css="")

    def full_disk(*_: Any, **__: Any) -> Any:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("tempfile.NamedTemporaryFile", full_disk)
    cache.clear()
    html = (
        templates_env.template_environment().get_template("index.html.j2").render(rows=[], css="")
    )
    assert html == first.render(rows=[], css="")


def test_the_render_kernel_preloads_the_brief_and_its_client_notices_a_dead_kernel() -> None:
    """Without a zygote the kernel imports the brief's modules before its first cell; and the
    client's own handshake (it skips jupyter_client's 0.2 s wait) still fails on a dead kernel
    instead of waiting for ever."""
    from jupyter_core.utils import run_sync

    with started_kernel(KERNEL_NAME) as manager:
        seen = probe(manager)
        assert seen["pandas_already_imported"]
        assert seen["ppid"] == os.getpid()

    manager = start_kernel(KERNEL_NAME)
    try:
        client = manager.client()
        client.start_channels()
        manager.provisioner.process.kill()  # long before it could answer
        with pytest.raises(RuntimeError, match="Kernel died before replying to kernel_info"):
            run_sync(client.wait_for_ready)(timeout=30)
        client.stop_channels()
    finally:
        stop_kernel(manager)


def test_a_zygote_ignores_ctrl_c_from_its_first_instruction() -> None:
    """Ctrl-C while the zygote still imports must not print its KeyboardInterrupt traceback:
    the batch handles Ctrl-C. Checked while it imports, before it could set anything itself."""
    z = Zygote(KERNEL_NAME)
    try:
        assert z._proc is not None
        status = Path(f"/proc/{z._proc.pid}/status").read_text()
        ignored = int(
            next(x for x in status.splitlines() if x.startswith("SigIgn:")).split()[1], 16
        )
        assert ignored & (1 << (signal.SIGINT - 1))
    finally:
        z.close()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # ours is as it was


@pytest.mark.parametrize("forked", [True, False])
def test_kernels_listen_on_unix_sockets_removed_with_them(
    zygote: Zygote, monkeypatch: pytest.MonkeyPatch, forked: bool
) -> None:
    """TCP ports are picked by jupyter_client and bound by the kernel only later: a kernel a
    batch's other worker starts meanwhile can take one first, and the brief fails with
    "Address already in use". Sockets named after the kernel's own connection file cannot be
    taken; they go when the kernel stops, whether it was forked or started as usual."""
    # a short folder: pytest's own run past the length a socket's path may have
    folder = Path(tempfile.mkdtemp(prefix="ipc-"))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    try:
        with started_kernel(KERNEL_NAME, zygote if forked else None) as manager:
            info = manager.get_connection_info()
            seen = probe(manager)
            assert info["transport"] == "ipc"
            assert seen["ppid"] == (zygote._proc.pid if forked and zygote._proc else os.getpid())
            sockets = sorted(p.name for p in folder.iterdir() if "-ipc-" in p.name)
            assert len(sockets) == 5  # shell, IOPub, stdin, control, heartbeat
        assert list(folder.iterdir()) == []
    finally:
        shutil.rmtree(folder, ignore_errors=True)
