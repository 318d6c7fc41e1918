"""How a count reads in a message: "1 prospect", "3 moves", "1 was"."""

from __future__ import annotations


def singular(word: str) -> str:
    """One of the records an adapter names in the plural: "prospect", "deal", "2-1 record"."""
    if word.endswith("ies"):
        return word[:-3] + "y"
    return word.removesuffix("s")


def counting(count: int, noun: str) -> str:
    """A count and its noun, as a sentence says them: "1 move", "3 moves"."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def were(count: int) -> str:
    """The verb of a count: "1 was", "3 were"."""
    return "was" if count == 1 else "were"


def moves(count: int) -> str:
    """The verb of a count: "1 moves", "3 move"."""
    return "moves" if count == 1 else "move"
