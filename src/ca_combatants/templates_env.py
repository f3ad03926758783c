"""The one way templates are loaded: the package's templates folder, with HTML escaping."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, FileSystemLoader

from .paths import TEMPLATES_DIR


def template_environment(**options: Any) -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        **options,
    )
