"""Project settings: [tool.scorecard] in pyproject.toml, overridable on the command line."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

from .validate import url_problem


class ConfigError(Exception):
    """A setting is wrong; the message names it."""


@dataclass(frozen=True)
class Config:
    repository: str = ""  # e.g. https://github.com/OWNER/REPO; enables edit/history links
    branch: str = "main"
    base_url: str = ""  # absolute URL of the published site; enables sitemap.xml
    language: str = "en"  # the site's language; others need locales/<language>/LC_MESSAGES/

    def with_overrides(self, **changes: str | None) -> Config:
        config = replace(self, **{k: v for k, v in changes.items() if v is not None})
        config.check()
        return config

    def check(self) -> None:
        for name in ("repository", "base_url"):
            value = getattr(self, name)
            problem = url_problem(value) if value else ""
            if problem:
                raise ConfigError(f"tool.scorecard.{name}: {problem}")
        if not self.branch or any(ch.isspace() for ch in self.branch):
            raise ConfigError(f"tool.scorecard.branch: {self.branch!r} is not a branch name")
        if not re.fullmatch(r"[a-z]{2,3}(_[A-Z]{2})?", self.language):
            raise ConfigError(
                f"tool.scorecard.language: {self.language!r} is not a language code (e.g. en, ko)"
            )


def load_config(project: Path) -> Config:
    """Read [tool.scorecard] from project/pyproject.toml (defaults if absent)."""
    path = project / "pyproject.toml"
    if not path.is_file():
        return Config()
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8")).get("tool", {}).get("scorecard", {})
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    known = {"repository", "branch", "base_url", "language"}
    unknown = sorted(set(table) - known)
    if unknown:
        raise ConfigError(
            f"tool.scorecard: unknown setting(s) {', '.join(unknown)} "
            f"(expected: {', '.join(sorted(known))})"
        )
    for key, value in table.items():
        if not isinstance(value, str):
            raise ConfigError(f"tool.scorecard.{key}: expected text, got {value!r}")
    config = Config(**{k: v.strip() for k, v in table.items()})
    config.check()
    return config
