"""String literal escapes of the .synth language (a JSON-like set)."""

from __future__ import annotations

_SIMPLE = {'"': '"', "\\": "\\", "/": "/", "n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "0": "\0"}


class StringEscapeError(ValueError):
    """An unknown or malformed escape; `offset` is its index inside the literal body."""

    def __init__(self, sequence: str, offset: int) -> None:
        super().__init__(sequence)
        self.sequence = sequence
        self.offset = offset


def unescape_string(body: str) -> str:
    """Decode the body of a double-quoted literal (without the quotes)."""
    if "\\" not in body:
        return body
    out: list[str] = []
    index = 0
    while index < len(body):
        char = body[index]
        if char != "\\":
            out.append(char)
            index += 1
            continue
        nxt = body[index + 1 : index + 2]
        if nxt in _SIMPLE:
            out.append(_SIMPLE[nxt])
            index += 2
        elif nxt == "u":
            digits = body[index + 2 : index + 6]
            if len(digits) != 4 or any(c not in "0123456789abcdefABCDEF" for c in digits):
                raise StringEscapeError(body[index : index + 6], index)
            out.append(chr(int(digits, 16)))
            index += 6
        else:
            raise StringEscapeError(body[index : index + 2], index)
    return "".join(out)


def escape_string(value: str) -> str:
    """The canonical literal for a string (used by `fmt`), quotes included."""
    out = ['"']
    for char in value:
        if char == '"':
            out.append('\\"')
        elif char == "\\":
            out.append("\\\\")
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif char == "\r":
            out.append("\\r")
        elif ord(char) < 32:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)
