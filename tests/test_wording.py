"""Counts in messages agree with their noun: "1 channel", "2 channels", never "1 channels".

The scan reads every f-string of the app and the command line: a formatted value followed by a
counted noun in the plural (`f"{n} channels"`) must go through `wording.plural` instead, unless a
condition around it settles the number (`... if n > 1 else ...`). The demo gateway is left out: its
messages are the emulated servers' own words.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tui_channels.wording import plural

PACKAGE = Path(__file__).resolve().parent.parent / "tui_channels"

COUNTED = (
    "accounts", "attempts", "bytes", "changes", "channels", "characters", "days", "entries", "errors",
    "failures", "fields", "groups", "items", "keys", "lines", "matches", "members", "models", "names",
    "providers", "records", "requests", "rows", "seconds", "sites", "tags", "tokens", "writes",
)
"""Nouns the app counts, in the plural."""

PLURAL_AFTER_COUNT = re.compile(
    r"^ (?:(?!(?:and|at|by|for|from|in|of|on|or|to|with)\b)[a-z][\w-]* )?(" + "|".join(COUNTED) + r")\b"
)
"""After a formatted value: a counted noun in the plural, with at most one word before it
("3 channels", "3 auto-sync channels")."""

TEXT_VALUE = re.compile(r"(label|name|kind|tag|path|url|title|gateways|command|origin|batch|HUB)\W*$|^plural\(|^agrees\(")
"""A formatted value that is a text, not a count (`{flavor_label} channels`, `{command} writes`)."""

def _settled(node: ast.AST, expression: str, parents: dict[ast.AST, ast.AST]) -> bool:
    """Whether a conditional around `node` compares `expression` with 1, so that the branch
    holding `node` never counts one (`f" on {n} sites" if n > 1 else ""`)."""
    while node in parents:
        node = parents[node]
        if isinstance(node, (ast.IfExp, ast.If)) and any(
            isinstance(compare, ast.Compare)
            and ast.unparse(compare.left) == expression
            and any(isinstance(c, ast.Constant) and c.value == 1 for c in compare.comparators)
            for compare in ast.walk(node.test)
        ):
            return True
    return False


def literal_plurals(source: str, filename: str) -> list[str]:
    """Each `f"{count} nouns"` of `source` whose number is not settled, as `file:line: text`."""
    tree = ast.parse(source, filename)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.JoinedStr):
            continue
        parts = node.values
        for index, (value, text) in enumerate(zip(parts, parts[1:])):
            if not (isinstance(value, ast.FormattedValue) and isinstance(text, ast.Constant)):
                continue
            match = PLURAL_AFTER_COUNT.match(str(text.value))
            expression = ast.unparse(value.value)
            before = parts[index - 1] if index else None
            if (
                not match
                or TEXT_VALUE.search(expression)
                or (isinstance(before, ast.Constant) and str(before.value).endswith(("−", "/")))
                or _settled(node, expression, parents)
            ):
                continue
            found.append(f"{filename}:{node.lineno}: {{{expression}}}{match.group(0)}")
    return found


def test_no_message_counts_with_a_literal_plural():
    found = [
        problem
        for path in sorted(PACKAGE.rglob("*.py"))
        if "demo" not in path.relative_to(PACKAGE).parts
        for problem in literal_plurals(path.read_text(encoding="utf-8"), str(path.relative_to(PACKAGE)))
    ]
    assert not found, "counts with a literal plural; use wording.plural:\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("source", "flagged"),
    [
        ('f"{len(rows)} channels"', True),
        ('f"Updated {count:,} channels tagged {tag}"', True),
        ('f"{n} auto-sync channels changed"', True),
        ('f"{len(keys) - 1} more keys" if len(keys) > 1 else ""', True),
        ('f"{plural(n, \'channel\')} changed"', False),
        ('f"{label} channels have no tags"', False),
        ('f" on {n} sites" if n > 1 else ""', False),
        ('f"1 channel" if n == 1 else f"{n} channels"', False),
        ('f"+{added} −{removed} models"', False),
        ('f"[{on}/{total} keys]"', False),
        ('f"{n} is too many"', False),
        ('f"{command} writes to the gateway"', False),
        ('f"{count} with changes"', False),
    ],
)
def test_the_scan_tells_a_literal_plural_from_a_settled_one(source: str, flagged: bool):
    assert bool(literal_plurals(source, "example.py")) is flagged


def test_plural_agrees_with_the_count():
    assert [plural(n, "channel") for n in (0, 1, 2, 1200)] == ["0 channels", "1 channel", "2 channels", "1,200 channels"]
    assert [plural(n, "entry", "entries") for n in (1, 3)] == ["1 entry", "3 entries"]
    assert plural(1, "auto-sync channel") == "1 auto-sync channel"


def test_an_aside_never_nests_parentheses_and_a_clause_drops_the_full_stop() -> None:
    from tui_channels.wording import aside, clause

    assert clause("Incorrect API key provided. ") == "Incorrect API key provided"
    assert clause("no reason") == "no reason"
    assert aside("read-only.") == "(read-only)"
    assert aside("AxonHub channels have no bulk tag (tags are a list).") == (
        "(AxonHub channels have no bulk tag [tags are a list])"
    )


VERB_TEXT_VALUE = re.compile(
    r"(label|name|kind|tag|path|url|title|gateways|command|origin|HUB|site|where|whose|host|reason|message|state)\W*$"
)
"""A formatted value that is a text, never a count, for the verb scan."""

PLURAL_VERB = re.compile(r"\b(are|were|have|stay)\b")
CLAUSE_END = re.compile(r"[.;:,()\[\]—\n]| (?:and|or|but|if|when|which|that|so|as|because|while) ")


def _settled_in_function(node: ast.AST, expression: str, parents: dict[ast.AST, ast.AST]) -> bool:
    """Whether the function holding `node` compares `expression` (or the count inside `plural(…)`)
    with 1, returning early or branching for one."""
    inner = re.sub(r"^plural\((.*), '[^']*'(, '[^']*')?\)$", r"\1", expression)
    while node in parents and not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        node = parents[node]
    return any(
        isinstance(compare, ast.Compare)
        and ast.unparse(compare.left) in (expression, inner)
        and any(isinstance(c, ast.Constant) and c.value == 1 for c in compare.comparators)
        for compare in ast.walk(node)
    )


def plural_verbs(source: str, filename: str) -> list[str]:
    """Each count in an f-string of `source` followed, in its clause, by a verb in the plural
    ("{enabled} of these channels are", "{plural(n, 'key')} are") whose number is not settled."""
    tree = ast.parse(source, filename)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.JoinedStr):
            continue
        for index, value in enumerate(node.values):
            if not isinstance(value, ast.FormattedValue):
                continue
            expression = ast.unparse(value.value)
            if VERB_TEXT_VALUE.search(expression) and not expression.startswith("plural("):
                continue
            clause = ""
            for part in node.values[index + 1 :]:
                clause += str(part.value) if isinstance(part, ast.Constant) else "{}"
                end = CLAUSE_END.search(clause)
                if end:
                    clause = clause[: end.start()]
                    break
            if PLURAL_VERB.search(clause) and not _settled_in_function(node, expression, parents):
                found.append(f"{filename}:{node.lineno}: {{{expression}}}{clause}")
    return found


def test_no_message_gives_a_count_a_verb_in_the_plural():
    """ "1 of these 2 channels are enabled": the verb after a count agrees through `wording.agrees`."""
    found = [
        problem
        for path in sorted(PACKAGE.rglob("*.py"))
        if "demo" not in path.relative_to(PACKAGE).parts
        for problem in plural_verbs(path.read_text(encoding="utf-8"), str(path.relative_to(PACKAGE)))
    ]
    assert not found, "a count with a verb in the plural; use wording.agrees:\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("source", "flagged"),
    [
        ('f"{enabled} of these {plural(count, \'channel\')} are enabled"', True),
        ('f"{plural(n, \'key\')} are disabled"', True),
        ('f"{n} automatically disabled keys are removed"', True),
        ('f"{enabled} of these {plural(count, \'channel\')} {agrees(enabled, \'is\', \'are\')} enabled"', False),
        ('f"{whose} are stored"', False),
        ('f"{n} failed; the others are fine"', False),
    ],
)
def test_the_verb_scan_tells_a_plural_verb_after_a_count(source: str, flagged: bool):
    assert bool(plural_verbs(source, "example.py")) is flagged
