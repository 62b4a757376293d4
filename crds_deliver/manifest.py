"""Load a delivery manifest, keep the position of every key and value, and validate it.

A reviewer must be told *where* a manifest is wrong, so the YAML is composed into nodes (which
carry line and column) and turned into plain values by hand, instead of letting PyYAML build the
values and lose the marks. Building the values ourselves also lets us refuse what a manifest
never needs and a hostile file could abuse: aliases (the "billion laughs"), deep nesting, huge
files, duplicate keys that silently overwrite each other.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from crds_deliver.bounded import NotReadable, read_bounded
from crds_deliver.conformance import Check, compile_schema
from crds_deliver.fast_yaml import LOADER
from crds_deliver.formspec import CHOICE, all_fields
from crds_deliver.problems import Problem
from crds_deliver.projects import INSTRUMENTS

if TYPE_CHECKING:
    import jsonschema

MAX_MANIFEST_BYTES = 1_000_000
MAX_DEPTH = 20
RESULT_SUFFIXES = (".result.yaml", ".result.yml")
MANIFEST_SUFFIXES = (".yaml", ".yml")

FieldPath = tuple  # of str keys and int list indices

# A MAST token is 32 hex digits; no legitimate manifest value looks like that.
TOKEN_LIKE = re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{32}(?![0-9a-fA-F])")
_STR_TAG = "tag:yaml.org,2002:str"

# The tags plain YAML resolves to; anything else (!!python/..., custom tags) is refused.
_PLAIN_TAGS = frozenset("tag:yaml.org,2002:" + name for name in (
    "str", "int", "float", "bool", "null", "seq", "map", "timestamp", "merge"))

SECRET_KEY = re.compile(r"token|passw|secret|api[_-]?key|credential", re.IGNORECASE)


@dataclass(frozen=True)
class Options:
    """How a delivery is run, beyond the form itself."""

    auto_confirm: bool = False
    auto_rename: bool = True
    compare_old_reference: bool = True
    ingest: str = "wipe"
    files_root: str | None = None


@dataclass(frozen=True)
class PinnedFile:
    """A file and digest recorded by `plan --pin`: what the reviewers approved."""

    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Positions:
    """Line and column (1-based) of every value and every mapping key of a manifest."""

    values: dict[FieldPath, tuple[int, int]] = field(default_factory=dict)
    keys: dict[FieldPath, tuple[int, int]] = field(default_factory=dict)

    def of_key(self, path: FieldPath) -> tuple[int, int] | None:
        """Where the key of `path` is written, falling back to its value, then its parents."""
        while True:
            pos = self.keys.get(path) or self.values.get(path)
            if pos or not path:
                return pos
            path = path[:-1]

    def of_value(self, path: FieldPath) -> tuple[int, int] | None:
        """Where the value at `path` is written, falling back to its key, then its parents."""
        pos = self.values.get(path)
        return pos or self.of_key(path)


@dataclass(frozen=True)
class Manifest:
    """A validated manifest, with the form normalised to what the server expects."""

    path: Path
    project: str
    server: str
    context: str
    files: tuple[str, ...]
    form: dict[str, Any]
    options: Options
    pinned: tuple[PinnedFile, ...]
    digest: str
    positions: Positions

    @property
    def instrument(self) -> str:
        return str(self.form["instrument"])

    @property
    def folder(self) -> Path:
        return self.path.parent

    def locate(self, field_path: FieldPath) -> tuple[int | None, int | None]:
        """Line and column of a field, for problems found after loading (globs, pins)."""
        pos = self.positions.of_value(field_path)
        return pos if pos else (None, None)


@dataclass(frozen=True)
class LoadResult:
    """Either a manifest or the problems that prevent one (sometimes warnings with a manifest)."""

    path: Path
    manifest: Manifest | None
    problems: list[Problem]


def field_name(path: Iterable) -> str:
    """`form.instrument`, `files[2]`: how a user reads a place in a manifest."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text or "(top level)"


@lru_cache(maxsize=1)
def delivery_schema() -> dict:
    """The bundled manifest schema (read once: validating many manifests must stay cheap)."""
    text = resources.files("crds_deliver").joinpath("schemas/delivery.schema.json").read_text()
    return json.loads(text)


