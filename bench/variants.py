"""The real app with a bench-only twist, served by uvicorn like the app itself (`--factory bench.variants:...`).

- `app_with_search_cache_stats`: jeugdregio.asgi:create_app unchanged, plus a daemon thread per worker that
  prints the public-search cache's counters to stdout (the server log) every half second, so the bench can
  report the hit ratio of the traffic it measured.
- `app_without_search_cache`: the same app with the search cache switched off (every search asks PostgreSQL):
  the honest figure for traffic that never repeats.
"""

from __future__ import annotations

import gc
import os
import threading
import time
from typing import Any

STATS_PREFIX = "search-cache-stats"


_gc = {"started": 0.0, "full": 0, "full_us": 0, "full_max_us": 0}


def _time_full_collections(phase: str, info: dict[str, Any]) -> None:
    """Pauses of the cyclic GC's full (generation 2) collections: they stall the worker's event loop."""
    if info.get("generation") != 2:
        return
    if phase == "start":
        _gc["started"] = time.perf_counter()
        return
    took = int((time.perf_counter() - _gc["started"]) * 1_000_000)
    _gc["full"] += 1
    _gc["full_us"] += took
    _gc["full_max_us"] = max(_gc["full_max_us"], took)


def _report_forever() -> None:
    from catalogue.services import search

    tick = 0
    while True:
        time.sleep(0.5)
        tick += 1
        debug = os.environ.get("BENCH_GC_DEBUG")  # a file to append the collector's state to, every 5 s
        if debug and tick % 10 == 0:
            with open(debug, "a") as out:
                print(f"pid={os.getpid()} frozen={gc.get_freeze_count()} gen2={len(gc.get_objects(2))} "
                      f"counts={gc.get_count()} stats={gc.get_stats()} full={_gc}", file=out)  # fmt: skip
                if tick % 40 == 0:
                    from collections import Counter

                    kinds = Counter(type(o).__qualname__ for o in gc.get_objects(2))
                    print(f"pid={os.getpid()} gen2 kinds: {kinds.most_common(25)}", file=out)
        print(
            f"{STATS_PREFIX} pid={os.getpid()} page_hits={search.PAGES.hits} page_misses={search.PAGES.misses} "
            f"api_hits={search.API_BODIES.hits} api_misses={search.API_BODIES.misses} "
            f"refreshes={search.PAGES.refreshes + search.API_BODIES.refreshes} "
            f"result_hits={search.RESULTS.hits} result_misses={search.RESULTS.misses} queries={search.RESULTS.made} "
            f"gc_full={_gc['full']} gc_full_us={_gc['full_us']} gc_full_max_us={_gc['full_max_us']}",
            flush=True,
        )


def app_with_search_cache_stats() -> Any:
    from jeugdregio.asgi import create_app

    app = create_app()
    gc.callbacks.append(_time_full_collections)
    threading.Thread(target=_report_forever, name="search-cache-stats", daemon=True).start()
    return app


def app_without_search_cache() -> Any:
    from catalogue.services import search
    from jeugdregio.asgi import create_app

    search.PAGES.enabled = False
    search.RESULTS.enabled = False
    search.API_BODIES.enabled = False
    return create_app()


def read_stats(log_text: str) -> dict[str, int]:
    """The latest counters of every worker in a server log, summed over the workers."""
    latest: dict[str, dict[str, int]] = {}
    for line in log_text.splitlines():
        if not line.startswith(STATS_PREFIX):
            continue
        # two workers share the log: a line may have been cut or joined with another one; keep what parses
        fields = dict(part.split("=", 1) for part in line.split()[1:] if "=" in part)
        pid = fields.pop("pid", "")
        counters = {k: int(v) for k, v in fields.items() if v.isdigit()}
        if pid.isdigit() and len(counters) == len(fields):
            latest[pid] = counters
    total: dict[str, int] = {}
    for counters in latest.values():
        for k, v in counters.items():
            total[k] = total.get(k, 0) + v
    return total
