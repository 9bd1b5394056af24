"""Load untrusted YAML safely, keeping the line and column of every value.

PyYAML's loaders are not used directly because they accept duplicate keys
silently (the last one wins), apply YAML 1.1 typing (``NO`` becomes ``False``,
``2024-04-03`` becomes a date, ``010`` becomes 8), forget where each value came
from, and compose nested structures recursively (a file of 100,000 ``[``
crashes the C composer). Instead, this module reads the parser's *events*
(libyaml's C parser when available) and builds plain Python values itself,
without recursion, with YAML 1.2 core-schema typing, recording each value's
position on the way and refusing anchors, aliases and non-standard tags.

Most files have nothing to report: they are read by a quicker loop that records only where
mappings and sequences start (every observation's line); a file with something to report,
or a question about a scalar's or key's position, is read again by the builder that
records everything (see load_bytes and Document).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import yaml

# Limits on what one data file may contain; see docs/schema.md ("Limits").
MAX_FILE_BYTES = 1_000_000
MAX_DEPTH = 24
MAX_SCALAR_CHARS = 20_000
MAX_KEY_CHARS = 1_000  # YAML's own limit for implicit keys is 1,024; `? key` has none
TOO_DEEP = f"structure nested too deeply (limit {MAX_DEPTH} levels)"

Path = tuple[str | int, ...]
Position = tuple[int, int]  # 1-based line and column

_TAG = "tag:yaml.org,2002:"

# Characters no key or value may hold, even when written as an escape (\0, \e, \uFFFE):
# control characters (but tab, newline and carriage return), surrogates, noncharacters and
# a byte-order mark past the start. The reader refuses most of them raw; escapes in double
# quotes would otherwise smuggle them into the pages (where HTML forbids them) and into
# terminal messages, and an invisible U+FEFF makes "France" differ from "France".
_FORBIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufeff"
    + "".join(
        f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17)
    )
    + "]"
)

# Bidirectional embedding, override and isolate controls (U+202A-U+202E, U+2066-U+2069):
# invisible, and they make a text display in another order than it is stored ("Trojan
# Source"), so a reviewer could read another name, note or address than the one published.
# Text in right-to-left scripts needs none of them; the marks U+200E and U+200F are allowed.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")

# YAML 1.2 core schema: only true/false are booleans, no octal 010, no dates, no 12:30.
_PLAIN_TYPES = [
    ("null", re.compile(r"^(?:~|null|Null|NULL|)$")),
    ("bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")),
    ("int", re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")),
    (
        "float",
        re.compile(
            r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
            r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
        ),
    ),
]

try:  # libyaml's parser is ~8x faster; the pure-Python one gives the same events.
    from yaml._yaml import CParser as _Parser
except ImportError:  # pragma: no cover - depends on how PyYAML was built

    class _Parser(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser):  # type: ignore[no-redef]
        def __init__(self, stream: str):
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)


class Document:
    """A loaded YAML file: its data and where each value and key sits in the text.

    Most files have no problem to report, and their observations need only the positions
    of mappings and sequences: those are recorded as the file is read. The position of
    every scalar and key is worked out only when something asks for it (a problem to
    report), by reading the text again with the builder that records everything.
    """

    def __init__(
        self,
        data: Any,
        values: dict[Path, Position],
        keys: dict[Path, Position],
        *,
        text: str | None = None,
    ):
        self.data = data
        self._values = values
        self._keys = keys
        self._text = text  # set while only the containers' positions are known

    @property
    def values(self) -> dict[Path, Position]:
        """Every value's position (a mapping's or sequence's is where it starts)."""
        self._complete()
        return self._values

    @property
    def keys(self) -> dict[Path, Position]:
        """Every key's position, by the path of its value."""
        self._complete()
        return self._keys

    def position(self, path: Path, *, key: bool = False) -> Position:
        """Best position for `path`: the value (or key), else its nearest ancestor."""
        if not key and path in self._values:  # a container's: known without reading again
            return self._values[path]
        for end in range(len(path), -1, -1):
            found = (key and self.keys.get(path[:end])) or self.values.get(path[:end])
            if found:
                return found
        return (1, 1)

    def _complete(self) -> None:
        if self._text is not None:
            full, _ = _load_recording(self._text)
            self._values, self._keys, self._text = full._values, full._keys, None


