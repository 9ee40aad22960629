"""A short-lived in-process cache for the public catalogue search (anonymous, public data only).

What is cached: the search result of a normalised query (pages and API share it) and the rendered HTML of an
anonymous search page. Only public catalogue data is ever stored: pages are cached only for requests without a
principal and without a flash message, and the stored HTML is the page body alone (cookies and headers are
made per request by the middleware, so every response still gets its own CSRF cookie, request id and security
headers).

How stale it can be: a commit that changed a catalogue table (or a region or municipality) through an ORM
session invalidates every entry at once (`generation`): in its own process at once, and in every other process
(the other workers, the worker process) through PostgreSQL LISTEN/NOTIFY on `CHANNEL` (`listen_for_changes`).
While a process listens, an entry lives `LISTENED_SECONDS` (10 minutes: a safety net for writes outside ORM
sessions); while it does not (no connection yet, or it was lost), `SECONDS` (60 s). Memory is bounded per
process (`max_bytes`, least recently used out).
Identical misses that arrive together run one query (the others wait for it). With `refresh_after`, one request
for an entry older than that is told to recompute it (`lookup`) while everyone, that request included, keeps
getting the entry until it is replaced (never beyond `SECONDS`): popular searches then never make anyone wait at
the moment they expire. The search routes do that recomputation in the background, after answering."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from itertools import chain
from typing import Any, Generic, TypeVar

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session
from sqlalchemy.orm.session import ORMExecuteState

SECONDS = 60.0  # an entry's life while this process does not hear other processes' commits
LISTENED_SECONDS = 600.0  # its life while it does (listen_for_changes)
REFRESH_SHARE = 0.75  # an entry is renewed (by one caller) in the last quarter of its life
CHANNEL = "jeugdregio_catalogue_changed"
LISTEN_CHECK_SECONDS = 30.0  # how often the listening connection is checked (a lost one falls back to SECONDS)
REFRESH_PATIENCE = 5.0  # a refresh that has not replaced its entry by then (failed, slow) may be tried again
WATCHED_PREFIXES = ("catalogue_", "jeugdregio_region", "jeugdregio_municipality")

T = TypeVar("T")
log = logging.getLogger("jeugdregio.search_cache")

_generation = 0
_listening = False


def generation() -> int:
    return _generation


def lifetime() -> float:
    """How long a new entry may be served: long while other processes' commits reach this one, short otherwise."""
    return LISTENED_SECONDS if _listening else SECONDS


def invalidate() -> None:
    """Forget every cached search in this process (called after a commit that changed catalogue data)."""
    global _generation
    _generation += 1


