"""The one call the notebook makes before its section cells."""

from __future__ import annotations

import inspect
from typing import Any

from .brief import Brief
from .params import parse_params

# Names IPython puts in a kernel's namespace; anything else a user or papermill defines is a parameter.
_KERNEL_NAMES = {"In", "Out", "get_ipython", "exit", "quit", "open"}


def parameters_from_namespace(namespace: dict[str, Any]) -> dict[str, Any]:
    return {
        name: value
        for name, value in namespace.items()
        if not name.startswith("_")
        and name not in _KERNEL_NAMES
        and not inspect.ismodule(value)
        and not callable(value)
        and not isinstance(value, Brief)
    }


def start_brief(namespace: dict[str, Any]) -> Brief:
    """Validate the notebook's parameters (unknown names are errors) and build the brief."""
    return Brief(parse_params(parameters_from_namespace(namespace)))
