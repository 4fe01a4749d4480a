"""Words shared by messages of the app and the command line."""

from __future__ import annotations


def plural(count: int, noun: str, many: str | None = None) -> str:
    """`1 channel`, `2 channels`, `1,200 channels`: a count with its noun in the right number;
    `many` is the plural when it is not the noun plus s (`entry`, `entries`)."""
    return f"{count:,} {noun if count == 1 else many or noun + 's'}"


def clause(text: str) -> str:
    """`text` (often a server's message) without the full stop it may end with, for a sentence of
    ours to end or go on: "Incorrect API key provided." in "…: Incorrect API key provided. Check…",
    not "provided.. Check"."""
    return text.rstrip().rstrip(".。!！ ")


def aside(text: str) -> str:
    """`text` in parentheses, as an aside to a sentence: "(read-only)". Parentheses inside it become
    brackets and a closing full stop goes, so an aside never nests parentheses: "(AxonHub has no
    bulk tag [tags are a list])", not "(… (tags are a list))"."""
    return "(" + clause(text).replace("(", "[").replace(")", "]") + ")"


def agrees(count: int, one: str, many: str) -> str:
    """The word that agrees with `count` things: `agrees(1, "is", "are")` is "is". With `plural`,
    for a sentence whose verb follows a count ("1 of these 2 channels is enabled")."""
    return one if count == 1 else many
