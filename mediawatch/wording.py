"""Words for readers: counts with the right plural, and the stored codes (relations,
how an article joined its story) said the way a person would say them. The terminal
(render.py) and the inspector's templates use the same words."""

from __future__ import annotations

from collections.abc import Iterable

_IRREGULAR = {"story": "stories", "copy": "copies", "entry": "entries", "is": "are"}


def plural(count: int | float, singular: str, plural_form: str | None = None) -> str:
    """``1 article``, ``2 articles``, ``0 stories``: the count and the word."""
    return f"{count:,} {noun(count, singular, plural_form)}"


def noun(count: int | float, singular: str, plural_form: str | None = None) -> str:
    """The word alone, singular for exactly one."""
    if count == 1:
        return singular
    return plural_form or _IRREGULAR.get(singular) or singular + "s"


def numbered(ids: Iterable[int], singular: str, joiner: str = ", ") -> str:
    """``article 4``, ``articles 4, 7``: the word for how many, then the numbers."""
    listed = list(ids)
    return f"{noun(len(listed), singular)} {joiner.join(str(i) for i in listed)}"


# dup_members.relation: how a version relates to its duplicate group's original.
RELATIONS = {
    "origin": "original",
    "exact": "exact copy",
    "near_copy": "near copy",
    "rewrite": "rewrite",
}


def relation(code: str | None) -> str:
    """A member's relation in words; no group: independent."""
    if code is None:
        return "independent"
    return RELATIONS.get(code, code)


# story_members.reason: the step that put an article into its story.
STORY_REASONS = {
    "attached": "joined an earlier story",
    "new": "started the story",
    "new:with-batch": "started it with its batch",  # articles read together formed it
    "duplicate": "as a copy of a member",
    "correction": "put there by an analyst's correction",
}


def story_reason(code: str | None) -> str:
    """How an article joined its story, in words (unknown codes as they are)."""
    if not code:
        return "–"
    return STORY_REASONS.get(code, code)
