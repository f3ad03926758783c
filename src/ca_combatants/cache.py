"""The per-user folder for what a run can keep for the next one: compiled templates, and which
exact data packages have passed validation. Everything in it is keyed by content and can be
deleted at any time; a folder that cannot be written only makes the next run slower.

CA_BRIEF_CACHE_DIR chooses the folder; set it empty to keep nothing between runs."""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "CA_BRIEF_CACHE_DIR"


def cache_dir(kind: str) -> Path | None:
    """The folder for one kind of entry, created if needed; None when caching is off or the
    folder cannot be made."""
    chosen = os.environ.get(ENV_VAR)
    if chosen == "":
        return None
    if chosen is None:
        import platformdirs

        chosen = platformdirs.user_cache_dir("ca-brief", appauthor=False)
    folder = Path(chosen) / kind
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return None
    return folder
