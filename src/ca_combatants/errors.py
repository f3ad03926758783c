"""What can be wrong with the data, in a module light enough for the command line to import
before it knows whether pandas is needed."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the data, located as precisely as possible."""

    file: str
    row: int  # physical line on which the row starts (header = 1); 0 for a file-level problem
    column: str
    message: str
    expected: str

    def __str__(self) -> str:
        where = self.file if self.row == 0 else f"{self.file}:{self.row}"
        col = f" column '{self.column}':" if self.column else ""
        return f"{where}:{col} {self.message} (expected {self.expected})"


class DataError(Exception):
    """The data package is invalid; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the data package")

    def __reduce__(self) -> tuple[type[DataError], tuple[list[Problem]]]:
        return (DataError, (self.problems,))  # it crosses from a worker process intact


class DataDirError(Exception):
    """The data directory or its descriptor cannot be used at all."""


class ParamsError(ValueError):
    """Bad parameters: the message names the parameter, the value and what is allowed."""


class OutputDirError(Exception):
    """The output folder cannot be used: a file, under a file, or not writable."""


class KernelNotFoundError(Exception):
    """No Jupyter kernel of that name is installed where Jupyter looks."""
