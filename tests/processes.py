"""What the tests look up in /proc."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


def live_processes(matches: Callable[[str, list[str]], bool]) -> list[str]:
    """Live processes for which matches(pid, fields of /proc/PID/stat after the name) holds."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                if fields[0] != "Z" and matches(entry, fields):
                    found.append(entry)
            except OSError:
                continue
    return found
