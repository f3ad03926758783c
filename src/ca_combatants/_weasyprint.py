"""WeasyPrint, imported without running a C compiler.

WeasyPrint opens each of its seven C libraries by trying up to six names. For every name that
is not a file name, cffi asks ctypes.util.find_library, which on Linux runs `ldconfig -p`, then
gcc, then ld: about twenty subprocesses and a third of a second on every import, all to reject
names meant for Windows or macOS. While WeasyPrint is imported, this answers find_library from
one reading of ldconfig's cache instead. A library missing from that cache is still found: the
names WeasyPrint tries last are sonames, which the dynamic loader opens directly, on
LD_LIBRARY_PATH as anywhere else.
"""

from __future__ import annotations

import contextlib
import ctypes.util
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def _libraries_from_ldconfig_cache() -> Iterator[None]:
    if not sys.platform.startswith("linux"):
        yield
        return
    try:
        cache = subprocess.run(
            [shutil.which("ldconfig") or "/sbin/ldconfig", "-p"],
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        yield  # no cache to read: leave find_library as it is
        return

    def find_library(name: str) -> str | None:
        # the pattern ctypes uses on ldconfig's output, without its gcc and ld fallbacks
        found = re.search(rf"\s+(lib{re.escape(name)}\.[^\s]+)\s+\(", cache)
        return found.group(1) if found else None

    original = ctypes.util.find_library
    ctypes.util.find_library = find_library
    try:
        yield
    finally:
        ctypes.util.find_library = original


with _libraries_from_ldconfig_cache():
    import weasyprint

__all__ = ["weasyprint"]
