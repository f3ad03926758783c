"""Parameters are declared once, in BriefParams: the command line, the README's table and the
notebook's parameters cell follow it."""

from __future__ import annotations

import ast
import json

from ca_combatants.cli import build_parser
from ca_combatants.params import BriefParams, parameter_table
from ca_combatants.paths import NOTEBOOK, REPO_ROOT


def _subcommand(name: str) -> object:
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return action.choices[name]  # type: ignore[index]


def test_render_and_batch_have_one_option_per_parameter_with_its_help() -> None:
    for command in ("render", "batch"):
        sub = _subcommand(command)
        options = {a.dest: a for a in sub._actions if a.dest in BriefParams.model_fields}  # type: ignore[attr-defined]
        assert set(options) == set(BriefParams.model_fields), command
        for name, field in BriefParams.model_fields.items():
            assert options[name].option_strings == ["--" + name.replace("_", "-")]
            assert field.description and field.description in options[name].help


def test_the_readme_shows_the_table_of_parameters_as_declared() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert parameter_table() in readme


def test_the_notebook_parameters_cell_declares_each_parameter_with_its_default() -> None:
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", []))
    declared = {}
    for node in ast.parse("".join(cell["source"])).body:
        assert isinstance(node, ast.AnnAssign | ast.Assign), ast.dump(node)
        target = node.target if isinstance(node, ast.AnnAssign) else node.targets[0]
        assert isinstance(target, ast.Name) and node.value is not None
        declared[target.id] = ast.literal_eval(node.value)
    assert list(declared) == list(BriefParams.model_fields)
    defaults = BriefParams().model_dump(mode="json")
    assert declared == defaults


def test_changes_since_is_a_date_no_later_than_as_of() -> None:
    import datetime as dt

    import pytest

    from ca_combatants.params import ParamsError, parse_params

    assert parse_params({}).changes_since is None
    both = parse_params({"as_of": "2023-06-30", "changes_since": "2023-06-30"})
    assert both.changes_since == dt.date(2023, 6, 30)  # an empty window is allowed
    # without as_of, the newest source is not known here: any date up to today is accepted
    assert parse_params({"changes_since": "2026-01-15"}).changes_since == dt.date(2026, 1, 15)
    for values, message in [
        (
            {"as_of": "2023-06-30", "changes_since": "2023-07-01"},
            "parameter 'changes_since': bad value '2023-07-01' (2023-07-01 is after as_of 2023-06-30",
        ),
        ({"changes_since": "April 2023"}, "parameter 'changes_since': bad value 'April 2023'"),
        ({"changes_since": "1990-01-01"}, "1990-01-01 is outside 1991-01-01 to today"),
        ({"changes_since": "2999-01-01"}, "outside 1991-01-01 to today"),
    ]:
        with pytest.raises(ParamsError) as err:
            parse_params(values)
        assert message in str(err.value)
        assert "allowed: a date YYYY-MM-DD from 1991-01-01 to as_of (or to today)" in str(err.value)
