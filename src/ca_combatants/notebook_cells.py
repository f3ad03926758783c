"""The notebook's section cells, one per entry of the sections registry, in its order.

`python -m ca_combatants.notebook_cells` rewrites the section cells of notebooks/brief.ipynb
from the registry (a cell kept keeps its id); a test checks that the notebook is in step."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

from .paths import NOTEBOOK
from .sections import SECTIONS

TAG = "section:"


def section_of(cell: dict[str, Any]) -> str | None:
    tags = cell.get("metadata", {}).get("tags", [])
    return next((t[len(TAG) :] for t in tags if t.startswith(TAG)), None)


def section_cell(name: str, cell_id: str) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "execution_count": None,
        "id": cell_id,
        "metadata": {"tags": [f"{TAG}{name}"]},
        "outputs": [],
        "source": [f'brief.section("{name}")'],
    }


def with_section_cells(nb: dict[str, Any]) -> dict[str, Any]:
    """The notebook with one section cell per registered section, in the registry's order,
    after the cells that come before the first section cell (title, parameters, setup)."""
    cells = nb["cells"]
    first = next((i for i, c in enumerate(cells) if section_of(c)), len(cells))
    ids = {section_of(c): c["id"] for c in cells if section_of(c)}
    out = copy.deepcopy(nb)
    out["cells"] = [
        *copy.deepcopy(cells[:first]),
        *(section_cell(s.name, ids.get(s.name, f"section-{s.name}")) for s in SECTIONS),
        *copy.deepcopy([c for c in cells[first:] if not section_of(c)]),
    ]
    return out


def dumps(nb: dict[str, Any]) -> str:
    """As JupyterLab writes a notebook."""
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def main(path: Path = NOTEBOOK) -> int:
    nb = json.loads(path.read_text(encoding="utf-8"))
    updated = dumps(with_section_cells(nb))
    if updated != path.read_text(encoding="utf-8"):
        path.write_text(updated, encoding="utf-8")
        print(f"{path.name}: section cells rewritten from the registry")
    return 0


if __name__ == "__main__":
    sys.exit(main())
