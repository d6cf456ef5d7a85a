"""Stage 2: source text → AST (with positions and comments), or a syntax diagnostic."""

from synthspec.parse.parser import parse_source
from synthspec.parse.source import Source, decode_source, read_source

__all__ = ["Source", "decode_source", "parse_source", "read_source"]
