"""The table of installed validators, discovered once per process.

The CLI injects `validator_param_models()` into the checker so a spec's
`validate foo(x=1)` is checked against foo's parameter model at compile time;
the runner uses `get_registry()` to instantiate validators.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import BaseModel

from synthspec.validate.finder import LoadedPlugins, find_plugins, load_plugins


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


def builtin_names(registry: LoadedPlugins | None = None) -> list[str]:
    """Names of the validators shipped with synthspec itself, sorted."""
    registry = registry or get_registry()
    return sorted(name for name, plugin in registry.plugins.items() if plugin.found.builtin)
