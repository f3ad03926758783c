"""The brief's parameters, declared once. The notebook's `parameters` cell mirrors the defaults."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from pathlib import Path
from typing import Any, Literal, cast, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import ParamsError
from .paths import DEFAULT_DATA_DIR

__all__ = ["BriefParams", "ParamsError", "parse_params"]

Country = Literal["KZ", "KG", "TJ", "UZ", "TM"]
Side = Literal["russia", "ukraine", "both"]
PaperSize = Literal["A4", "Letter"]
ALL_COUNTRIES: tuple[str, ...] = get_args(Country)
COUNTRY_NAMES = {
    "KZ": "Kazakhstan",
    "KG": "Kyrgyzstan",
    "TJ": "Tajikistan",
    "UZ": "Uzbekistan",
    "TM": "Turkmenistan",
}
DEFAULT_TITLE = "Central Asians in Russia's war against Ukraine"


class BriefParams(BaseModel):
    """What one brief covers. Unknown names are errors, not warnings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    countries: list[Country] = Field(
        default_factory=lambda: cast(list[Country], list(ALL_COUNTRIES)),
        description="Countries of origin or citizenship to cover: one or more of KZ, KG, TJ, UZ, TM.",
    )
    side: Side = Field("both", description="Side fought for: russia, ukraine or both.")
    as_of: dt.date | None = Field(
        None,
        description="Use only information published on or before this date (default: the newest source).",
    )
    period_start: dt.date | None = Field(
        None, description="Earliest event date to include (default: no limit)."
    )
    period_end: dt.date | None = Field(
        None, description="Latest event date to include (default: no limit)."
    )
    redact_private_persons: bool = Field(
        False,
        description="Replace private persons' names with stable labels everywhere in the output.",
    )
    data_dir: str | None = Field(
        None, description="Data package folder (default: the repository's data/)."
    )
    title: str = Field(
        DEFAULT_TITLE, min_length=1, max_length=200, description="Title on the cover."
    )
    paper_size: PaperSize = Field("A4", description="PDF paper size: A4 or Letter.")

    @field_validator("countries", mode="before")
    @classmethod
    def _split_countries(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().startswith(
            "["
        ):  # papermill -p countries '["KZ"]'
            with contextlib.suppress(json.JSONDecodeError):  # left as text, the check names it
                value = json.loads(value)
        if isinstance(value, str):  # "KZ,KG" from a command line
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list):
            value = [v.upper() if isinstance(v, str) else v for v in value]
        return value

    @field_validator("countries")
    @classmethod
    def _non_empty_unique(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("at least one country is needed")
        return sorted(set(value), key=ALL_COUNTRIES.index)

    @model_validator(mode="after")
    def _period_in_order(self) -> BriefParams:
        if self.period_start and self.period_end and self.period_start > self.period_end:
            raise ValueError(
                f"period_start {self.period_start} is after period_end {self.period_end}"
            )
        return self

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir) if self.data_dir else DEFAULT_DATA_DIR

    def scope_label(self) -> str:
        names = ", ".join(COUNTRY_NAMES[c] for c in self.countries)
        side = {
            "russia": "fighting for Russia",
            "ukraine": "fighting for Ukraine",
            "both": "on both sides",
        }[self.side]
        return f"Nationals of {names} {side}"


def _allowed(name: str) -> str:
    allowed = {
        "countries": "a list drawn from KZ, KG, TJ, UZ, TM",
        "side": "russia, ukraine or both",
        "as_of": "a date YYYY-MM-DD, or null",
        "period_start": "a date YYYY-MM-DD, or null",
        "period_end": "a date YYYY-MM-DD, or null",
        "redact_private_persons": "true or false",
        "data_dir": "a folder path, or null",
        "title": "text of 1 to 200 characters",
        "paper_size": "A4 or Letter",
    }
    return allowed.get(name, "")


def parse_params(values: dict[str, Any]) -> BriefParams:
    """Validate raw parameters (from papermill, YAML or the command line) in one step."""
    known = set(BriefParams.model_fields)
    unknown = sorted(set(values) - known)
    if unknown:
        raise ParamsError(
            f"unknown parameter {unknown[0]!r}; allowed parameters: {', '.join(sorted(known))}"
        )
    try:
        return BriefParams(**values)
    except ValidationError as exc:
        err = exc.errors()[0]
        name = str(err["loc"][0]) if err["loc"] else "parameters"
        value = values.get(name, err.get("input"))
        bad = err.get("input") if name == "countries" and len(err["loc"]) > 1 else value
        allowed = _allowed(name)
        reason = str(err["msg"]).removeprefix("Value error, ")
        hint = f"; allowed: {allowed}" if allowed else ""
        raise ParamsError(f"parameter {name!r}: bad value {bad!r} ({reason}){hint}") from None
