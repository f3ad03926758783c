"""Where the repository's folders are, whether the kernel starts in the root or in notebooks/."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parents[1]
DEFAULT_DATA_DIR = REPO_ROOT / "data"
NOTEBOOK = REPO_ROOT / "notebooks" / "brief.ipynb"
TEMPLATES_DIR = PACKAGE_DIR / "templates"
