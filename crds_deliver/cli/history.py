"""`crds-deliver history`: every delivery of a repository, read from its result records."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from crds_deliver.cli.app import app
from crds_deliver.cli.common import OutputFormat

COLUMNS = ("date", "manifest", "project", "instrument", "files", "official", "state", "context")


def _records(paths: list[Path]) -> list[Path]:
    from crds_deliver.manifest import RESULT_SUFFIXES

    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += [p for p in sorted(path.rglob("*"))
                      if p.name.endswith(RESULT_SUFFIXES)
                      and not any(part.startswith(".") for part in p.relative_to(path).parts)]
        elif path.name.endswith(RESULT_SUFFIXES):
            found.append(path)
        elif path.exists():
            found.append(path.with_name(path.stem + ".result.yaml"))
        else:
            raise typer.BadParameter(f"no such file or folder: {path}", param_hint="PATH")
    return [p for p in dict.fromkeys(found) if p.exists()]


def _row(path: Path, base: Path) -> dict[str, Any]:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        data = {"state": f"unreadable ({type(exc).__name__})"}
    manifest = path.with_name((data.get("manifest") or {}).get("path") or path.name)
    try:
        shown = str(manifest.resolve().relative_to(base.resolve()))
    except ValueError:
        shown = str(manifest)
    files = data.get("files") or []
    context = data.get("context") or {}
    return {
        "date": str(data.get("updated") or data.get("created") or ""),
        "manifest": shown,
        "project": data.get("project"),
        "instrument": data.get("instrument"),
        "files": len(files),
        "official": [f.get("official_name") for f in files if f.get("official_name")],
        "state": data.get("state"),
        "context": context.get("resolved") or context.get("requested"),
        "server": (data.get("server") or {}).get("url"),
        "sandbox": bool((data.get("server") or {}).get("sandbox")),
        "results_id": (data.get("submission") or {}).get("results_id"),
    }


def _cell(row: dict[str, Any], column: str) -> str:
    value = row[column]
    if column == "official":
        return ", ".join(value) or "-"
    if column == "state" and row["sandbox"]:
        return f"{value} (sandbox)"
    return "-" if value in (None, "") else str(value)


@app.command()
def history(
    paths: list[Path] = typer.Argument(None, help="Folders or manifests (default: .)."),
    output: OutputFormat = typer.Option(OutputFormat.text, "--format", "-f",
                                        help="text, json or markdown."),
) -> None:
    """List all deliveries (date, manifest, files, official names, state, context)."""
    paths = paths or [Path(".")]
    base = paths[0] if paths[0].is_dir() else paths[0].parent
    rows = sorted((_row(p, base) for p in _records(paths)), key=lambda r: r["date"])
    if output is OutputFormat.json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = [[_cell(r, c) for c in COLUMNS] for r in rows]
    if output is OutputFormat.markdown:
        typer.echo("| " + " | ".join(COLUMNS) + " |")
        typer.echo("|" + "---|" * len(COLUMNS))
        for line in table:
            typer.echo("| " + " | ".join(c.replace("|", "\\|") for c in line) + " |")
        return
    if not rows:
        typer.echo("no deliveries recorded")
        return
    widths = [max(len(c), *(len(line[i]) for line in table)) for i, c in enumerate(COLUMNS)]
    typer.echo("  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths, strict=True)).rstrip())
    for line in table:
        typer.echo("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
