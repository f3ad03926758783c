"""The notebook executes with papermill for every country, side and the edge cases."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import papermill
import pytest
from papermill.exceptions import PapermillExecutionError

from ca_combatants.paths import NOTEBOOK, REPO_ROOT
from ca_combatants.sections import SECTION_ORDER

pytestmark = pytest.mark.slow  # every test here starts a kernel


def execute(tmp_path: Path, cwd: Path = REPO_ROOT, **parameters: Any) -> dict[str, Any]:
    out = tmp_path / "out.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOK),
        str(out),
        parameters=parameters,
        kernel_name="ca-brief",
        progress_bar=False,
        cwd=str(cwd),
    )
    return json.loads(out.read_text(encoding="utf-8"))


def section_outputs(nb: dict[str, Any]) -> dict[str, str]:
    found = {}
    for cell in nb["cells"]:
        tags = cell["metadata"].get("tags", [])
        for tag in tags:
            if tag.startswith("section:"):
                html = [
                    o["data"]["text/html"]
                    for o in cell["outputs"]
                    if "text/html" in o.get("data", {})
                ]
                found[tag.split(":", 1)[1]] = "".join(
                    "".join(h) if isinstance(h, list) else h for h in html
                )
    return found


CASES = {
    **{f"country-{c}": {"countries": [c]} for c in ["KZ", "KG", "TJ", "UZ", "TM"]},
    **{f"side-{s}": {"side": s} for s in ["russia", "ukraine", "both"]},
    "empty-TM-russia-2023-01-01": {"countries": ["TM"], "side": "russia", "as_of": "2023-01-01"},
    "as-of-between-articles": {"as_of": "2023-04-10"},
}


@pytest.mark.parametrize("parameters", CASES.values(), ids=CASES.keys())
def test_notebook_executes_every_section(tmp_path: Path, parameters: dict[str, Any]) -> None:
    nb = execute(tmp_path, **parameters)
    outputs = section_outputs(nb)
    assert list(outputs) == list(SECTION_ORDER)
    for name, html in outputs.items():
        assert f'id="{name}"' in html
    errors = [
        o for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"
    ]
    assert errors == []


def test_notebook_runs_with_the_kernel_started_in_notebooks(tmp_path: Path) -> None:
    nb = execute(tmp_path, cwd=REPO_ROOT / "notebooks", countries=["UZ"])
    assert "Uzbekistan" in section_outputs(nb)["scope_and_numbers"]


def test_plain_papermill_command_line(tmp_path: Path) -> None:
    out = tmp_path / "out.ipynb"
    proc = subprocess.run(
        [
            str(Path(sys.executable).parent / "papermill"),
            str(NOTEBOOK),
            str(out),
            "-p",
            "countries",
            '["KZ"]',
            "-p",
            "side",
            "russia",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO_ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    html = section_outputs(json.loads(out.read_text(encoding="utf-8")))["cover"]
    assert "Nationals of Kazakhstan fighting for Russia" in html


def test_unknown_parameter_stops_the_notebook(tmp_path: Path) -> None:
    with pytest.raises(PapermillExecutionError) as info:
        execute(tmp_path, colour="red")
    assert info.value.ename == "ParamsError"
    assert "unknown parameter 'colour'" in info.value.evalue


def test_redacted_notebook_holds_no_private_name(tmp_path: Path) -> None:
    from ca_combatants.dataset import load
    from ca_combatants.params import parse_params
    from ca_combatants.scope import Scope

    nb = execute(tmp_path, redact_private_persons=True)
    text = (tmp_path / "out.ipynb").read_text(encoding="utf-8")
    names = Scope(
        load(REPO_ROOT / "data"), parse_params({"redact_private_persons": True})
    ).private_name_strings()
    import re

    for name in names:
        for encoded in {name, json.dumps(name)[1:-1]}:
            assert not re.search(rf"(?<!\w){re.escape(encoded)}(?!\w)", text), name
    assert nb["metadata"]["papermill"]["parameters"]["redact_private_persons"] is True