@dataclass(frozen=True)
class YamlIssue:
    """A problem found while reading YAML, before any schema is applied."""

    line: int
    column: int
    path: Path
    message: str
    tip: str = ""


class YamlFileError(Exception):
    """The file cannot be read as YAML this project accepts."""

    def __init__(self, issue: YamlIssue):
        self.issue = issue
        super().__init__(issue.message)


def load_bytes(raw: bytes) -> tuple[Document, list[YamlIssue]]:
    """Parse `raw` into a Document plus the non-fatal issues found (duplicate keys).

    Raises YamlFileError when the file is not YAML this project can accept.

    A file is read first by _quick_load, which builds the data and records only where
    mappings and sequences start. Anything it would have to report (a syntax error, a
    duplicate key, a refused construct or character) sends the file to _load_recording,
    the builder that records every position and words every issue: both accept exactly
    the same files and build the same data (tests/test_yamlsafe.py compares them).
    """
    text = _decode(raw)
    try:
        data, containers = _quick_load(text)
    except (_Recheck, yaml.YAMLError):
        return _load_recording(text)
    return Document(data, containers, {}, text=text), []


def _load_recording(text: str) -> tuple[Document, list[YamlIssue]]:
    """Parse `text`, recording the position of every value and key, and every issue."""
    builder = _Builder()
    parser = _Parser(text)
    try:
        next_event = parser.get_event  # None once the stream has ended
        while (event := next_event()) is not None:
            builder.feed(event)
    except yaml.MarkedYAMLError as exc:
        raise YamlFileError(_syntax_issue(exc, text)) from None
    except yaml.reader.ReaderError as exc:
        line, column = _line_column(text, exc.position)
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        raise YamlFileError(
            YamlIssue(
                line,
                column,
                (),
                f"character U+{ord(char):04X} is not allowed in a YAML file",
                "remove the control character (it is often invisible in editors)",
            )
        ) from None
    except yaml.YAMLError as exc:  # pragma: no cover - all PyYAML errors carry marks
        raise YamlFileError(YamlIssue(0, 0, (), f"invalid YAML: {exc}")) from None
    finally:
        if hasattr(parser, "dispose"):
            parser.dispose()
    return builder.document, builder.issues


class _Recheck(Exception):
    """_quick_load met something to report: the recording builder reads the file again."""


_EVENT_SCALAR, _EVENT_ALIAS = yaml.ScalarEvent, yaml.AliasEvent
_EVENT_STARTS = {yaml.MappingStartEvent: _TAG + "map", yaml.SequenceStartEvent: _TAG + "seq"}
_EVENT_ENDS = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
_KEY_TAGS = (None, "!", _TAG + "str")
_UNSEEN = object()


