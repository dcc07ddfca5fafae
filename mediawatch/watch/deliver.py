"""Sending hits where a watchlist says: a webhook, a Prefect notification block.

A webhook is a JSON POST through the feeds' HTTP client (mediawatch.ingest.fetch), so
it follows their rules: the host must be listed (``watch.allowed_hosts``), private,
loopback and link-local addresses are refused unless ``feeds.allow_private_hosts``,
the connection goes to the address that was checked, transient trouble is retried, and
redirects are not followed. A Prefect notification block is loaded by name and sent a
plain-text message. Every attempt has an outcome; none raises: a failed delivery is
recorded and never fails the run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from mediawatch.config import Settings, WatchList
from mediawatch.ingest.fetch import FetchError, FetchSession, host_allowed
from storage.watch import HitRow

BATCH = 50  # hits per POST
KIND_WORDS = {"article": "article", "story": "story", "growth": "growing story"}


@dataclass(frozen=True)
class Outcome:
    """What became of one attempt to send some hits over one channel."""

    hit_ids: tuple[int, ...]
    channel: str  # webhook | prefect
    target: str
    delivered: bool
    detail: str


def payload(hit: HitRow) -> dict:
    """One hit as the webhook sends it (stable keys; ``hit_id`` identifies it for good)."""
    return {
        "hit_id": hit.hit_id,
        "watchlist": hit.watchlist,
        "kind": hit.kind,
        "article_id": hit.article_id,
        "story_id": hit.story_id,
        "title": hit.title,
        "source": hit.source,
        "url": hit.url,
        "story_size": hit.story_size,
        "detail": hit.detail,
        "run_id": hit.run_id,
        "found_at": hit.found_at.isoformat() + "Z",
    }


def deliver(
    settings: Settings,
    due: list[tuple[HitRow, str]],
    lists: dict[str, WatchList],
    load_block: Callable[[str], object] | None = None,
) -> list[Outcome]:
    """Send every due (hit, channel); one outcome per POST or notification."""
    out: list[Outcome] = []
    by_target: dict[tuple[str, str], list[HitRow]] = {}
    for hit, channel in due:
        wl = lists.get(hit.watchlist)
        target = (wl.webhook if channel == "webhook" else wl.notify_block) if wl else ""
        if not target:
            what = "webhook" if channel == "webhook" else "notify_block"
            out.append(
                Outcome(
                    (hit.hit_id,),
                    channel,
                    "",
                    False,
                    f"watchlist {hit.watchlist!r} has no {what} any more",
                )
            )
            continue
        by_target.setdefault((channel, target), []).append(hit)
    webhooks = {k: v for k, v in by_target.items() if k[0] == "webhook"}
    if webhooks:
        out += _webhooks(settings, webhooks)
    for (channel, target), hits in by_target.items():
        if channel == "prefect":
            out.append(_notify(target, hits, load_block or _load_block))
    return out


def _webhooks(settings: Settings, groups: dict[tuple[str, str], list[HitRow]]) -> list[Outcome]:
    allowed = settings.watch.allowed_hosts
    out: list[Outcome] = []
    session: FetchSession | None = None
    try:
        for (_, url), hits in groups.items():
            for i in range(0, len(hits), BATCH):
                chunk = hits[i : i + BATCH]
                ids = tuple(h.hit_id for h in chunk)
                host = (urlsplit(url).hostname or "").lower()
                if not host_allowed(host, allowed):
                    out.append(
                        Outcome(
                            ids,
                            "webhook",
                            url,
                            False,
                            f"refused: host {host or '?'} is not in watch.allowed_hosts",
                        )
                    )
                    continue
                if session is None:
                    session = FetchSession(settings.feeds)
                body = json.dumps(
                    {"watchlist": chunk[0].watchlist, "hits": [payload(h) for h in chunk]},
                    ensure_ascii=False,
                    default=str,
                ).encode("utf-8")
                headers = {"Content-Type": "application/json; charset=utf-8"}
                try:
                    status = session.run(
                        session.fetcher.post_json(url, body, allowed=allowed, headers=headers)
                    )
                except FetchError as exc:
                    out.append(Outcome(ids, "webhook", url, False, exc.reason))
                except Exception as exc:  # a delivery never fails the run
                    out.append(Outcome(ids, "webhook", url, False, f"{type(exc).__name__}: {exc}"))
                else:
                    out.append(Outcome(ids, "webhook", url, True, f"HTTP {status}"))
    finally:
        if session is not None:
            session.close()
    return out


_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def neutral(text: str | None, width: int = 160) -> str:
    """Outside text for a chat message or e-mail subject: one line, no control or
    direction characters, no ``<...>`` a chat service reads as a link or a mention of
    everyone (``<!channel>``), no ``@everyone``; cut to ``width``."""
    flat = " ".join(_CONTROLS.sub(" ", text or "").split())
    flat = flat.replace("<", "\u2039").replace(">", "\u203a").replace("@", "@\u200b")
    return flat if len(flat) <= width else flat[: width - 1] + "\u2026"


def message(hits: list[HitRow]) -> tuple[str, str]:
    """(subject, body) of a notification: plain lines, outside text neutralised and cut."""
    name = hits[0].watchlist
    subject = f"mediawatch: {len(hits)} new hit{'s' if len(hits) != 1 else ''} for {name}"
    lines = []
    for h in hits:
        title = neutral(h.title or "(untitled)")
        where = f"story {h.story_id}" if h.story_id is not None else ""
        extra = ""
        if h.kind == "growth":
            extra = f" ({h.detail.get('articles')} articles in {h.detail.get('hours'):g} h)"
        lines.append(f"- {KIND_WORDS.get(h.kind, h.kind)} {where}{extra}: {title}")
        if h.url and urlsplit(h.url).scheme in ("http", "https"):
            lines.append(f"  {neutral(h.url, 500)}")
    return subject, "\n".join(lines)


def _load_block(name: str) -> object:
    from prefect.blocks.core import Block

    return Block.load(name)


def _notify(name: str, hits: list[HitRow], load_block: Callable[[str], object]) -> Outcome:
    ids = tuple(h.hit_id for h in hits)
    try:
        block = load_block(name)
    except Exception as exc:
        return Outcome(
            ids,
            "prefect",
            name,
            False,
            f"cannot load the Prefect block {name!r}: {type(exc).__name__}: {exc}",
        )
    notify = getattr(block, "notify", None)
    if not callable(notify):
        return Outcome(
            ids, "prefect", name, False, f"the Prefect block {name!r} is not a notification block"
        )
    subject, body = message(hits)
    try:
        notify(body=body, subject=subject)
    except Exception as exc:
        return Outcome(ids, "prefect", name, False, f"{type(exc).__name__}: {exc}")
    return Outcome(ids, "prefect", name, True, "sent")
