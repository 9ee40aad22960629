"""The real app with a bench-only twist, served by uvicorn like the app itself (`--factory bench.variants:...`).

- `app_with_search_cache_stats`: jeugdregio.asgi:create_app unchanged, plus a daemon thread per worker that
  prints the public-search cache's counters to stdout (the server log) every half second, so the bench can
  report the hit ratio of the traffic it measured.
- `app_without_search_cache`: the same app with the search cache switched off (every search asks PostgreSQL):
  the honest figure for traffic that never repeats.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

STATS_PREFIX = "search-cache-stats"


def _report_forever() -> None:
    from catalogue.services import search

    while True:
        time.sleep(0.5)
        print(
            f"{STATS_PREFIX} pid={os.getpid()} page_hits={search.PAGES.hits} page_misses={search.PAGES.misses} "
            f"result_hits={search.RESULTS.hits} result_misses={search.RESULTS.misses} queries={search.RESULTS.made}",
            flush=True,
        )


def app_with_search_cache_stats() -> Any:
    from jeugdregio.asgi import create_app

    app = create_app()
    threading.Thread(target=_report_forever, name="search-cache-stats", daemon=True).start()
    return app


def app_without_search_cache() -> Any:
    from catalogue.services import search
    from jeugdregio.asgi import create_app

    search.PAGES.enabled = False
    search.RESULTS.enabled = False
    return create_app()


def read_stats(log_text: str) -> dict[str, int]:
    """The latest counters of every worker in a server log, summed over the workers."""
    latest: dict[str, dict[str, int]] = {}
    for line in log_text.splitlines():
        if not line.startswith(STATS_PREFIX):
            continue
        fields = dict(part.split("=", 1) for part in line.split()[1:])
        pid = fields.pop("pid")
        latest[pid] = {k: int(v) for k, v in fields.items()}
    total: dict[str, int] = {}
    for counters in latest.values():
        for k, v in counters.items():
            total[k] = total.get(k, 0) + v
    return total
