"""Helpers shared by the commands: compiling with the installed validators, printing diagnostics."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from synthspec.cli.gcpause import collector_paused
from synthspec.diagnostics import render_all

if TYPE_CHECKING:
    from synthspec.ir import CompileResult


def installed_validators() -> Mapping[str, Any] | None:
    """Installed validator names → parameter models, injected into the checker (loaded as the spec names them)."""
    from synthspec.validate.registry import lazy_validator_param_models

    return lazy_validator_param_models()


class _PluginFailures(Mapping[str, str]):
    """Validator name -> why its plugin failed to load, looked up (and imported) only for names a spec uses.

    The validator table the checker is given leaves a broken plugin out, as if it were not installed; this
    says why, so `validate broken required` is reported as a plugin that failed to load (C105).
    """

    def __init__(self) -> None:
        self._why: dict[str, str | None] = {}

    def _lookup(self, name: str) -> str | None:
        if name not in self._why:
            from synthspec.validate.finder import PluginFailure, find_plugins, load_plugin

            reason = None
            found = sorted((f for f in find_plugins() if f.name == name), key=lambda f: (not f.builtin, f.package))
            for plugin in found:
                try:
                    load_plugin(plugin)
                    reason = None
                    break
                except BaseException as exc:  # noqa: BLE001 - a plugin may raise anything, as in load_plugins
                    if isinstance(exc, KeyboardInterrupt):
                        raise
                    reason = reason or PluginFailure(plugin, f"{type(exc).__name__}: {exc}".strip()).describe()
            self._why[name] = reason
        return self._why[name]

    def __getitem__(self, name: str) -> str:
        reason = self._lookup(name)
        if reason is None:
            raise KeyError(name)
        return reason

    def __iter__(self) -> Iterator[str]:
        return iter([name for name, why in self._why.items() if why is not None])

    def __len__(self) -> int:
        return sum(1 for _ in self)


def plugin_failures() -> Mapping[str, str]:
    """Validator plugins that failed to load: name -> why (so a spec naming one hears that, not "not installed")."""
    return _PluginFailures()


def _grammar_check(grammar: str) -> Any:
    from synthspec.generate.grammars import compile_grammar

    return compile_grammar(grammar)


def _technique_check(spec: Any, seeds: Any) -> Any:
    from synthspec.generate.techniques import get_technique

    return get_technique(spec, seeds)


def compile_for_cli(path: str, dataset: str | None = None, quiet: bool = False,
                    technique: bool = False) -> CompileResult:
    """Compile and lower a spec (everything that can fail before the first token) and print its warnings.

    `check`, `explain` and `build` all come through here, so they accept and refuse the same specs.
    `technique` also sets up the generation technique (`check` and `explain`; `build` does it itself).
    """
    # imported here so that `synthspec --help` stays fast; the imports and the compile make no cyclic garbage
    # worth ~60 ms of collecting (cli/gcpause.py)
    with collector_paused():
        from synthspec.lower.preflight import check_spec

        result = check_spec(path, validators=installed_validators(), dataset=dataset,
                            validator_failures=plugin_failures(), grammar_check=_grammar_check,
                            technique_check=_technique_check if technique else None)
    if result.diagnostics and not quiet:
        print(render_all(result.diagnostics, result.sources), file=sys.stderr)
    return result


def add_spec_argument(parser: Any) -> None:
    parser.add_argument("spec", metavar="SPEC", help="path to a .synth file")
    parser.add_argument("--dataset", metavar="NAME", help="which dataset, when the file declares several")
