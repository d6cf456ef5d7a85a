"""The `entry_points.txt` files on the path that may declare one group, parsed; the others only read.

`entrypoints.iter_files_distros` parses every installed package's `entry_points.txt` with configparser: ~60
files in a development environment, ~15 ms of a cold `synthspec check`, to find the two or three that declare
`synthspec.validators`.  A file whose bytes never spell the group's name cannot have that section (configparser
strips the spaces around a header but keeps its letters), so it is skipped unparsed.  Everything else follows
`iter_files_distros(path, repeated_distro="keep")` exactly: the same folders in the same order (each listed once,
not globbed twice), eggs and zip files handed to it unchanged, each file parsed by its `CaseSensitiveConfigParser`
and paired with the same `Distribution`.
"""

from __future__ import annotations

import fnmatch
import os
import os.path as osp
import sys
import zipfile
from collections.abc import Iterator, Sequence

import entrypoints


def iter_group_files(group: str, path: Sequence[str] | None = None) \
        -> Iterator[tuple[entrypoints.CaseSensitiveConfigParser, entrypoints.Distribution]]:
    """(parsed entry_points.txt, its distribution) for every file on `path` (default sys.path) that may hold
    `group`; all copies of a distribution are kept, as `repeated_distro="keep"` does."""
    needle = group.encode("utf-8")
    for folder in sys.path if path is None else path:
        if folder.rstrip("/\\").endswith(".egg") or zipfile.is_zipfile(folder):
            yield from _delegated(folder)  # its egg or zip branch, then the same globbing as below
            continue
        for ep_path in _metadata_files(folder):
            try:
                with open(ep_path, "rb") as handle:
                    if needle not in handle.read():
                        continue
            except OSError:
                pass  # let configparser meet the file as before (it skips files it cannot open)
            distro = entrypoints.Distribution.from_name_version(osp.splitext(osp.basename(osp.dirname(ep_path)))[0])
            config = entrypoints.CaseSensitiveConfigParser(delimiters=("=",))
            config.read([ep_path])
            yield config, distro


def _metadata_files(folder: str) -> Iterator[str]:
    """What `iglob(folder/*.dist-info/entry_points.txt)` then `iglob(folder/*.egg-info/entry_points.txt)` yield,
    in the same order, from one listing of `folder` (glob lists it twice and costs ~4 ms on a full site-packages).

    As glob does: folders only (symlinks followed), no hidden names, `fnmatch.filter` for the pattern (case-blind
    where the platform's paths are), the file present by `os.path.lexists`, '' meaning the working directory.
    """
    try:
        with os.scandir(folder or os.curdir) as entries:
            folders = []
            for entry in entries:
                try:
                    if entry.is_dir() and not entry.name.startswith("."):
                        folders.append(entry.name)
                except OSError:
                    continue
    except OSError:
        return
    for pattern in ("*.dist-info", "*.egg-info"):
        for name in fnmatch.filter(folders, pattern):
            path = osp.join(folder, name, "entry_points.txt")
            if osp.lexists(path):
                yield path


def _delegated(folder: str) -> Iterator[tuple[entrypoints.CaseSensitiveConfigParser, entrypoints.Distribution]]:
    """An egg or a zip file on the path, read by `entrypoints` itself (rare; not worth a second reading)."""
    yield from entrypoints.iter_files_distros(path=[folder], repeated_distro="keep")
