"""How long a run may spend on article pages: per feed, and for the whole run.

A hostile or broken feed of slow pages could otherwise hold a run for hours (100 items,
each tried three times for up to a minute). Each feed's clock starts when the first of
its pages is requested in the run, the run's clock when the run starts fetching pages;
a page not fetched when either has run out is given up for this run, with the reason
recorded, and tried again in the next (the item stays pending). 0 means no limit.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class Deadlines:
    feed_seconds: float = 0.0  # feeds.feed_deadline_seconds
    run_seconds: float = 0.0  # feeds.run_deadline_seconds
    started: float = field(default_factory=time.monotonic)
    feeds: dict[str, float] = field(default_factory=dict)  # feed -> its first page request

    def start_feed(self, feed: str) -> None:
        self.feeds.setdefault(feed, time.monotonic())

    def next(self, feed: str) -> tuple[float, str] | None:
        """The earliest deadline of a feed's pages (monotonic time) and the reason a
        page not fetched by then is given; None without limits."""
        out: list[tuple[float, str]] = []
        if self.feed_seconds > 0:
            at = self.feeds.get(feed, time.monotonic()) + self.feed_seconds
            out.append(
                (
                    at,
                    "not fetched: this feed's time for pages in one run ran out "
                    f"(feeds.feed_deadline_seconds = {self.feed_seconds:g}); "
                    "tried again next run",
                )
            )
        if self.run_seconds > 0:
            out.append(
                (
                    self.started + self.run_seconds,
                    "not fetched: the run's time for pages ran out "
                    f"(feeds.run_deadline_seconds = {self.run_seconds:g}); tried again next run",
                )
            )
        return min(out) if out else None
