"""The schema facts of a contract note (docs/contracts/*.md) as checks on JSON bodies and routes.

A note lists each schema under `### <Name>`, opened by a line that starts with "Write" (strict:
fields not in the table are refused) or "Read" (more fields may come), then a table
`| field | type | null | required |`; and its routes in a table `| method | path | body | success
| answer |`. The type grammar is described in the note itself. Tests read the facts from the note,
so the note, the client and the demo emulation are held to the same text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

NOTES = Path(__file__).resolve().parent.parent / "docs" / "contracts"

_RANGE = re.compile(r"^(?:(?P<lo>-?\d+(?:\.\d+)?)–(?P<hi>-?\d+(?:\.\d+)?)|≥(?P<min>-?\d+(?:\.\d+)?)|≤(?P<max>-?\d+(?:\.\d+)?))$")
_URL = re.compile(r"^https?://\S+$")
_TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
_ROW = re.compile(r"^\|(.+)\|\s*$")


def _cells(line: str) -> list[str]:
    """A markdown table row's cells; `\\|` inside a cell is a literal bar."""
    inner = _ROW.match(line.strip())
    if inner is None:
        return []
    return [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", inner.group(1))]


def _unquote(cell: str) -> str:
    return cell.strip("`")


@dataclass(frozen=True, slots=True)
class FieldFact:
    name: str
    type: str
    nullable: bool
    required: bool

    def problems(self, value: Any, where: str) -> list[str]:
        if value is None:
            return [] if self.nullable else [f"{where}: null is not allowed"]
        base, _, rest = self.type.partition(" ")
        if base == "enum":
            return [] if value in rest.split("|") else [f"{where}: {value!r} is not one of {rest}"]
        lo, hi = _bounds(rest)
        check = _CHECKS[base]
        problem = check(value)
        if problem:
            return [f"{where}: {problem}"]
        size = len(value) if base in _SIZED else value if base in ("int", "number") else None
        if size is not None and ((lo is not None and size < lo) or (hi is not None and size > hi)):
            return [f"{where}: {value!r} is outside {rest}"]
        return []


def _bounds(rest: str) -> tuple[float | None, float | None]:
    if not rest:
        return None, None
    match = _RANGE.match(rest)
    if match is None:
        raise ValueError(f"unreadable range {rest!r} in a contract table")
    if match["lo"] is not None:
        return float(match["lo"]), float(match["hi"])
    if match["min"] is not None:
        return float(match["min"]), None
    return None, float(match["max"])


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _expect(condition: bool, what: str) -> str:
    return "" if condition else f"expected {what}"


_CHECKS = {
    "string": lambda v: _expect(isinstance(v, str), "a string"),
    "url": lambda v: _expect(isinstance(v, str) and bool(_URL.match(v)), "an http(s) URL"),
    "time": lambda v: _expect(isinstance(v, str) and bool(_TIME.match(v)), "HH:mm"),
    "int": lambda v: _expect(_is_int(v), "a whole number"),
    "number": lambda v: _expect(isinstance(v, (int, float)) and not isinstance(v, bool), "a number"),
    "bool": lambda v: _expect(isinstance(v, bool), "true or false"),
    "array": lambda v: _expect(isinstance(v, list), "an array"),
    "string[]": lambda v: _expect(isinstance(v, list) and all(isinstance(i, str) for i in v), "an array of strings"),
    "int[]": lambda v: _expect(isinstance(v, list) and all(_is_int(i) for i in v), "an array of whole numbers"),
    "object": lambda v: _expect(isinstance(v, dict), "an object"),
    "record<string>": lambda v: _expect(
        isinstance(v, dict) and all(isinstance(i, str) for i in v.values()), "an object of strings"
    ),
    "record<int>": lambda v: _expect(isinstance(v, dict) and all(_is_int(i) for i in v.values()), "an object of whole numbers"),
    "any": lambda v: "",
}
_SIZED = frozenset({"string", "url", "array", "string[]", "int[]"})


@dataclass(frozen=True, slots=True)
class SchemaFact:
    name: str
    write: bool
    fields: dict[str, FieldFact]

    def problems(self, body: Any) -> list[str]:
        """Why `body` breaks this schema (empty when it does not)."""
        if not isinstance(body, dict):
            return [f"{self.name}: expected an object, got {type(body).__name__}"]
        found = []
        if self.write:
            found += [f"{self.name}.{name}: not a field of the schema" for name in body if name not in self.fields]
        for fact in self.fields.values():
            if fact.name not in body:
                if fact.required:
                    found.append(f"{self.name}.{fact.name}: required but missing")
                continue
            found += fact.problems(body[fact.name], f"{self.name}.{fact.name}")
        return found


@dataclass(frozen=True, slots=True)
class RouteFact:
    method: str
    path: str
    body: str | None
    success: int
    answer: str | None

    def matches(self, method: str, path: str) -> bool:
        pattern = re.escape(self.path).replace(r"\{id\}", r"[^/]+")
        return method == self.method and re.fullmatch(pattern, path) is not None


@dataclass(frozen=True, slots=True)
class ContractFacts:
    schemas: dict[str, SchemaFact]
    routes: list[RouteFact]

    def route(self, method: str, path: str) -> RouteFact | None:
        return next((r for r in self.routes if r.matches(method, path)), None)


def read_facts(note: str) -> ContractFacts:
    """The schemas and routes of `docs/contracts/<note>`."""
    lines = (NOTES / note).read_text(encoding="utf-8").splitlines()
    schemas: dict[str, SchemaFact] = {}
    routes: list[RouteFact] = []
    current: str | None = None
    write = False
    for line in lines:
        if line.startswith("### "):
            current, write = line[4:].strip(), False
            continue
        if line.startswith("## "):
            current = None
        if current is not None and (line.startswith("Write") or line.startswith("Read")):
            write = line.startswith("Write")
            schemas[current] = SchemaFact(current, write, {})
            continue
        cells = _cells(line)
        if len(cells) == 5 and cells[0] in ("GET", "POST", "PATCH", "PUT", "DELETE"):
            body = None if cells[2].startswith("—") else cells[2]
            answer = None if cells[4] == "—" else cells[4]
            routes.append(RouteFact(cells[0], _unquote(cells[1]), body, int(cells[3]), answer))
        elif current in schemas and len(cells) == 4 and cells[0].startswith("`"):
            name = _unquote(cells[0])
            schemas[current].fields[name] = FieldFact(name, cells[1], cells[2] == "yes", cells[3] == "yes")
        elif current in schemas and len(cells) == 4 and cells[0].startswith("(every field of "):
            source = schemas[cells[0].removeprefix("(every field of ").rstrip(")")]
            for fact in source.fields.values():
                schemas[current].fields[fact.name] = FieldFact(fact.name, fact.type, fact.nullable, False)
    return ContractFacts(schemas, routes)
