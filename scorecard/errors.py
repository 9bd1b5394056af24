"""Problems found in the data, and the error type that carries them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

# Control characters and bidirectional overrides, shown escaped: a file name or a value
# quoted in a message must not break the line, colour the terminal or reorder the text.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one place in one file.

    `line` and `column` are 1-based; 0 means "the whole file".
    `field` is the path to the offending value, e.g. ``indicators.gerd[0].year``.
    """

    path: str
    line: int
    column: int
    severity: Severity
    field: str
    message: str
    tip: str = ""

    def format(self) -> str:
        """Render as ``path:line:col: severity: field: message`` (plus a tip line)."""
        where = f"{self.path}:{self.line}:{self.column}" if self.line else self.path
        what = f"{self.field}: {self.message}" if self.field else self.message
        text = _printable(f"{where}: {self.severity.value}: {what}")
        if self.tip:
            text += f"\n    tip: {_printable(self.tip)}"
        return text


def _printable(text: str) -> str:
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


class ScorecardError(Exception):
    """Raised when the data cannot be built; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        super().__init__(f"{len(self.problems)} problem(s) in the data")


def summarise(problems: list[Problem], files_checked: int) -> str:
    """One summary line: how many errors and warnings, in how many files."""
    errors = sum(p.severity is Severity.ERROR for p in problems)
    warnings = len(problems) - errors
    files = len({p.path for p in problems})
    counts = f"{_plural(errors, 'error')} and {_plural(warnings, 'warning')}"
    if not problems:
        return f"no problems in {_plural(files_checked, 'file')}"
    return f"{counts} in {_plural(files, 'file')} ({files_checked} checked)"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
