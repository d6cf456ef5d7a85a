"""`synthspec fmt SPEC...`: rewrite specs in the canonical layout (or just say which would change).

Formatting never changes meaning: the output is parsed again and compared with
the input's AST before anything is written, so a formatter bug can only stop
the command, never corrupt a spec.  Files are replaced atomically (write a
sibling temp file, then rename), so an interrupted run leaves each file either
old or new, never half-written.
"""

from __future__ import annotations

import difflib
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from synthspec import codes
from synthspec.diagnostics import Diagnostic, SynthspecError

if TYPE_CHECKING:
    from synthspec.parse import Source


def register(subparsers) -> None:
    parser = subparsers.add_parser("fmt", help="rewrite .synth specs in the canonical layout")
    parser.add_argument("specs", nargs="+", metavar="SPEC", help="paths of .synth files")
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 and name the files that would change"
    )
    parser.add_argument(
        "--diff", action="store_true", help="write nothing; print a unified diff of the changes"
    )
    parser.set_defaults(handler=run)


def format_source(source: Source) -> str:
    """The canonical text of a spec, verified to parse back to the same AST."""
    # imported here: every command registers at start-up, and `check` has no use for the printer
    from synthspec.parse import Source, parse_source
    from synthspec.parse.printer import format_spec, without_positions

    parse_source(source)  # first without comments: only this parser labels known syntax mistakes (P010-P016)
    spec_file = parse_source(source, keep_comments=True)
    text = format_spec(spec_file)
    again = parse_source(Source(source.path, text), keep_comments=True)
    same_comments = [c.text.rstrip() for c in spec_file.comments] == [c.text.rstrip() for c in again.comments]
    if without_positions(again) != without_positions(spec_file) or not same_comments:
        raise SynthspecError(
            Diagnostic(
                code=codes.FMT_CHANGES_MEANING,
                message="the formatter would change the meaning of this file; it was left untouched",
                file=source.path,
                hint="this is a synthspec bug: please report it with the file",
            )
        )
    return text


def _write_atomically(path: Path, text: str) -> None:
    mode = path.stat().st_mode & 0o7777
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".fmt", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def run(args) -> int:
    from synthspec.parse import read_source

    errors: list[Diagnostic] = []
    sources: dict[str, str] = {}
    changed: list[str] = []
    for name in args.specs:
        path = Path(name)
        try:
            source = read_source(path)
            text = format_source(source)
        except SynthspecError as exc:
            errors.extend(exc.diagnostics)
            sources.update(exc.sources)
            continue
        if path.read_bytes() == text.encode("utf-8"):
            continue
        changed.append(name)
        if args.diff:
            sys.stdout.writelines(
                difflib.unified_diff(
                    source.text.splitlines(keepends=True),
                    text.splitlines(keepends=True),
                    fromfile=f"{name} (original)",
                    tofile=f"{name} (formatted)",
                )
            )
        if args.check:
            print(f"would reformat {name}")
        elif not args.diff:
            try:
                _write_atomically(path, text)
            except OSError as exc:
                errors.append(
                    Diagnostic(
                        code=codes.FMT_WRITE_FAILED,
                        message=f"cannot write the file: {exc.strerror or exc}",
                        file=name,
                        hint="check the permissions of the file and its folder",
                    )
                )
                continue
            print(f"reformatted {name}")
    if errors:
        raise SynthspecError(errors, sources=sources)
    if args.check and changed:
        return 1
    if not changed and not args.diff:
        count = len(args.specs)
        print(f"{count} file{'s' if count != 1 else ''} already formatted")
    return 0
