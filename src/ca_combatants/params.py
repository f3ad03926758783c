"""The brief's parameters, declared once: the command line's options, the README's table of
parameters and the notebook's `parameters` cell all follow BriefParams (a test ties them)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import unicodedata
from pathlib import Path
from typing import Any, Literal, cast, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .errors import ParamsError
from .paths import default_data_dir

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
# no brief can draw on anything published before the five states were independent
EARLIEST = dt.date(1991, 1, 1)


class BriefParams(BaseModel):
    """What one brief covers. Unknown names are errors, not warnings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    countries: list[Country] = Field(
        default_factory=lambda: cast(list[Country], list(ALL_COUNTRIES)),
        description="Countries of origin or citizenship to cover (default: all five).",
        json_schema_extra={"allowed": "one or more of KZ, KG, TJ, UZ, TM, joined by commas"},
    )
    side: Side = Field(
        "both",
        description="Side fought for.",
        json_schema_extra={"allowed": "russia, ukraine or both"},
    )
    as_of: dt.date | None = Field(
        None,
        description="Use only information published on or before this date (default: the newest source).",
        json_schema_extra={"allowed": f"a date YYYY-MM-DD from {EARLIEST} to today"},
    )
    changes_since: dt.date | None = Field(
        None,
        description="Add a section on what sources published after this date (and by as_of) added or changed (default: none).",
        json_schema_extra={"allowed": f"a date YYYY-MM-DD from {EARLIEST} to as_of (or to today)"},
    )
    period_start: dt.date | None = Field(
        None,
        description="Earliest event date to include (default: no limit).",
        json_schema_extra={"allowed": f"a date YYYY-MM-DD from {EARLIEST} to today"},
    )
    period_end: dt.date | None = Field(
        None,
        description="Latest event date to include (default: no limit).",
        json_schema_extra={"allowed": f"a date YYYY-MM-DD from {EARLIEST} to today"},
    )
    redact_private_persons: bool = Field(
        False,
        description="Replace private persons' names, and what would identify them, everywhere in the output.",
        json_schema_extra={"allowed": "true or false"},
    )
    data_dir: str | None = Field(
        None,
        description="Data package folder, relative to where the command is typed (default: $CA_BRIEF_DATA_DIR, else the repository's data/, else data/ of the current folder).",
        json_schema_extra={"allowed": "a folder path", "path": True},
    )
    title: str = Field(
        DEFAULT_TITLE,
        min_length=1,
        max_length=200,
        description="Title on the cover.",
        json_schema_extra={"allowed": "text of 1 to 200 characters, no control characters"},
    )
    paper_size: PaperSize = Field(
        "A4", description="PDF paper size.", json_schema_extra={"allowed": "A4 or Letter"}
    )

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

    @field_validator("as_of", "changes_since", "period_start", "period_end")
    @classmethod
    def _plausible_date(cls, value: dt.date | None) -> dt.date | None:
        if value is not None and not EARLIEST <= value <= dt.date.today():
            raise ValueError(f"{value} is outside {EARLIEST} to today")
        return value

    @field_validator("changes_since")
    @classmethod
    def _not_after_as_of(cls, value: dt.date | None, info: ValidationInfo) -> dt.date | None:
        as_of = info.data.get("as_of")  # validated first: it is declared first
        if value is not None and as_of is not None and value > as_of:
            raise ValueError(f"{value} is after as_of {as_of}; give a date on or before as_of")
        return value

    @field_validator("title")
    @classmethod
    def _printable_title(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the title is blank")
        for ch in value:
            if unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs", "Cn"):
                raise ValueError(f"the title holds the control character U+{ord(ch):04X}")
        return value

    @model_validator(mode="after")
    def _period_in_order(self) -> BriefParams:
        if self.period_start and self.period_end and self.period_start > self.period_end:
            raise ValueError(
                f"period_start {self.period_start} is after period_end {self.period_end}"
            )
        return self

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir) if self.data_dir else default_data_dir()

    def scope_label(self) -> str:
        names = ", ".join(COUNTRY_NAMES[c] for c in self.countries)
        side = {
            "russia": "fighting for Russia",
            "ukraine": "fighting for Ukraine",
            "both": "on both sides",
        }[self.side]
        return f"Nationals of {names} {side}"


def allowed_values(name: str) -> str:
    """What a parameter accepts, in words."""
    extra = BriefParams.model_fields[name].json_schema_extra
    return str(extra.get("allowed", "")) if isinstance(extra, dict) else ""


def is_path(name: str) -> bool:
    """Whether a parameter names a file or folder (unknown names are not; parse_params names them)."""
    field = BriefParams.model_fields.get(name)
    extra = field.json_schema_extra if field else None
    return isinstance(extra, dict) and bool(extra.get("path"))


def parameter_table() -> str:
    """The README's table of parameters, in Markdown."""
    rows = ["| parameter | option | what it does | allowed |", "|---|---|---|---|"]
    for name, field in BriefParams.model_fields.items():
        option = "--" + name.replace("_", "-")
        rows.append(f"| `{name}` | `{option}` | {field.description} | {allowed_values(name)} |")
    return "\n".join(rows)


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
        allowed = allowed_values(name) if name in BriefParams.model_fields else ""
        reason = str(err["msg"]).removeprefix("Value error, ")
        hint = f"; allowed: {allowed}" if allowed else ""
        raise ParamsError(f"parameter {name!r}: bad value {bad!r} ({reason}){hint}") from None
