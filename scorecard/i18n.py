"""Translations of the site's text: gettext catalogues in locales/<lang>/LC_MESSAGES/.

English is the source language (the msgids), so it needs no catalogue. Other languages
are read from their .po file and compiled in memory; see docs/translating.md.
"""

from __future__ import annotations

import gettext
import io
from pathlib import Path

SOURCE_LANGUAGE = "en"


class TranslationError(Exception):
    """The requested language has no catalogue."""


def catalogue_path(locales: Path, language: str) -> Path:
    """Where the catalogue of `language` is (English, the source language, has none)."""
    return locales / language / "LC_MESSAGES" / "messages.po"


def translations(locales: Path, language: str) -> gettext.NullTranslations:
    """The gettext translations for `language` (identity for English)."""
    if language == SOURCE_LANGUAGE:
        return gettext.NullTranslations()
    po = catalogue_path(locales, language)
    if not po.is_file():
        raise TranslationError(f"no catalogue for language {language!r} (expected {po})")
    from babel.messages.mofile import write_mo  # babel loads only for another language
    from babel.messages.pofile import read_po

    with po.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)
