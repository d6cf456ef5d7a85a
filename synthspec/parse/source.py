"""Turning a path into spec text, or into a clear error about why it cannot be one.

Users point the tool at all kinds of things: a directory, a binary, a file saved
as UTF-16, a generated file with a multi-megabyte line.  Every such case ends
here in a `SynthspecError` naming the file, before the parser sees anything,
and fast (no pathological input reaches lark).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from synthspec import codes
from synthspec.diagnostics import Diagnostic, SynthspecError

MAX_FILE_BYTES = 32 * 1024 * 1024
MAX_NESTING = 64


@dataclass(frozen=True)
class Source:
    """A spec's text, normalised (no BOM, `\\n` line ends), and where it came from."""

    path: str
    text: str


def _fail(path: str, code: str, message: str, hint: str, line: int | None = None, column: int | None = None,
          text: str | None = None) -> SynthspecError:
    sources = {path: text} if text is not None else None
    return SynthspecError(Diagnostic(code=code, message=message, file=path, line=line, column=column, hint=hint),
                          sources=sources)


def decode_source(data: bytes, path: str) -> Source:
    """Validate and normalise raw bytes of a spec file."""
    if not data.strip():
        raise _fail(path, codes.SPEC_EMPTY, "the spec file is empty", "a spec needs at least `dataset NAME { ... }`")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _fail(path, codes.SPEC_ENCODING, "the file is UTF-16 encoded", "save it as UTF-8")
    if b"\x00" in data:
        offset = data.index(b"\x00")
        line = data[:offset].count(b"\n") + 1
        raise _fail(path, codes.SPEC_BINARY, "the file contains NUL bytes: it looks binary, not a .synth spec",
                    "point synthspec at a UTF-8 text file", line=line)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise _fail(path, codes.SPEC_ENCODING, f"invalid UTF-8 (byte 0x{data[exc.start]:02x})", "save the file as UTF-8",
                    line=line, column=column) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    _check_nesting(text, path)
    return Source(path=path, text=text)


_BRACKETS = re.compile(r'"[^"\\\n]*(?:\\.[^"\\\n]*)*"?|#[^\n]*|[()\[\]{}]')


def _check_nesting(text: str, path: str) -> None:
    """Reject absurd bracket nesting before the parser recurses into it (strings and comments skipped)."""
    depth = 0
    for match in _BRACKETS.finditer(text):
        char = match.group(0)
        if char in "([{":
            depth += 1
            if depth > MAX_NESTING:
                offset = match.start()
                line = text.count("\n", 0, offset) + 1
                column = offset - (text.rfind("\n", 0, offset) + 1) + 1
                raise _fail(path, codes.SPEC_TOO_DEEP, f"brackets nested more than {MAX_NESTING} deep",
                            "no construct of the language nests this deep; check for a generated or corrupted file",
                            line=line, column=column, text=text)
        elif char in ")]}":
            depth = max(0, depth - 1)


def read_source(path: str | Path) -> Source:
    """Read a spec file from disk with every failure turned into a diagnostic."""
    shown = str(path)
    p = Path(path)
    if not p.exists():
        raise _fail(shown, codes.SPEC_NOT_FOUND, "no such file", "check the path (relative paths are relative to the current directory)")
    if p.is_dir():
        raise _fail(shown, codes.SPEC_IS_DIRECTORY, "is a directory, not a .synth file", "name a file, e.g. specs/support_tickets.synth")
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise _fail(shown, codes.SPEC_TOO_LARGE, f"the file is {size // (1024 * 1024)} MiB; specs are limited to 32 MiB",
                        "keep large word lists in a separate file loaded with `list NAME from \"file.txt\"`")
        data = p.read_bytes()
    except PermissionError:
        raise _fail(shown, codes.SPEC_UNREADABLE, "permission denied", "check the file's permissions") from None
    except OSError as exc:
        raise _fail(shown, codes.SPEC_UNREADABLE, f"cannot read the file: {exc.strerror or exc}", "check the path") from None
    return decode_source(data, shown)
