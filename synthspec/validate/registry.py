"""The table of installed validators, discovered once per process.

The CLI injects `validator_param_models()` into the checker so a spec's
`validate foo(x=1)` is checked against foo's parameter model at compile time;
the runner uses `get_registry()` to instantiate validators.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import lru_cache

from pydantic import BaseModel

from synthspec.validate.finder import FoundPlugin, LoadedPlugins, find_plugins, load_plugin, load_plugins


@lru_cache(maxsize=1)
def get_registry() -> LoadedPlugins:
    """Find and load every installed validator plugin (cached; call `refresh_registry` after installing one)."""
    return load_plugins(find_plugins())


def refresh_registry() -> LoadedPlugins:
    """Forget the cached discovery and discover again."""
    get_registry.cache_clear()
    return get_registry()


def validator_param_models(registry: LoadedPlugins | None = None) -> dict[str, type[BaseModel]]:
    """Validator name -> its parameter model, for every validator that loaded."""
    registry = registry or get_registry()
    return {name: plugin.cls.Params for name, plugin in sorted(registry.plugins.items())}


class LazyParamModels(Mapping[str, type[BaseModel]]):
    """Validator name -> parameter model, importing a plugin only when its name is looked up.

    Why: `synthspec check` needs the models of the few validators a spec names, and importing every installed
    validator (numpy, scikit-learn, ...) costs far more than the whole check.  Lookups follow `load_plugins`: the
    built-in wins a name, then the first package in sorted order that loads; a plugin that fails to load is
    absent (so the checker reports it as not installed).  Iterating loads them all (only error messages do).
    """

    def __init__(self, found: list[FoundPlugin] | None = None) -> None:
        self._candidates: dict[str, list[FoundPlugin]] = {}
        for plugin in sorted(find_plugins() if found is None else found,
                             key=lambda f: (not f.builtin, f.package, f.name)):
            self._candidates.setdefault(plugin.name, []).append(plugin)
        self._loaded: dict[str, type[BaseModel] | None] = {}

    def __getitem__(self, name: str) -> type[BaseModel]:
        if name not in self._loaded:
            self._loaded[name] = None
            for plugin in self._candidates.get(name, []):
                try:
                    self._loaded[name] = load_plugin(plugin).cls.Params
                    break
                except BaseException as exc:  # noqa: BLE001 - a broken plugin is missing, as in load_plugins
                    if isinstance(exc, KeyboardInterrupt):
                        raise
                    continue
        model = self._loaded[name]
        if model is None:
            raise KeyError(name)
        return model

    def __iter__(self) -> Iterator[str]:
        return iter([name for name in sorted(self._candidates) if name in self])

    def __len__(self) -> int:
        return sum(1 for _ in self)


def lazy_validator_param_models() -> Mapping[str, type[BaseModel]]:
    """`validator_param_models()` without importing the validators the caller never asks about."""
    if get_registry.cache_info().currsize:  # everything is loaded already: no reason to be lazy
        return validator_param_models()
    return LazyParamModels()


def builtin_names(registry: LoadedPlugins | None = None) -> list[str]:
    """Names of the validators shipped with synthspec itself, sorted."""
    registry = registry or get_registry()
    return sorted(name for name, plugin in registry.plugins.items() if plugin.found.builtin)