@lru_cache(maxsize=1)
def _conforms() -> Check:
    """The yes-or-no schema check (see conformance.py): jsonschema explains only a no."""
    return compile_schema(delivery_schema())


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    """Built on first use: commands that only read manifests' names (history, `new`'s
    suffixes, `--help`) do not pay for importing jsonschema."""
    import jsonschema

    return jsonschema.Draft202012Validator(delivery_schema())


class _Tree:
    """Turns a composed YAML node tree into plain values, recording positions and problems."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.positions = Positions()
        self.problems: list[Problem] = []
        self._seen: set[int] = set()
        self._constructor = yaml.SafeLoader("")
        # The scalar constructors by tag, called directly: construct_object's bookkeeping
        # (recursion guards, object cache) is for collections, which build() makes itself.
        self._scalars = self._constructor.yaml_constructors

    def problem(self, message: str, mark: yaml.Mark | None, path: FieldPath = ()) -> None:
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        name = field_name(path) if path else None
        text = f"{name}: {message}" if name else message
        self.problems.append(Problem(self.file, text, line, col, name))

    def build(self, node: yaml.Node, path: FieldPath, depth: int = 0) -> Any:
        if id(node) in self._seen:
            # An alias shares its anchor's node and marks; point at where the alias is used.
            line, col = self.positions.of_key(path) or (None, None)
            self.problems.append(Problem(self.file, f"{field_name(path)}: anchors and aliases "
                                         "are not allowed in a manifest", line, col,
                                         field_name(path)))
            return None
        self.positions.values[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        self._seen.add(id(node))
        if depth > MAX_DEPTH:
            self.problem(f"nested deeper than {MAX_DEPTH} levels", node.start_mark, path)
            return None
        if node.tag not in _PLAIN_TAGS:
            self.problem(f"the YAML tag {node.tag} is not allowed in a manifest",
                         node.start_mark, path)
            return None
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (i,), depth + 1) for i, item in enumerate(node.value)]
        return self._scalar(node, path)

    def _mapping(self, node: yaml.MappingNode, path: FieldPath, depth: int) -> dict:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            merge = key_node.tag == "tag:yaml.org,2002:merge"
            if merge or not isinstance(key_node, yaml.ScalarNode):
                self.problem("only plain text keys are allowed (no merge keys or complex keys)",
                             key_node.start_mark, path)
                continue
            key = str(key_node.value)
            key_path = path + (key,)
            if key in result:
                first = self.positions.keys[key_path]
                self.problem(f"duplicate key '{key}' (first defined at line {first[0]})",
                             key_node.start_mark, key_path)
                continue
            self.positions.keys[key_path] = (key_node.start_mark.line + 1,
                                             key_node.start_mark.column + 1)
            result[key] = self.build(value_node, key_path, depth + 1)
        return result

    def _scalar(self, node: yaml.ScalarNode, path: FieldPath) -> Any:
        try:
            if node.tag == _STR_TAG:
                value = node.value
            elif node.tag in self._scalars:
                value = self._scalars[node.tag](self._constructor, node)
            else:  # the merge tag on a value: construct_object says why it cannot be one
                value = self._constructor.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            self.problem(f"unreadable value: {exc.problem or exc}", node.start_mark, path)
            return None
        if isinstance(value, str) and TOKEN_LIKE.search(value):
            self.problem("this value looks like a MAST API token; a manifest must never hold a "
                         "secret (give the token with MAST_API_TOKEN or --token-file)",
                         node.start_mark, path)
        return value


def _decode(data: bytes, file: str) -> tuple[str | None, list[Problem]]:
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        return None, [Problem(file, f"not UTF-8 text: byte 0x{data[exc.start]:02x} cannot be "
                                    "decoded", line, column)]


def _char_at(text: str, line: int, column: int) -> str:
    """The character at a 0-based line and column of `text` ("" past its end)."""
    lines = text.splitlines()
    return lines[line][column] if line < len(lines) and column < len(lines[line]) else ""


def _compose(text: str, file: str) -> tuple[yaml.Node | None, list[Problem]]:
    try:
        nodes = list(yaml.compose_all(text, Loader=LOADER))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        reason = exc.problem or "invalid YAML"
        if exc.context:
            reason = f"{exc.context}: {reason}"
        if mark is not None and _char_at(text, mark.line, mark.column) == "\t":
            reason += " (a tab: YAML indents with spaces only)"
        return None, [Problem(file, f"YAML syntax error: {reason}", line, col)]
    except yaml.YAMLError as exc:
        return None, [Problem(file, f"YAML error: {exc}")]
    nodes = [n for n in nodes if n is not None]
    if not nodes:
        return None, [Problem(file, "the manifest is empty", 1, 1)]
    if len(nodes) > 1:
        mark = nodes[1].start_mark
        return None, [Problem(file, "a manifest holds one YAML document, found several",
                              mark.line + 1, mark.column + 1)]
    return nodes[0], []


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)


_TYPE_WORDS = {"boolean": "a boolean (true or false)", "string": "text",
               "array": "a list", "object": "a mapping", "integer": "a whole number"}


def _schema_problems(data: dict, tree: _Tree) -> Iterator[Problem]:
    """Every schema violation as a located, plain-words Problem (one per fault, not per rule).

    A misspelt required key is one fault: it is reported at the misspelt key's own line
    ("did you mean"), not a second time as a missing field at its parent's line."""
    if _conforms()(data):
        return
    errors = list(_validator().iter_errors(data))
    typos = {(tuple(e.absolute_path), close) for e in errors
             if e.validator == "additionalProperties"
             for key in set(e.instance) - set(e.schema.get("properties", {}))
             for close in difflib.get_close_matches(key, sorted(e.schema.get("properties", {})),
                                                    n=1)}
    for error in errors:
        if error.validator == "required" and \
                (tuple(error.absolute_path), error.message.split("'")[1]) in typos:
            continue
        path = tuple(error.absolute_path)
        name = field_name(path)
        custom = error.schema.get("x-message") if isinstance(error.schema, dict) else None
        if error.validator == "additionalProperties":
            allowed = set(error.schema.get("properties", {}))
            for key in sorted(set(error.instance) - allowed):
                key_path = path + (key,)
                if SECRET_KEY.search(key):
                    why = "a manifest must never hold a secret (token, password)"
                else:
                    why = _unknown_key_reason(key, allowed)
                yield _located(tree, key_path, f"{field_name(key_path)}: {why}", key=True)
        elif error.validator == "required":
            missing = error.message.split("'")[1]
            where = f"{name}: " if path else ""
            yield _located(tree, path, f"{where}missing required field '{missing}'", key=True)
        elif error.validator == "maxLength":
            yield _located(tree, path, f"{name}: {len(error.instance)} characters; the server's "
                                       f"form accepts at most {error.validator_value}")
        elif error.validator == "pattern" and error.instance == "" and path[:1] == ("form",):
            # An empty form text fails its field's pattern (the description's allowed
            # characters) because it is empty: the clients' own check says so first.
            yield _located(tree, path, f"{name}: '' must not be empty")
        elif custom:
            hint = _did_you_mean(error.instance, _choices(error.schema, path, data))
            yield _located(tree, path, f"{name}: {_show(error.instance)} {custom}{hint}")
        elif error.validator == "type":
            expected = _TYPE_WORDS.get(str(error.validator_value), str(error.validator_value))
            yield _located(tree, path, f"{name}: {_show(error.instance)} is not {expected}")
        elif error.validator == "enum":
            choices = ", ".join(str(c) for c in error.validator_value)
            hint = _did_you_mean(error.instance, [str(c) for c in error.validator_value])
            yield _located(tree, path,
                           f"{name}: {_show(error.instance)} is not one of {choices}{hint}")
        elif error.validator == "minItems":
            yield _located(tree, path, f"{name}: must hold at least {error.validator_value} item")
        else:
            yield _located(tree, path, f"{name}: {error.message}")


