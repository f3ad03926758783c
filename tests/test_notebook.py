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

from ca_combatants.params import parse_params
from ca_combatants.paths import NOTEBOOK, REPO_ROOT
from ca_combatants.sections import SECTION_ORDER, SECTIONS

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
    "changes-since": {"as_of": "2023-06-30", "changes_since": "2023-04-01"},
}


@pytest.mark.parametrize("parameters", CASES.values(), ids=CASES.keys())
def test_notebook_executes_every_section(tmp_path: Path, parameters: dict[str, Any]) -> None:
    nb = execute(tmp_path, **parameters)
    outputs = section_outputs(nb)
    assert list(outputs) == list(SECTION_ORDER)  # a cell for each, in order
    params = parse_params(parameters)
    outputs = {name: html for name, html in outputs.items() if html}  # one not asked shows nothing
    assert list(outputs) == [s.name for s in SECTIONS if s.included(params)]
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


# ---------------------------------------------------------------- in JupyterLab, and in git

NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))


def kernel_language_info() -> dict[str, Any]:
    """What the ca-brief kernel tells a front end about its language: JupyterLab writes this
    into the notebook's metadata as soon as the kernel starts."""
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="ca-brief")
    try:
        kc.kernel_info()
        reply = kc.get_shell_msg(timeout=60)
        info: dict[str, Any] = reply["content"]["language_info"]
        return info
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_committed_notebooks_hold_what_jupyterlab_would_write() -> None:
    """Opening a notebook in JupyterLab does not mark it modified: kernelspec and language_info
    are what the kernel reports, and there are no outputs or execution counts to strip."""
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec("ca-brief")
    info = kernel_language_info()
    assert len(NOTEBOOKS) >= 2
    for path in NOTEBOOKS:
        nb = json.loads(path.read_text(encoding="utf-8"))
        assert nb["metadata"]["kernelspec"] == {
            "display_name": spec.display_name,
            "language": spec.language,
            "name": "ca-brief",
        }, path.name
        assert nb["metadata"]["language_info"] == info, path.name
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert all(c["outputs"] == [] and c["execution_count"] is None for c in code), path.name
        # byte for byte as Jupyter saves it (nbformat: indent 1, sorted keys, final newline)
        text = path.read_text(encoding="utf-8")
        assert nbformat.writes(nbformat.reads(text, as_version=4)) + "\n" == text, path.name


def test_git_strips_outputs_from_notebooks(tmp_path: Path) -> None:
    """.gitattributes sends notebooks through nbstripout: an executed notebook is stored without
    outputs, and the committed notebooks pass through unchanged (git sees no change)."""
    attributes = (REPO_ROOT / ".gitattributes").read_text(encoding="utf-8")
    assert "*.ipynb filter=nbstripout" in attributes
    makefile = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    assert "filter.nbstripout.clean '$(BIN)/python -m nbstripout $(NBSTRIP)'" in makefile
    options = [
        "--keep-id",
        "--extra-keys",
        "metadata.papermill cell.metadata.papermill cell.metadata.execution",
    ]
    assert (
        'NBSTRIP := --keep-id --extra-keys "metadata.papermill cell.metadata.papermill cell.metadata.execution"'
        in makefile
    )

    def strip(path: Path) -> str:
        return subprocess.run(
            [sys.executable, "-m", "nbstripout", *options, "--textconv", str(path)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    executed = tmp_path / "executed.ipynb"
    executed.write_text(json.dumps(execute(tmp_path, countries=["KZ"])), encoding="utf-8")
    stored = json.loads(strip(executed))
    code = [c for c in stored["cells"] if c["cell_type"] == "code"]
    assert code and all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    assert "papermill" not in stored["metadata"]
    assert not any("papermill" in c["metadata"] for c in stored["cells"])
    for path in NOTEBOOKS:
        assert strip(path) == path.read_text(encoding="utf-8"), path.name


def test_section_tables_are_left_aligned_whatever_the_front_end_stylesheet(
    tmp_path: Path,
) -> None:
    """JupyterLab right-aligns and centres every output table cell; each cell of a section
    carries its own alignment, which wins over any stylesheet."""
    import re

    outputs = section_outputs(execute(tmp_path))
    cells = [c for html in outputs.values() for c in re.findall(r"<t[dh][ >][^>]*", html)]
    assert len(cells) > 100
    for cell in cells:
        numeric = 'class="n"' in cell
        assert f"text-align:{'right' if numeric else 'left'};vertical-align:top" in cell, cell


# ---------------------------------------------------------------- the exploring notebook

EXPLORE = REPO_ROOT / "notebooks" / "explore.ipynb"


def execute_explore(tmp_path: Path, **parameters: Any) -> dict[str, Any]:
    out = tmp_path / "explore.out.ipynb"
    papermill.execute_notebook(
        str(EXPLORE),
        str(out),
        parameters=parameters,
        kernel_name="ca-brief",
        progress_bar=False,
        cwd=str(REPO_ROOT / "notebooks"),
    )
    return json.loads(out.read_text(encoding="utf-8"))


def test_explore_notebook_answers_its_questions(tmp_path: Path) -> None:
    nb = execute_explore(tmp_path)
    outputs = [o for c in nb["cells"] for o in c.get("outputs", [])]
    assert [o for o in outputs if o.get("output_type") == "error"] == []
    html = "".join("".join(o.get("data", {}).get("text/html", "")) for o in outputs)
    assert "Kudaabek uulu" in html  # a combatant with a criminal case
    assert "BBC Russian Service" in html  # a counter of the dead
    assert any("image/png" in o.get("data", {}) for o in outputs)  # the chart


def test_explore_notebook_follows_the_parameters(tmp_path: Path) -> None:
    nb = execute_explore(tmp_path, countries=["KZ"], side="russia", redact_private_persons=True)
    text = json.dumps(nb)
    assert "Baurzhan" not in text  # a private person, under his code
    assert nb["metadata"]["papermill"]["parameters"]["countries"] == ["KZ"]


def test_explore_joins() -> None:
    from ca_combatants.explore import Explore
    from ca_combatants.params import parse_params

    data = Explore(parse_params({}))
    claims = data.claims_with_sources()
    assert len(claims) == len(data.scope.claims) and claims["title"].notna().all()
    assert claims["ref_number"].notna().all()
    quoted = claims.set_index("claim_id").loc["cl_gv_scope_small_numbers"]
    assert quoted["publisher"] == "Global Voices" and quoted["credibility"] == 2
    people = data.persons_with_cases().set_index("person_id")
    assert len(people) == len(data.scope.combatants)
    assert people.loc["per_almaz_kudaabek_uulu", "n_cases"] >= 1
    assert (
        "Participation in the war on Ukraine's side"
        in people.loc["per_almaz_kudaabek_uulu", "cases"]
    )
    assert (people["n_claims"] > 0).all()  # everyone in scope is known from a claim
    numbers = data.figures_with_counters()
    deaths = numbers[numbers["figure_category"] == "deaths"]
    assert "BBC Russian Service" in set(deaths["counted_by"])
    assert deaths["reported_in"].str.match(r"^\[\d+\]").all()

    redacted = Explore(parse_params({"redact_private_persons": True}), data.dataset)
    names = set(redacted.persons_with_cases()["name"])
    assert "Baurzhan Urazov" not in names and any(n.startswith("P") for n in names)
