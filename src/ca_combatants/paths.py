"""Where the brief's files are: in a checkout of the repository, or in an installed package.

The notebook ships inside the package (`ca_combatants/notebooks/brief.ipynb`, the repository's
`notebooks/brief.ipynb` itself, through a link). The data package does not: it is found as
`default_data_dir` says."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import DataDirError

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parents[1]  # in an installed package, a folder of no interest
DEFAULT_DATA_DIR = REPO_ROOT / "data"  # the checkout's data package
DATA_DIR_VARIABLE = "CA_BRIEF_DATA_DIR"
IN_CHECKOUT = (REPO_ROOT / "notebooks" / "brief.ipynb").is_file()
NOTEBOOK = (REPO_ROOT if IN_CHECKOUT else PACKAGE_DIR) / "notebooks" / "brief.ipynb"
TEMPLATES_DIR = PACKAGE_DIR / "templates"


def default_data_dir() -> Path:
    """The data package used when none is given: $CA_BRIEF_DATA_DIR; else, in a checkout, its
    data/; else data/ of the current folder."""
    chosen = os.environ.get(DATA_DIR_VARIABLE)
    if chosen:
        return Path(chosen).absolute()
    if IN_CHECKOUT:
        return DEFAULT_DATA_DIR
    here = Path.cwd() / "data"
    if (here / "datapackage.json").is_file():
        return here
    raise DataDirError(
        f"no data package given: pass --data-dir DIR, set {DATA_DIR_VARIABLE}=DIR, "
        "or run from a folder whose data/ holds datapackage.json"
    )