def _choices(schema: object, path: FieldPath, data: dict) -> list[str]:
    """The values a field accepts, where the schema or the project's facts list them."""
    if path == ("form", "instrument"):
        return list(INSTRUMENTS.get(str(data.get("project")), ()))
    if not isinstance(schema, dict):
        return []
    found = [str(c) for c in schema.get("enum", ())]
    for option in schema.get("anyOf", ()):
        found += [str(c) for c in option.get("enum", ())] if isinstance(option, dict) else []
    return found


def _did_you_mean(value: object, choices: list[str]) -> str:
    """"; did you mean 'test'?" for a value close to one choice (any case), else ""."""
    if not isinstance(value, str) or not choices:
        return ""
    by_lower = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(value.lower(), list(by_lower), n=1, cutoff=0.75)
    return f"; did you mean '{by_lower[close[0]]}'?" if close else ""


def _unknown_key_reason(key: str, allowed: set[str]) -> str:
    """Point a typo at the key it was meant to be; else list what is allowed."""
    close = difflib.get_close_matches(key, sorted(allowed), n=1)
    if close:
        return f"unknown key; did you mean '{close[0]}'?"
    return f"unknown key (allowed here: {', '.join(sorted(allowed))})"


def _located(tree: _Tree, path: FieldPath, message: str, key: bool = False) -> Problem:
    pos = tree.positions.of_key(path) if key else tree.positions.of_value(path)
    line, col = pos if pos else (None, None)
    return Problem(tree.file, message, line, col, field_name(path) if path else None)


