"""`synthspec plugins`: every installed validator — name, package, version, loaded or the error."""

from __future__ import annotations

import json


def register(subparsers) -> None:
    parser = subparsers.add_parser("plugins", help="list installed validator plugins and whether they load")
    parser.add_argument("--json", action="store_true", help="print the table as JSON")
    parser.set_defaults(handler=run)


def run(args) -> int:
    from rich.console import Console
    from rich.table import Table

    from synthspec.validate.finder import find_plugins, load_plugins

    found = find_plugins()
    loaded = load_plugins(found)
    rows = []
    for plugin in found:
        ok = loaded.plugins.get(plugin.name)
        if ok is not None and ok.found == plugin:
            cls = ok.cls
            rows.append(
                {
                    "name": plugin.name,
                    "package": plugin.package,
                    "version": plugin.version,
                    "status": "loaded",
                    "scope": str(getattr(cls.scope, "value", cls.scope)),
                    "policy": cls.default_policy,
                    "description": cls.description,
                    "error": None,
                }
            )
        else:
            failure = next((f for f in loaded.failures if f.found == plugin), None)
            rows.append(
                {
                    "name": plugin.name,
                    "package": plugin.package,
                    "version": plugin.version,
                    "status": "error",
                    "scope": None,
                    "policy": None,
                    "description": "",
                    "error": failure.error if failure else "not loaded",
                }
            )
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    table = Table(title=f"{len(rows)} validator plugin(s)")
    for col in ("name", "package", "version", "status", "scope", "default policy", "description / error"):
        table.add_column(col)
    for r in rows:
        status = "[green]loaded[/]" if r["status"] == "loaded" else "[red]error[/]"
        table.add_row(
            r["name"],
            r["package"],
            r["version"],
            status,
            r["scope"] or "-",
            r["policy"] or "-",
            r["description"] if r["status"] == "loaded" else r["error"],
        )
    Console(width=160).print(table)
    return 0