def _quick_load(text: str) -> tuple[Any, dict[Path, Position]]:
    """The data of `text` and the positions of its mappings and sequences, for a file with
    nothing to report; raises _Recheck (or a YAMLError) at the first thing _Builder would
    report, without wording it.

    The same checks as _Builder, in one loop: a file holds one document; no anchor, alias,
    merge key or non-standard tag; keys are text, within MAX_KEY_CHARS, and not repeated;
    values within MAX_SCALAR_CHARS; no refused character; no deeper than MAX_DEPTH.
    """
    containers: dict[Path, Position] = {}
    # One open mapping or sequence: [container, path, awaited key (mappings), is a mapping]
    stack: list[list[Any]] = []
    data: Any = None
    documents = 0
    plain: dict[str, Any] = {}  # plain scalars typed so far (years, codes, numbers repeat)
    parser = _Parser(text)
    next_event = parser.get_event  # None once the stream has ended (no check_event: ~8%)
    try:
        while (event := next_event()) is not None:
            kind = type(event)
            if kind is _EVENT_SCALAR:
                if event.anchor:
                    raise _Recheck
                value = event.value
                frame = stack[-1] if stack else None
                if frame is not None and frame[3] and frame[2] is None:  # a key
                    if (
                        value in frame[0]
                        or event.tag not in _KEY_TAGS
                        or (value == "<<" and event.implicit[0])
                        or len(value) > MAX_KEY_CHARS
                        or refused_character(value)
                    ):
                        raise _Recheck
                    frame[2] = value
                    continue
                if len(value) > MAX_SCALAR_CHARS or refused_character(value):
                    raise _Recheck
                by_text = event.tag is None and event.implicit[0]  # plain: typed by text
                typed = plain.get(value, _UNSEEN) if by_text else _UNSEEN
                if typed is _UNSEEN:
                    try:
                        typed = _scalar_value(event)
                    except ValueError:
                        raise _Recheck from None
                    if by_text:
                        plain[value] = typed
                value = typed
            elif kind in _EVENT_STARTS:
                frame = stack[-1] if stack else None
                if event.anchor or event.tag not in (None, "!", _EVENT_STARTS[kind]):
                    raise _Recheck
                if frame is None:
                    path: Path = ()
                elif frame[3]:
                    if frame[2] is None:  # a mapping or sequence as a key
                        raise _Recheck
                    path = (*frame[1], frame[2])
                else:
                    path = (*frame[1], len(frame[0]))
                if len(stack) >= MAX_DEPTH:
                    raise _Recheck
                mark = event.start_mark
                containers[path] = (mark.line + 1, mark.column + 1)
                is_map = kind is yaml.MappingStartEvent
                stack.append([{} if is_map else [], path, None, is_map])
                continue
            elif kind in _EVENT_ENDS:
                value = stack.pop()[0]
            elif kind is _EVENT_ALIAS:
                raise _Recheck
            else:
                if kind is yaml.DocumentStartEvent:
                    documents += 1
                    if documents > 1:
                        raise _Recheck
                continue
            if not stack:  # the value just completed is the document's
                data = value
            elif stack[-1][3]:
                frame = stack[-1]
                frame[0][frame[2]] = value
                frame[2] = None
            else:
                stack[-1][0].append(value)
    finally:
        if hasattr(parser, "dispose"):
            parser.dispose()
    return data, containers


def _decode(raw: bytes) -> str:
    if len(raw) > MAX_FILE_BYTES:
        raise YamlFileError(too_large(len(raw)))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise YamlFileError(
            YamlIssue(
                line,
                column,
                (),
                f"byte 0x{raw[exc.start]:02x} is not valid UTF-8",
                "save the file as UTF-8",
            )
        ) from None
    return text.removeprefix("\ufeff")


def too_large(size: int) -> YamlIssue:
    """The issue of a file of `size` bytes, over MAX_FILE_BYTES."""
    return YamlIssue(0, 0, (), f"file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}")


def _syntax_issue(exc: yaml.MarkedYAMLError, text: str) -> YamlIssue:
    mark = exc.problem_mark or exc.context_mark
    message = " ".join(part for part in (exc.context, exc.problem) if part)
    if not mark:  # pragma: no cover - PyYAML always sets one of them
        return YamlIssue(0, 0, (), f"invalid YAML: {message}")
    line, column = mark.line + 1, mark.column + 1
    if "nesting depth" in message:  # libyaml 0.2.6+ stops its scanner at 1,000 levels
        return YamlIssue(line, column, (), TOO_DEEP)
    tip = ""
    if text[mark.index : mark.index + 1] == "\t":
        tip = "YAML does not allow tabs for indentation; use spaces"
    return YamlIssue(line, column, (), f"invalid YAML: {message}", tip)


def _line_column(text: str, index: int) -> Position:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