@lru_cache(maxsize=8)
def _choice_spellings(project: str) -> dict[str, dict[str, object]]:
    """Per choice field, each choice by its lower-case spelling (built once per project)."""
    return {spec.key: {str(c).lower(): c for c in spec.choices}
            for spec in all_fields(project) if spec.type == CHOICE}


def _normalise_form(form: dict[str, Any], project: str) -> dict[str, Any]:
    """Spell every value as the server expects: choices in their own case, Yes/No for booleans."""
    spellings = _choice_spellings(project)
    normal: dict[str, Any] = {}
    for key, value in form.items():
        choices = spellings.get(key)
        if choices is not None:
            if isinstance(value, bool):
                value = "Yes" if value else "No"
            value = choices.get(str(value).strip().lower(), value)
        normal[key] = value
    return normal


def _build_manifest(path: Path, data: dict, digest: str, positions: Positions) -> Manifest:
    project = data["project"]
    opts = data.get("options") or {}
    return Manifest(
        path=path,
        project=project,
        server=data["server"],
        context=data.get("context") or f"{project}-edit",
        files=tuple(data["files"]),
        form=_normalise_form(data["form"], project),
        options=Options(**opts),
        pinned=tuple(PinnedFile(**p) for p in data.get("pinned") or ()),
        digest=digest,
        positions=positions,
    )


def load_manifest(path: Path) -> LoadResult:
    """Read, parse and validate one manifest; never raises for bad content, only reports it."""
    file = str(path)
    try:
        data = read_bounded(path, MAX_MANIFEST_BYTES, "manifest")
    except NotReadable as exc:
        return LoadResult(path, None, [Problem(file, str(exc).removeprefix(f"{file}: "))])
    except OSError as exc:
        return LoadResult(path, None, [Problem(file, f"cannot read: {exc.strerror or exc}")])
    return parse_manifest(path, data)


def parse_manifest(path: Path, data: bytes) -> LoadResult:
    """Parse and validate manifest bytes as if read from `path` (which locates the problems
    and anchors the globs): the Python API checks a manifest it built before writing it."""
    file = str(path)
    text, problems = _decode(data, file)
    if text is None:
        return LoadResult(path, None, problems)
    node, problems = _compose(text, file)
    if node is None:
        return LoadResult(path, None, problems)
    if not isinstance(node, yaml.MappingNode):
        return LoadResult(path, None, [Problem(
            file, "the top level must be a mapping (project:, server:, files:, form: ...)",
            node.start_mark.line + 1, node.start_mark.column + 1)])
    tree = _Tree(file)
    value = tree.build(node, ())
    problems = tree.problems + list(_schema_problems(value, tree))
    problems.sort(key=lambda p: (p.line or 0, p.column or 0))
    if problems:
        return LoadResult(path, None, problems)
    digest = hashlib.sha256(data).hexdigest()
    return LoadResult(path, _build_manifest(path, value, digest, tree.positions), [])


def is_result_record(path: Path) -> bool:
    return path.name.endswith(RESULT_SUFFIXES)


def find_manifests(paths: Iterable[Path]) -> list[Path]:
    """Manifests named by the user: files as given, folders searched recursively.

    Result records (`*.result.yaml`) sit next to their manifests and are never manifests.
    Hidden folders (.git, .github) are skipped. Raises FileNotFoundError for a missing path.
    """
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            for candidate in sorted(path.rglob("*")):
                rel_parts = candidate.relative_to(path).parts
                if any(part.startswith(".") for part in rel_parts):
                    continue
                if (candidate.is_file() and candidate.name.endswith(MANIFEST_SUFFIXES)
                        and not is_result_record(candidate)):
                    found.append(candidate)
        elif path.exists():
            found.append(path)
        else:
            raise FileNotFoundError(str(path))
    return list(dict.fromkeys(found))
