"""Every delivery of a repository, read from its result records: `crds-deliver history` and
`crds_deliver.api.history()` in a notebook (where it shows as a table)."""

from __future__ import annotations

import html
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from crds_deliver.api.values import FileArg
from crds_deliver.manifest import RESULT_SUFFIXES
from crds_deliver.record import RecordError, read_record

COLUMNS = ("date", "manifest", "project", "instrument", "files", "official", "state", "context")


@dataclass(frozen=True)
class HistoryEntry:
    """One delivery as its record tells it (what `history --format json` lists)."""

    date: str
    manifest: str
    project: str | None
    instrument: str | None
    files: int
    official: list[str]
    state: str | None
    context: str | None
    server: str | None
    sandbox: bool
    results_id: str | None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    def cell(self, column: str) -> str:
        """A table cell: official names joined, sandbox states marked, `-` for nothing."""
        value = getattr(self, column)
        if column == "official":
            return ", ".join(value) or "-"
        if column == "state" and self.sandbox:
            return f"{value} (sandbox)"
        return "-" if value in (None, "") else str(value)


class History(list[HistoryEntry]):
    """Deliveries, oldest first; a table in Jupyter."""

    def _repr_html_(self) -> str:
        head = "".join(f"<th style='text-align:left'>{c}</th>" for c in COLUMNS)
        rows = "".join("<tr>" + "".join(f"<td style='text-align:left'>"
                                        f"{html.escape(entry.cell(c))}</td>" for c in COLUMNS)
                       + "</tr>" for entry in self)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def record_files(paths: Sequence[Path]) -> list[Path]:
    """The result records under folders (hidden folders skipped), of manifests, or named.
    Raises FileNotFoundError for a path that does not exist."""
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
            raise FileNotFoundError(str(path))
    return [p for p in dict.fromkeys(found) if p.exists()]


def _entry(path: Path, base: Path) -> HistoryEntry:
    try:  # bounded and checked as apply reads it: a FIFO or a forged record shows as such
        data = read_record(path)
    except RecordError:
        data = {"state": "unreadable"}  # `crds-deliver status MANIFEST` says why
    manifest = path.with_name((data.get("manifest") or {}).get("path") or path.name)
    try:  # the folder resolved, not the name: a symlinked record is shown where it is
        shown = str((manifest.parent.resolve() / manifest.name).relative_to(base.resolve()))
    except ValueError:
        shown = str(manifest)
    files = data.get("files") or []
    context = data.get("context") or {}
    server = data.get("server") or {}
    return HistoryEntry(
        date=str(data.get("updated") or data.get("created") or ""),
        manifest=shown,
        project=data.get("project"),
        instrument=data.get("instrument"),
        files=len(files),
        official=[f.get("official_name") for f in files if f.get("official_name")],
        state=data.get("state"),
        context=context.get("resolved") or context.get("requested"),
        server=server.get("url"),
        sandbox=bool(server.get("sandbox")),
        results_id=(data.get("submission") or {}).get("results_id"),
    )


def history(paths: Sequence[FileArg] | FileArg = ".") -> History:
    """Every delivery recorded under `paths` (folders or manifests), oldest first; manifests
    are shown relative to the first folder."""
    given = [Path(paths)] if isinstance(paths, (str, os.PathLike)) else [Path(p) for p in paths]
    given = given or [Path(".")]
    base = given[0] if given[0].is_dir() else given[0].parent
    return History(sorted((_entry(p, base) for p in record_files(given)),
                          key=lambda entry: entry.date))