class _Builder:
    """Build values from parser events with an explicit stack (no recursion)."""

    def __init__(self) -> None:
        self.document = Document(None, {}, {})
        self.issues: list[YamlIssue] = []
        self.documents = 0
        self.stack: list[_Frame] = []

    def feed(self, event: yaml.Event) -> None:
        position = (event.start_mark.line + 1, event.start_mark.column + 1)
        if isinstance(event, yaml.ScalarEvent):  # most events: tested first
            self._scalar(event, position)
        elif isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                raise YamlFileError(
                    YamlIssue(
                        *position,
                        (),
                        "a data file holds one YAML document",
                        "remove the second '---' and what follows",
                    )
                )
        elif isinstance(event, yaml.AliasEvent):
            self._refuse_anchor(position, "aliases (*name)")
        elif isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            self._start(event, position)
        elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
            frame = self.stack.pop()
            self._place(frame.container, frame.path)

    def _scalar(self, event: yaml.ScalarEvent, position: Position) -> None:
        if event.anchor:
            self._refuse_anchor(position, "anchors (&name)")
        frame = self.stack[-1] if self.stack else None
        if frame is not None and frame.wants_key:
            self._key(frame, event, position)
            return
        path = self._child_path()
        if not self._discarding():
            self.document.values[path] = position
        _check_text(event.value, position, path, MAX_SCALAR_CHARS, "value")
        try:
            value = _scalar_value(event)
        except ValueError as exc:
            raise YamlFileError(YamlIssue(*position, path, str(exc))) from None
        self._place(value, path)

    def _key(self, frame: _Frame, event: yaml.ScalarEvent, position: Position) -> None:
        key = event.value
        if key == "<<" and event.implicit[0]:
            raise YamlFileError(
                YamlIssue(*position, frame.path, "merge keys (<<) are not allowed in data files")
            )
        if event.tag not in (None, "!", _TAG + "str"):
            raise YamlFileError(
                YamlIssue(*position, frame.path, f"tag {_short(event.tag)} is not allowed")
            )
        _check_text(key, position, frame.path, MAX_KEY_CHARS, "key")
        path = (*frame.path, key)
        frame.key = key
        if frame.dropped:  # inside a duplicate's value, which is discarded unchecked
            return
        if path in self.document.keys:
            first = self.document.keys[path]
            self.issues.append(
                YamlIssue(
                    *position,
                    path,
                    f"duplicate key '{key}' (first defined on line {first[0]})",
                    "YAML keeps only one of them; delete or rename one",
                )
            )
            frame.skip = True
            return
        self.document.keys[path] = position

    def _start(self, event: yaml.CollectionStartEvent, position: Position) -> None:
        if event.anchor:
            self._refuse_anchor(position, "anchors (&name)")
        frame = self.stack[-1] if self.stack else None
        if frame is not None and frame.wants_key:
            raise YamlFileError(YamlIssue(*position, frame.path, "a key must be plain text"))
        is_map = isinstance(event, yaml.MappingStartEvent)
        expected = _TAG + ("map" if is_map else "seq")
        if event.tag not in (None, "!", expected):
            raise YamlFileError(
                YamlIssue(*position, self._child_path(), f"tag {_short(event.tag)} is not allowed")
            )
        if len(self.stack) >= MAX_DEPTH:
            raise YamlFileError(
                YamlIssue(
                    *position,
                    self._child_path(),
                    TOO_DEEP,
                )
            )
        path = self._child_path()
        dropped = self._discarding()
        if not dropped:
            self.document.values[path] = position
        self.stack.append(_Frame({} if is_map else [], path, dropped))

    def _child_path(self) -> Path:
        if not self.stack:
            return ()
        frame = self.stack[-1]
        if isinstance(frame.container, list):
            return (*frame.path, len(frame.container))
        return frame.path if frame.key is None else (*frame.path, frame.key)

    def _discarding(self) -> bool:
        """True while reading a value that will be dropped (a duplicate key's)."""
        return bool(self.stack) and (self.stack[-1].dropped or self.stack[-1].skip)

    def _place(self, value: Any, path: Path) -> None:
        if not self.stack:
            self.document.data = value
            return
        frame = self.stack[-1]
        if isinstance(frame.container, list):
            frame.container.append(value)
            return
        if not frame.skip:
            frame.container[frame.key] = value
        frame.key = None
        frame.skip = False

    def _refuse_anchor(self, position: Position, what: str) -> None:
        raise YamlFileError(
            YamlIssue(
                *position,
                self._child_path() if self.stack else (),
                f"{what} are not allowed in data files",
                "write the value out in full instead of referring to an anchor",
            )
        )


