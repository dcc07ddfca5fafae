"""robots.txt as RFC 9309 reads it: groups per user agent, longest match wins.

Why not ``urllib.robotparser``: it takes the first matching rule instead of the
longest, and knows neither ``*`` nor ``$`` in paths, so it allows what sites forbid.

What the status of robots.txt itself means (RFC 9309, 2.3.1) is decided by the
fetcher (``mediawatch.ingest.fetch``): 4xx allows everything, 5xx or an unreachable
server disallows everything for the run.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

MAX_ROBOTS_BYTES = 500 * 1024  # RFC 9309 2.5: parse at least the first 500 KiB


@dataclass(frozen=True)
class Rule:
    allow: bool
    pattern: str
    regex: re.Pattern[str]

    def __str__(self) -> str:
        return f"{'Allow' if self.allow else 'Disallow'}: {self.pattern}"


@dataclass(frozen=True)
class Verdict:
    """Whether a URL may be fetched, and the rule that decided it (for the record)."""

    allowed: bool
    rule: Rule | None = None
    reason: str = ""


@dataclass
class RobotsRules:
    """The rules of one origin for one user agent."""

    rules: list[Rule] = field(default_factory=list)
    crawl_delay: float | None = None
    agent: str = "*"  # the group that applied: our product token, or '*'
    allow_all: bool = False
    disallow_all_reason: str | None = None  # robots.txt unreachable: nothing may be fetched
    temporary: bool = False  # the full disallow lasts this run only (robots.txt unreachable)
    refusal: str | None = None  # our own rules refused the host (e.g. a private address)
    unreachable: str | None = None  # no connection to the host (DNS, refused): why, this run
    sitemaps: list[str] = field(default_factory=list)

    @classmethod
    def allowing_all(cls, why: str = "") -> RobotsRules:
        return cls(allow_all=True, agent=why or "*")

    @classmethod
    def disallowing_all(cls, reason: str, temporary: bool = False) -> RobotsRules:
        return cls(disallow_all_reason=reason, temporary=temporary)

    def check(self, url: str) -> Verdict:
        if self.disallow_all_reason:
            return Verdict(False, None, self.disallow_all_reason)
        parts = urlsplit(url)
        path = _normalise((parts.path or "/") + (f"?{parts.query}" if parts.query else ""))
        if self.allow_all or path == "/robots.txt":
            return Verdict(True)
        best: Rule | None = None
        for rule in self.rules:
            if rule.regex.match(path) and (
                best is None
                or len(rule.pattern) > len(best.pattern)
                or (len(rule.pattern) == len(best.pattern) and rule.allow and not best.allow)
            ):
                best = rule
        if best is None or best.allow:
            return Verdict(True, best)
        return Verdict(
            False,
            best,
            f"disallowed by robots.txt ({best} for user agent '{self.agent}')",
        )


def product_token(user_agent: str) -> str:
    """The name robots.txt groups are matched against: 'mediawatch' of 'mediawatch/0.1 (...)'."""
    return re.split(r"[/\s]", user_agent.strip(), maxsplit=1)[0].lower()


def _normalise(path: str) -> str:
    """Percent-decoding on both sides, so '/a%3Cd' and '/a<d' compare equal."""
    return unquote(path)


def _compile(pattern: str) -> re.Pattern[str]:
    anchored = pattern.endswith("$")
    body = pattern[:-1] if anchored else pattern
    regex = ".*".join(re.escape(part) for part in _normalise(body).split("*"))
    return re.compile(regex + ("$" if anchored else ""), re.DOTALL)


_LINE = re.compile(r"^\s*([A-Za-z-]+)\s*:\s*(.*?)\s*$")


def parse(text: str, user_agent: str) -> RobotsRules:
    """The rules that apply to ``user_agent``: its own groups, else the '*' groups."""
    token = product_token(user_agent)
    groups: list[tuple[list[str], list[Rule], list[float]]] = []
    sitemaps: list[str] = []
    agents: list[str] = []
    rules: list[Rule] = []
    delays: list[float] = []
    in_rules = False
    for raw in text.splitlines():
        line = raw.split("#", 1)[0]
        m = _LINE.match(line)
        if not m:
            continue
        key, value = m[1].lower(), m[2]
        if key in ("user-agent", "useragent"):
            if in_rules:  # a user-agent line after rules starts a new group
                groups.append((agents, rules, delays))
                agents, rules, delays, in_rules = [], [], [], False
            agents.append(value.lower())
        elif key in ("allow", "disallow"):
            in_rules = True
            if value:  # an empty Disallow matches nothing
                rules.append(Rule(key == "allow", value, _compile(value)))
        elif key == "crawl-delay":
            in_rules = True
            with contextlib.suppress(ValueError):
                delays.append(max(0.0, float(value)))
        elif key == "sitemap" and value:
            sitemaps.append(value)
    if agents:
        groups.append((agents, rules, delays))

    own = [g for g in groups if token in g[0]]
    chosen, agent = (own, token) if own else ([g for g in groups if "*" in g[0]], "*")
    return RobotsRules(
        rules=[r for g in chosen for r in g[1]],
        crawl_delay=max((d for g in chosen for d in g[2]), default=None),
        agent=agent,
        sitemaps=sitemaps,
    )
