"""A short-lived in-process cache for the public catalogue search (anonymous, public data only).

What is cached: the search result of a normalised query (pages and API share it) and the rendered HTML of an
anonymous search page. Only public catalogue data is ever stored: pages are cached only for requests without a
principal and without a flash message, and the stored HTML is the page body alone (cookies and headers are
made per request by the middleware, so every response still gets its own CSRF cookie, request id and security
headers).

How stale it can be: an entry lives `SECONDS` (60 s, the same bound as the region and filter-choice caches in
`search`). A commit that changed a catalogue table (or a region or municipality) through an ORM session of
this process invalidates every entry at once (`generation`); an edit committed by another worker process
shows up at the latest `SECONDS` later. Memory is bounded per process (`max_bytes`, least recently used out).
Identical misses that arrive together run one query (the others wait for it). With `refresh_after`, the first
request for an entry older than that recomputes it while the others keep getting the entry until it is replaced
(never beyond `SECONDS`): popular searches then never make a crowd wait at the moment they expire."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from itertools import chain
from typing import Any, Generic, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlalchemy.orm.session import ORMExecuteState

SECONDS = 60.0
REFRESH_PATIENCE = 5.0  # a refresh that has not replaced its entry by then (failed, slow) may be tried again
WATCHED_PREFIXES = ("catalogue_", "jeugdregio_region", "jeugdregio_municipality")

T = TypeVar("T")

_generation = 0


def generation() -> int:
    return _generation


def invalidate() -> None:
    """Forget every cached search in this process (called after a commit that changed catalogue data)."""
    global _generation
    _generation += 1


class TtlCache(Generic[T]):
    """Least recently used entries, each valid for `seconds` and only within the generation it was made in."""

    def __init__(
        self, *, seconds: float = SECONDS, max_bytes: int = 8 * 1024 * 1024, refresh_after: float | None = None
    ) -> None:
        self.seconds = seconds
        self.refresh_after = refresh_after
        self._refreshing: dict[Hashable, float] = {}  # key -> when one caller set out to recompute it
        self.max_bytes = max_bytes
        self.enabled = True
        self.hits = 0
        self.misses = 0
        self.made = 0  # misses that ran the query (the others waited for an identical one)
        self._entries: OrderedDict[Hashable, tuple[float, int, int, T]] = OrderedDict()
        self._bytes = 0
        self._inflight: dict[Hashable, asyncio.Future[T | None]] = {}

    def get(self, key: Hashable) -> T | None:
        entry = self._entries.get(key)
        if entry is not None:
            expires, gen, _size, value = entry
            now = time.monotonic()
            if gen == _generation and now < expires:
                if self._due_for_refresh(key, expires, now):
                    self.misses += 1
                    return None  # this caller recomputes; the others keep the entry meanwhile
                self._entries.move_to_end(key)
                self.hits += 1
                return value
            self._drop(key)
        self.misses += 1
        return None

    def _due_for_refresh(self, key: Hashable, expires: float, now: float) -> bool:
        if self.refresh_after is None or now < expires - self.seconds + self.refresh_after:
            return False
        started = self._refreshing.get(key)
        if started is not None and now - started < REFRESH_PATIENCE:
            return False  # another caller is at it
        if len(self._refreshing) > 10_000:
            self._refreshing.clear()
        self._refreshing[key] = now
        return True

    def put(self, key: Hashable, value: T, size: int) -> None:
        self._refreshing.pop(key, None)
        if not self.enabled or size > self.max_bytes // 4:
            return
        self._drop(key)
        self._entries[key] = (time.monotonic() + self.seconds, _generation, size, value)
        self._bytes += size
        while self._bytes > self.max_bytes and self._entries:
            self._drop(next(iter(self._entries)))

    async def get_or_make(
        self, key: Hashable, make: Callable[[], Awaitable[T]], size: Callable[[T], int], *, reuse: bool = True
    ) -> T:
        """The cached value, or `make()` once for all the callers that miss the same key at the same time.
        `reuse=False`: a new value (still shared with identical calls in flight), for a caller that caches what
        it builds from it in another layer: its age then starts now, not when this entry was made."""
        if not self.enabled:
            return await make()
        found = self.get(key) if reuse else None
        if found is not None:
            return found
        waiting = self._inflight.get(key)
        if waiting is not None:
            shared = await asyncio.shield(waiting)
            if shared is not None:
                return shared
            return await make()  # the first caller failed: try on our own (and fail on our own)
        future: asyncio.Future[T | None] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        gen = _generation
        self.made += 1
        try:
            value = await make()
        except BaseException:
            future.set_result(None)
            raise
        finally:
            self._inflight.pop(key, None)
        if not future.done():
            future.set_result(value)
        if gen == _generation:  # nothing changed while the query ran
            self.put(key, value, size(value))
        return value

    def clear(self) -> None:
        self._entries.clear()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    def _drop(self, key: Hashable) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= entry[2]


# ---- invalidation: commits through ORM sessions of this process -----------------------------------------

_CHANGED = "catalogue_search_changed"


def _watched(table: Any) -> bool:
    name = getattr(table, "name", "") or ""
    return isinstance(name, str) and name.startswith(WATCHED_PREFIXES)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    for obj in chain(session.new, session.dirty, session.deleted):
        if _watched(getattr(obj, "__table__", None)):
            session.info[_CHANGED] = True
            return


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        if _watched(getattr(state.statement, "table", None)):
            state.session.info[_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        invalidate()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_CHANGED, None)