class _Frame:
    """An open mapping or sequence, and (for a mapping) the key awaiting its value."""

    __slots__ = ("container", "dropped", "key", "path", "skip")

    def __init__(self, container: dict[str, Any] | list[Any], path: Path, dropped: bool = False):
        self.container = container
        self.path = path
        self.key: Any = None
        self.skip = False  # the value awaited belongs to a duplicate key: drop it
        self.dropped = dropped  # this whole container is (inside) a dropped value

    @property
    def wants_key(self) -> bool:
        return isinstance(self.container, dict) and self.key is None


def _check_text(text: str, position: Position, path: Path, limit: int, what: str) -> None:
    if len(text) > limit:
        raise YamlFileError(
            YamlIssue(
                *position, path, f"{what} is {len(text):,} characters long; the limit is {limit:,}"
            )
        )
    found = refused_character(text, yaml=True)
    if found:
        _, message, tip = found
        raise YamlFileError(YamlIssue(*position, path, message, tip))


def refused_character(text: str, *, yaml: bool = False) -> tuple[int, str, str] | None:
    """The first character no data text may hold: (its index, message, tip), or None."""
    if text.isprintable():  # none of the characters below is printable: nothing to find
        return None
    found = _FORBIDDEN.search(text)
    if found:
        return (
            found.start(),
            f"character U+{ord(found.group()):04X} is not allowed"
            + (" in a YAML file" if yaml else ""),
            "remove it (it is often invisible in editors)"
            + (", or its escape such as \\0 or \\e" if yaml else ""),
        )
    found = _BIDI_CONTROLS.search(text)
    if found:
        return (
            found.start(),
            f"character U+{ord(found.group()):04X} is not allowed: a bidirectional control "
            "makes text display in another order than it is written",
            "remove it (it is invisible in most editors); right-to-left text needs no "
            "control characters",
        )
    return None


def read_text(raw: bytes) -> str:
    """A text file this project accepts (markdown): UTF-8 within MAX_FILE_BYTES, without
    refused characters; raises YamlFileError (an issue with its line and column) if not."""
    text = _decode(raw)
    found = refused_character(text)
    if found:
        index, message, tip = found
        raise YamlFileError(YamlIssue(*_line_column(text, index), (), message, tip))
    return text


# The four patterns above as one expression (one match a value): the group that matched,
# the first in the list that does, names the type.
_PLAIN_TYPE = re.compile("|".join(f"(?P<{name}>{rx.pattern})" for name, rx in _PLAIN_TYPES))


def _scalar_value(event: yaml.ScalarEvent) -> Any:
    tag = event.tag
    if tag in (None, "!"):
        if not event.implicit[0]:  # quoted, or a block scalar: always text
            return event.value
        found = _PLAIN_TYPE.match(event.value)
        if found is None:
            return event.value  # plain text
        tag = _TAG + str(found.lastgroup)
    return _construct(tag, event.value)


def _construct(tag: str, text: str) -> Any:
    kind = tag.removeprefix(_TAG) if tag.startswith(_TAG) else None
    if kind == "str":
        return text
    if kind == "null":
        if not _PLAIN_TYPES[0][1].match(text):  # an explicit !!null must still say null
            raise ValueError(f"'{text[:40]}' is not null")
        return None
    if kind == "bool":
        if not _PLAIN_TYPES[1][1].match(text):  # !!bool yes is not true in YAML 1.2
            raise ValueError(f"'{text[:40]}' is not true or false")
        return text.lower() == "true"
    if kind == "int":
        return _to_int(text)
    if kind == "float":
        return _to_float(text)
    raise ValueError(f"tag {_short(tag)} is not allowed")


def _to_int(text: str) -> int:
    try:
        if text.startswith("0o"):
            return int(text[2:], 8)
        if text.startswith("0x"):
            return int(text[2:], 16)
        return int(text)
    except ValueError:
        if len(text) > 1000:
            raise ValueError(f"number is {len(text):,} digits long; that cannot be right") from None
        raise ValueError(f"'{text[:40]}' is not a whole number") from None


def _to_float(text: str) -> float:
    lowered = text.lower()
    if lowered.endswith(".nan"):
        return math.nan
    if lowered.endswith(".inf"):
        return -math.inf if text.startswith("-") else math.inf
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"'{text[:40]}' is not a number") from None


def _short(tag: str) -> str:
    return "!!" + tag.removeprefix(_TAG) if tag.startswith(_TAG) else tag