class TtlCache(Generic[T]):
    """Least recently used entries, each valid for `seconds` (default: `lifetime()` when it is made) and only
    within the generation it was made in. `refresh_after` (seconds, or with the default life `True`: the last
    quarter of it): from then on one caller at a time is asked to recompute the entry."""

    def __init__(
        self, *, seconds: float | None = None, max_bytes: int = 8 * 1024 * 1024,
        refresh_after: float | bool | None = None,
    ) -> None:  # fmt: skip
        self.seconds = seconds
        self.refresh_after = refresh_after
        self._refreshing: dict[Hashable, float] = {}  # key -> when one caller set out to recompute it
        self.max_bytes = max_bytes
        self.enabled = True
        self.hits = 0
        self.misses = 0
        self.made = 0  # misses that ran the query (the others waited for an identical one)
        self.refreshes = 0  # entries handed out with the request to recompute them
        self._entries: OrderedDict[Hashable, tuple[float, int, int, T, float]] = OrderedDict()
        self._bytes = 0
        self._inflight: dict[Hashable, asyncio.Future[T | None]] = {}

    def _times(self, now: float) -> tuple[float, float]:
        """(expires, renew from) for an entry made now."""
        life = self.seconds if self.seconds is not None else lifetime()
        if self.refresh_after is None or self.refresh_after is False:
            return now + life, now + life
        after = life * REFRESH_SHARE if self.refresh_after is True else float(self.refresh_after)
        return now + life, now + after

    def get(self, key: Hashable) -> T | None:
        """The valid entry, or None: also for the one caller that is to recompute an ageing entry (the others
        keep getting it meanwhile)."""
        value, refresh = self.lookup(key)
        if refresh:
            self.hits -= 1
            self.misses += 1
            self.refreshes -= 1
            return None
        return value

    def lookup(self, key: Hashable) -> tuple[T | None, bool]:
        """(the valid entry or None, whether this caller should recompute it): True for one caller once the entry
        is in the last part of its life (`refresh_after`). That caller still gets the entry, so it can answer at
        once and recompute in the background (see catalogue.services.search.in_background)."""
        entry = self._entries.get(key)
        if entry is not None:
            expires, gen, _size, value, renew = entry
            now = time.monotonic()
            if gen == _generation and now < expires:
                self._entries.move_to_end(key)
                self.hits += 1
                if self._due_for_refresh(key, renew, now):
                    self.refreshes += 1
                    return value, True
                return value, False
            self._drop(key)
        self.misses += 1
        return None, False

    def _due_for_refresh(self, key: Hashable, renew: float, now: float) -> bool:
        if now < renew:
            return False
        started = self._refreshing.get(key)
        if started is not None and now - started < REFRESH_PATIENCE:
            return False  # another caller is at it
        if len(self._refreshing) > 10_000:
            self._refreshing.clear()
        self._refreshing[key] = now
        return True

    def put(self, key: Hashable, value: T, size: int, *, made_in: int | None = None) -> None:
        """Store `value`; `made_in`: the generation when its making began (nothing is stored when a catalogue
        commit came in between: the value may predate it)."""
        self._refreshing.pop(key, None)
        if not self.enabled or size > self.max_bytes // 4 or (made_in is not None and made_in != _generation):
            return
        self._drop(key)
        expires, renew = self._times(time.monotonic())
        self._entries[key] = (expires, _generation, size, value, renew)
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


# ---- refreshing after the answer ------------------------------------------------------------------------

_BACKGROUND: set[asyncio.Future[Any]] = set()


def in_background(work: Awaitable[Any]) -> None:
    """Run `work` (an entry's recomputation) once the current request has its answer. A failure is logged; the
    entry is then recomputed by a later request (after REFRESH_PATIENCE) or expires."""
    task = asyncio.ensure_future(work)
    _BACKGROUND.add(task)  # the loop keeps only weak references to tasks
    task.add_done_callback(_finished)


def _finished(task: asyncio.Future[Any]) -> None:
    _BACKGROUND.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.warning("a search cache refresh failed: %r", task.exception())


# ---- other processes' commits: LISTEN/NOTIFY --------------------------------------------------------------


def _notified(*_args: Any) -> None:
    invalidate()


def _set_listening(value: bool) -> None:
    global _listening
    _listening = value


async def listen_for_changes(engine: AsyncEngine, stop: asyncio.Event) -> None:
    """Until `stop`: keep one connection LISTENing on CHANNEL; every notification (a catalogue commit in any
    process) invalidates this process's caches. The connection is checked every LISTEN_CHECK_SECONDS; while there
    is none (start-up, a lost connection, a database restart) entries live only SECONDS, and everything is
    forgotten when listening (re)starts, since commits may have been missed meanwhile."""
    backoff = 1.0
    while not stop.is_set():
        try:
            async with engine.connect() as conn:
                raw = await conn.get_raw_connection()
                driver: Any = raw.driver_connection
                await driver.add_listener(CHANNEL, _notified)
                invalidate()
                _set_listening(True)
                backoff = 1.0
                while not stop.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), LISTEN_CHECK_SECONDS)
                    if not stop.is_set():
                        await asyncio.wait_for(driver.fetchval("SELECT 1"), LISTEN_CHECK_SECONDS)
                with contextlib.suppress(Exception):
                    await driver.remove_listener(CHANNEL, _notified)
        except Exception as exc:  # lost or never made: short lives until listening again
            log.warning("not listening for catalogue changes (%r); cached searches live %g s", exc, SECONDS)
        finally:
            _set_listening(False)
        if not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), backoff)
            backoff = min(backoff * 2, LISTEN_CHECK_SECONDS)


# ---- invalidation: commits through ORM sessions -----------------------------------------

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


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    """Tell the other processes, in the committing transaction (a NOTIFY is delivered only if it commits)."""
    if session.info.get(_CHANGED):
        session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        invalidate()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_CHANGED, None)
