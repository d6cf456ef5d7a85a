"""Finding and loading validator plugins: two separate steps, in a fixed order.

Finding reads entry-point metadata only (`entrypoints` never imports plugin
code), so `synthspec plugins` can list a package even when importing it would
fail.  Loading imports each plugin on its own, in sorted (package, name) order
so that runs are reproducible, and turns any exception into a
`PluginFailure` naming the package and version: one broken plugin must not
take the build down with it.  (The split follows flake8's plugins/finder.py.)
"""

from __future__ import annotations

import importlib.metadata
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field

import entrypoints
from pydantic import BaseModel

from synthspec.validate.api import API_VERSION, POLICIES, Scope, Validator
from synthspec.validate.entry_files import iter_group_files

GROUP = "synthspec.validators"
BUILTIN_PACKAGE = "synthspec"


@dataclass(frozen=True, order=True)
class FoundPlugin:
    """An entry point found in package metadata, not yet imported."""

    package: str
    name: str
    version: str
    target: str  # "module:attr"

    @property
    def builtin(self) -> bool:
        return self.package == BUILTIN_PACKAGE


@dataclass(frozen=True)
class LoadedPlugin:
    """A plugin imported and checked: its validator class is usable."""

    found: FoundPlugin
    cls: type[Validator]


@dataclass(frozen=True)
class PluginFailure:
    """A plugin that could not be used, and why (one line, plus the traceback for --debug)."""

    found: FoundPlugin
    error: str
    details: str = ""

    def describe(self) -> str:
        return f"validator plugin {self.found.name!r} from {self.found.package} {self.found.version} failed to load: {self.error}"


@dataclass
class LoadedPlugins:
    """The outcome of loading: usable validators by name, and failures."""

    plugins: dict[str, LoadedPlugin] = field(default_factory=dict)
    failures: list[PluginFailure] = field(default_factory=list)

    def failure(self, name: str) -> PluginFailure | None:
        return next((f for f in self.failures if f.found.name == name), None)


def _version(distro: entrypoints.Distribution | None) -> str:
    if distro is None:
        return "unknown"
    if distro.version:
        return str(distro.version)
    try:
        return importlib.metadata.version(distro.name)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _distro_version(distro: entrypoints.Distribution | None, seen: dict[tuple[str, str | None], str]) -> str:
    """`_version(distro)` (which depends on the name and version only), asked once per package: without a version
    in its folder name each answer is a scan of every installed distribution (~2 ms), and the built-in package
    alone has a dozen entry points."""
    if distro is None:
        return _version(None)
    key = (distro.name, distro.version)
    if key not in seen:
        seen[key] = _version(distro)
    return seen[key]


def find_plugins(path: Sequence[str] | None = None) -> list[FoundPlugin]:
    """Every entry point in the `synthspec.validators` group, sorted by (package, name).

    All metadata copies of a package on the path are read (not only the
    first): a stale in-tree `*.egg-info` left by an old editable install must
    not hide the entry points of the installed `*.dist-info`.  For one
    (package, name) the first copy on the path wins.
    """
    found: dict[tuple[str, str], FoundPlugin] = {}
    versions: dict[tuple[str, str | None], str] = {}  # a package without a version in its folder name: asked once
    search = list(path) if path is not None else None
    for config, distro in iter_group_files(GROUP, search):  # iter_files_distros(..., "keep"), minus unrelated files
        if GROUP not in config:
            continue
        for name, target in config[GROUP].items():
            try:
                ep = entrypoints.EntryPoint.from_string(target, name, distro)
            except entrypoints.BadEntryPoint:
                continue
            package = ep.distro.name.replace("_", "-") if ep.distro else "unknown"
            key = (package, ep.name)
            if key not in found:
                spec = ep.module_name + (f":{ep.object_name}" if ep.object_name else "")
                found[key] = FoundPlugin(
                    package=package, name=ep.name, version=_distro_version(ep.distro, versions), target=spec
                )
    return sorted(found.values())


def _check_class(obj: object, found: FoundPlugin) -> type[Validator]:
    """Raise TypeError/ValueError unless `obj` is a validator class honouring this API version."""
    if not isinstance(obj, type):
        raise TypeError(f"{found.target} is not a class")
    for attr in ("name", "api_version", "Params", "scope", "default_policy"):
        if not hasattr(obj, attr):
            raise TypeError(f"{found.target} has no `{attr}` (subclass synthspec.validate.api.Validator)")
    if obj.api_version != API_VERSION:
        raise ValueError(f"written for validator API {obj.api_version}, this synthspec speaks {API_VERSION}")
    if obj.name != found.name:
        raise ValueError(f"entry point is named {found.name!r} but the class says name = {obj.name!r}")
    if not (isinstance(obj.Params, type) and issubclass(obj.Params, BaseModel)):
        raise TypeError("`Params` must be a pydantic BaseModel subclass")
    if Scope(obj.scope) not in (Scope.RECORD, Scope.DATASET):
        raise ValueError(f"unknown scope {obj.scope!r}")
    if obj.default_policy not in POLICIES:
        raise ValueError(f"default_policy must be one of {', '.join(POLICIES)}")
    return obj  # type: ignore[return-value]


def load_plugin(found: FoundPlugin) -> LoadedPlugin:
    """Import one plugin and check it (raises whatever the import raises)."""
    module_name, _, attr = found.target.partition(":")
    obj: object = importlib.import_module(module_name)
    for part in attr.split(".") if attr else ():
        obj = getattr(obj, part)
    return LoadedPlugin(found=found, cls=_check_class(obj, found))


def load_plugins(found: Sequence[FoundPlugin]) -> LoadedPlugins:
    """Load every found plugin in order; failures are collected, never raised.

    Two packages registering one name: the built-in wins, else the first in
    sorted order; the other is a failure naming the conflict.
    """
    result = LoadedPlugins()
    ordered = sorted(found, key=lambda f: (not f.builtin, f.package, f.name))
    for plugin in ordered:
        if plugin.name in result.plugins:
            owner = result.plugins[plugin.name].found
            result.failures.append(
                PluginFailure(plugin, f"name already provided by {owner.package} {owner.version}")
            )
            continue
        try:
            result.plugins[plugin.name] = load_plugin(plugin)
        except BaseException as exc:  # noqa: BLE001 - a plugin may raise anything, even SystemExit
            if isinstance(exc, KeyboardInterrupt):
                raise
            message = f"{type(exc).__name__}: {exc}".strip()
            result.failures.append(PluginFailure(plugin, message, traceback.format_exc()))
    return result
