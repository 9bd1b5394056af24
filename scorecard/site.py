"""Render the static site: pages, charts, downloads and assets."""

from __future__ import annotations

from .config import Config
from .export import scores_csv, scores_document, scores_json, values_csv
from .write import Content


def render_site(results, paths, config: Config) -> dict[str, Content]:  # type: ignore[no-untyped-def]
    """Every file of the site (relative path -> bytes, or a file to copy)."""
    data, scores, intervals = results.dataset, results.scores, results.intervals
    return {
        "data/scores.json": scores_json(scores_document(data, scores, intervals)),
        "data/scores.csv": scores_csv(data, scores, intervals),
        "data/values.csv": values_csv(data, scores),
    }
