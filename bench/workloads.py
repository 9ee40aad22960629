"""The workloads and their registry. Adding one = one function with the @workload decorator.

A workload gets the run's Context (database URL, bench data, servers, load generator) and returns a Row:
our figure, the floor measured in this run, their ratio and the target from docs QUALITY-BAR §1.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median
from typing import Any

import httpx

from bench.data import BenchData, CatalogueData, build_catalogue
from bench.loadgen import LoadGenerator, LoadResult, parse_wrk
from bench.machine import CpuMeter
from bench.profiling import Recorder, child_pids, summarize
from bench.servers import Server

# ---- rows and targets ----------------------------------------------------------------------------------


@dataclass
class Row:
    workload: str
    ours: str
    floor: str
    ratio: str
    target: str
    met: bool | None = None  # None: no target, or not measured
    error: str = ""
    notes: list[str] = field(default_factory=list)

    def cells(self) -> list[str]:
        if self.error:
            return [self.workload, "ERROR", self.floor or "–", "–", f"{self.target}: not measured ({self.error})"]
        verdict = "" if self.met is None else (": met" if self.met else ": **below target**")
        return [self.workload, self.ours, self.floor, self.ratio, self.target + verdict]


@dataclass(frozen=True)
class HttpTarget:
    min_rps: float
    max_p99_ms: float

    @property
    def text(self) -> str:
        return f"≥ {self.min_rps:,.0f} req/s, p99 ≤ {self.max_p99_ms:g} ms"

    def met(self, r: LoadResult) -> bool:
        return r.rps >= self.min_rps and r.p99_ms <= self.max_p99_ms


SIMPLE_READ = HttpTarget(2_000, 50)  # QUALITY-BAR §1 "authenticated simple reads", 32 connections
PUBLIC_SEARCH = HttpTarget(1_000, 100)  # QUALITY-BAR §1 "public catalogue search", 32 connections


@dataclass(frozen=True)
class HttpComparison:
    """Our server and the floor measured in alternating rounds; figures are medians over the rounds."""

    ours: LoadResult
    floor: LoadResult
    rps_ratios: list[float]  # per round: ours / floor
    p99_ratios: list[float]
    foreign_cores: float  # CPU other processes took meanwhile
    profile: str = ""  # --profile: where the app's workers spent their time

    def ratio_text(self) -> str:
        lo, hi = min(self.rps_ratios), max(self.rps_ratios)
        spread = f" ({lo:.2f}–{hi:.2f})" if len(self.rps_ratios) > 1 else ""
        return f"{median(self.rps_ratios):.2f}× req/s{spread}, {median(self.p99_ratios):.1f}× p99"


def http_row(name: str, cmp: HttpComparison, target: HttpTarget | None) -> Row:
    row = Row(
        workload=name, ours=cmp.ours.brief(), floor=cmp.floor.brief(), ratio=cmp.ratio_text(),
        target=target.text if target else "(none)", met=target.met(cmp.ours) if target else None,
    )  # fmt: skip
    for label, r in (("ours", cmp.ours), ("floor", cmp.floor)):
        if r.socket_errors:
            row.notes.append(f"{label}: {r.socket_errors} socket errors/timeouts in {r.requests:,} requests")
    if cmp.profile:
        row.notes.append(f"py-spy profile of the app's workers: {cmp.profile}")
    if cmp.foreign_cores >= NOISY_CORES:
        row.notes.append(f"other processes used {cmp.foreign_cores:.2f} cores on average while measuring: "
                         "absolute figures are low, the paired ratio is the figure to read")  # fmt: skip
    return row


NOISY_CORES = 0.15


def combine(rounds: list[LoadResult]) -> LoadResult:
    """Medians of the rounds' rates and percentiles; counts summed."""
    return LoadResult(
        tool=rounds[0].tool, connections=rounds[0].connections, seconds=sum(r.seconds for r in rounds),
        requests=sum(r.requests for r in rounds), rps=median(r.rps for r in rounds),
        p50_ms=median(r.p50_ms for r in rounds), p90_ms=median(r.p90_ms for r in rounds),
        p99_ms=median(r.p99_ms for r in rounds), bad_status=sum(r.bad_status for r in rounds),
        socket_errors=sum(r.socket_errors for r in rounds),
    )  # fmt: skip


# ---- the run's context ---------------------------------------------------------------------------------


Check = Callable[[httpx.Response], str | None]  # None when the response is what the workload expects


@dataclass(frozen=True)
class Target:
    """One side of a comparison: a server ('app' or 'floor'), a path, headers and a check of one response."""

    server: str
    path: str
    check: Check
    headers: dict[str, str] = field(default_factory=dict)
    mix: tuple[tuple[str, Check], ...] = ()  # a mix of paths requested in turn (wrk Lua script); `path` is the first


@dataclass
class Context:
    url: str  # the app's DATABASE_URL (SQLAlchemy form)
    dsn: str  # the same database for asyncpg
    data: BenchData
    loadgen: LoadGenerator
    tmp: Path
    quick: bool = False
    connections: int = 32
    app_factory: str = "jeugdregio.asgi:create_app"  # --app-factory: A/B an experimental variant of the app
    meter: CpuMeter | None = None
    profiler: Recorder | None = None  # --profile
    notes: list[str] = field(default_factory=list)
    _servers: dict[str, Server] = field(default_factory=dict)
    _cache: dict[str, Any] = field(default_factory=dict)

    @property
    def warmup_seconds(self) -> float:
        return 1 if self.quick else 2

    @property
    def rounds(self) -> int:
        return 3 if self.quick else 5

    @property
    def round_seconds(self) -> float:
        return 1 if self.quick else 2  # measured per side: 3 s quick, 10 s normal

    def settings_text(self) -> str:
        return (f"{self.connections} connections; per side {self.warmup_seconds:g} s warm-up, then "
                f"{self.rounds} alternating rounds of {self.round_seconds:g} s against the floor "
                f"({self.rounds * self.round_seconds:g} s measured); figures are medians of the rounds")  # fmt: skip

    def server_env(self) -> dict[str, str]:
        import os

        env = dict(os.environ)
        env.update(
            DATABASE_URL=self.url,
            BENCH_FLOOR_DSN=self.dsn,
            JEUGDREGIO_DATA_DIR=str(self.tmp / "data"),
            JEUGDREGIO_ALLOWED_HOSTS="127.0.0.1,localhost",
            JEUGDREGIO_PUBLIC_RATE_LIMIT="0",  # all load comes from 127.0.0.1: measure the search, not the limiter
            # fixed for the run: every worker must share the CSRF secret
            JEUGDREGIO_SECRET_KEY=self._cache.setdefault("secret", secrets.token_urlsafe(48)),
            JEUGDREGIO_PSEUDONYM_KEY=self._cache.setdefault("pseudonym", secrets.token_urlsafe(48)),
        )
        return env

    def server(self, name: str) -> Server:
        """'app' (jeugdregio.asgi:create_app) or 'floor' (bench.floor_app), started once per run."""
        if name not in self._servers:
            factory = {"app": self.app_factory, "floor": "bench.floor_app:create_floor_app", **VARIANTS}[name]
            server = Server(name, factory, self.server_env(), self.tmp)
            self._servers[name] = server
            server.start()
        return self._servers[name]

    def floor_target(self) -> Target:
        row_id = self.data.floor_row_id
        return Target("floor", f"/floor/{row_id}", lambda r: json_check(r, lambda body: body.get("id") == row_id))

    def compare(self, ours: Target, floor: Target | None = None) -> HttpComparison:
        """Warm both up, then alternate measured rounds (ours/floor, floor/ours, ...) so that drift and other
        processes weigh on both sides alike. Checks one response of each before and after."""
        floor = floor or self.floor_target()
        sides = (ours, floor)
        for t in sides:
            self._check(t, "before the run")
        for t in sides:
            self._run(t, self.warmup_seconds)
        results: dict[int, list[LoadResult]] = {0: [], 1: []}
        profiling = self.profiler is not None and ours.server.startswith("app")
        if profiling:
            assert self.profiler is not None
            srv = self.server("app")
            assert srv.proc is not None
            label = "".join(c if c.isalnum() else "-" for c in ours.path).strip("-") or "root"
            self.profiler.start(child_pids(srv.proc.pid), 2 * self.rounds * self.round_seconds, label)
        start = self.meter.snapshot() if self.meter else None
        for i in range(self.rounds):
            for side in (0, 1) if i % 2 == 0 else (1, 0):
                results[side].append(self._run(sides[side], self.round_seconds))
        foreign = self.meter.since(start, self.meter.snapshot()).cores if self.meter and start else 0.0
        profile = summarize(self.profiler.finish()) if profiling and self.profiler else ""
        for t in sides:
            self._check(t, "after the run")
        for t, rs in zip(sides, results.values(), strict=True):
            bad, total = sum(r.bad_status for r in rs), sum(r.requests for r in rs)
            if bad:
                raise RuntimeError(f"{t.server} {t.path}: {bad:,} of {total:,} responses were errors (4xx/5xx)")
            if not total or any(r.rps <= 0 or r.p99_ms <= 0 for r in rs):
                raise RuntimeError(f"{t.server} {t.path}: a round completed no request")
        return HttpComparison(
            ours=combine(results[0]), floor=combine(results[1]),
            rps_ratios=[a.rps / b.rps for a, b in zip(results[0], results[1], strict=True)],
            p99_ratios=[a.p99_ms / b.p99_ms for a, b in zip(results[0], results[1], strict=True)],
            foreign_cores=foreign, profile=profile,
        )  # fmt: skip

    def _run(self, t: Target, seconds: float) -> LoadResult:
        url = self.server(t.server).base_url + t.path
        if t.mix and self.loadgen.wrk:
            return run_wrk_mix(self.loadgen.wrk, url, [p for p, _ in t.mix], self.tmp, headers=t.headers,
                               connections=self.connections, seconds=seconds, threads=self.loadgen.threads)  # fmt: skip
        return self.loadgen.run(url, headers=t.headers, connections=self.connections, seconds=seconds)

    def _check(self, t: Target, when: str) -> None:
        for path, check in (t.mix or ((t.path, t.check),))[:MIX_CHECKED]:
            response = self.server(t.server).get(path, t.headers)
            problem = check(response)
            if problem:
                raise RuntimeError(f"{t.server} GET {path} {when}: {problem} (status {response.status_code})")

    def close(self) -> None:
        for server in self._servers.values():
            with contextlib.suppress(Exception):
                server.stop()


def run_wrk_mix(wrk: str, url: str, paths: list[str], tmp: Path, *, headers: dict[str, str], connections: int,
                seconds: float, threads: int) -> LoadResult:  # fmt: skip
    """wrk with a Lua script that requests `paths` in turn (each wrk thread starts at its own offset). A path
    with `{n}` gets a value that never repeats (thread number, a counter and a token of this wrk run, so no
    earlier run, the cache warm-up included, has asked it): a search never seen."""
    script = tmp / "mix.lua"
    quoted = ", ".join(json.dumps(p) for p in paths)  # JSON strings of ASCII paths are valid Lua strings
    run = secrets.token_hex(4)
    script.write_text(
        f"local paths = {{{quoted}}}\n"
        f"local run = '{run}'\n"
        "local i = 0\n"
        "local n = 0\n"
        "local threads = 0\n"
        "setup = function(thread)\n  threads = threads + 1\n  thread:set('offset', math.random(#paths))\n"
        "  thread:set('tid', threads)\nend\n"
        "init = function(args) i = tonumber(offset) or 0 end\n"
        "request = function()\n  i = i % #paths + 1\n  local p = paths[i]\n"
        "  if string.find(p, '{n}', 1, true) then\n    n = n + 1\n"
        "    p = string.gsub(p, '{n}', tostring(tid) .. 'x' .. tostring(n) .. run)\n  end\n"
        "  return wrk.format('GET', p)\nend\n"
    )
    duration = max(1, round(seconds))
    cmd = [wrk, f"-t{min(threads, connections)}", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "5s",
           "-s", str(script)]  # fmt: skip
    for name, value in headers.items():
        cmd += ["-H", f"{name}: {value}"]
    cmd.append(url)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"wrk failed ({out.returncode}): {out.stderr.strip() or out.stdout.strip()}")
    return parse_wrk(out.stdout, connections=connections)


def json_check(response: httpx.Response, ok: Callable[[dict[str, Any]], bool]) -> str | None:
    if response.status_code != 200:
        return "expected 200"
    try:
        body = response.json()
    except ValueError:
        return "expected JSON"
    return None if isinstance(body, dict) and ok(body) else f"unexpected body {response.text[:200]!r}"


# ---- the registry --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    key: str  # for --only
    title: str  # the table's first column
    measures: str
    floor: str
    target: str
    fn: Callable[[Context], Row]


REGISTRY: dict[str, Workload] = {}


WorkloadFn = Callable[[Context], Row]


def workload(key: str, title: str, *, measures: str, floor: str, target: str) -> Callable[[WorkloadFn], WorkloadFn]:
    def register(fn: WorkloadFn) -> WorkloadFn:
        if key in REGISTRY:
            raise ValueError(f"workload {key!r} registered twice")
        REGISTRY[key] = Workload(key, title, measures, floor, target, fn)
        return fn

    return register


HTTP_FLOOR = "bare Litestar + asyncpg GET of one row by primary key (bench/floor_app.py), same uvicorn and load"


# ---- workloads -----------------------------------------------------------------------------------------


@workload(
    "auth-read", "authenticated simple read",
    measures="GET /api/v1/me with a team_admin's `Authorization: Bearer` token on the real app "
             "(allowed-hosts + principal middleware with its token lookup, guard, JSON).",
    floor=HTTP_FLOOR, target=SIMPLE_READ.text,
)  # fmt: skip
def authenticated_simple_read(ctx: Context) -> Row:
    ours = Target(
        "app", "/api/v1/me", headers={"Authorization": f"Bearer {ctx.data.admin_token}"},
        check=lambda r: json_check(r, lambda body: body.get("role") == "team_admin"),
    )  # fmt: skip
    return http_row("authenticated simple read", ctx.compare(ours), SIMPLE_READ)


def _login_page_check(response: httpx.Response) -> str | None:
    if response.status_code != 200:
        return "expected 200"
    return None if 'name="_csrf_token"' in response.text else "no login form with a CSRF token"


@workload(
    "login-page", "login page (anonymous HTML)",
    measures="GET /inloggen without cookies on the real app: CSRF cookie + token, Jinja page, security headers.",
    floor=HTTP_FLOOR, target=SIMPLE_READ.text + " (no own target in QUALITY-BAR: held to the simple-read one)",
)  # fmt: skip
def login_page(ctx: Context) -> Row:
    return http_row("login page (anonymous HTML)", ctx.compare(Target("app", "/inloggen", _login_page_check)),
                    SIMPLE_READ)  # fmt: skip


def _html_check(response: httpx.Response) -> str | None:
    if response.status_code != 200:
        return "expected 200"
    return None if 'class="cat-hit"' in response.text else "no search results on the page"


def _api_check(response: httpx.Response) -> str | None:
    return json_check(response, lambda body: bool(body.get("items")) and body.get("per_page") == 20)


def catalogue_mix(data: CatalogueData) -> tuple[tuple[str, Check], ...]:
    """Ten curated searches (each checked before and after the run), then MIX_SIZE searches drawn at random
    (fixed seed) the way parents and referrers combine filters, and ONE_OFF_SHARE of searches whose text never
    repeats (the long tail a cache cannot help)."""
    slug, m = data.slug, data.municipality_ids
    page = f"/catalogus?regio={slug}"
    api = f"/api/v1/catalogue/providers?region={slug}"
    curated: list[tuple[str, Check]] = [
        (page, _html_check),
        (f"{page}&profiel=2&gemeente={m[4]}", _html_check),
        (f"{page}&q=jeugdhulp&sorteer=wachttijd", _html_check),
        (f"{page}&q=gezinsbegeleidng", _html_check),
        (f"{page}&vorm=AMB&wachttijd=8&taal=Arabisch", _html_check),
        (f"{page}&profiel=5&pagina=3", _html_check),
        (f"{api}&profile=3&max_weeks=10", _api_check),
        (f"{api}&q=kompas&language=Turks", _api_check),
        (f"{api}&municipality={m[1]}&identity=Reformatorisch&sort=waiting_time", _api_check),
        (f"{api}&target_group=12-18+jaar&profile=1&page=2", _api_check),
    ]
    drawn = [(path, _status_check) for path in random_searches(data, MIX_SIZE, seed=2026)]
    return (*curated, *drawn)


MIX_SIZE = 4_000
MIX_CHECKED = 10  # the curated searches; the drawn ones must answer 200 (any non-2xx fails the run)
ONE_OFF_SHARE = float(os.environ.get("BENCH_ONE_OFF_SHARE", "0.05"))  # the share of searches with a unique text
# What people type, most popular first (Zipf weights): names, places, kinds of help, and typos of them
SEARCH_TERMS = [
    "jeugdhulp", "gezinsbegeleiding", "autisme", "trauma", "kompas", "opvoeding", "de linde", "zorgboerderij",
    "scheiding", "gezinsbegeleidng", "het anker", "kindertherapie", "angst", "gezinnen", "traumabehandeling",
    "ouderbegeleiding", "dagbesteding", "jeugdzorg", "horizon", "de brug", "opvoedondersteuning", "jongeren",
    "zorgboerdrij", "systeemtherapie", "stichting zonnebloem", "praktijk het baken", "kindertherapy", "boerderij",
    "de klaver", "gedragsproblemen", "zelfstandigheid", "autsime", "jeugdhlp", "sterk", "de wissel", "gezinshuis",
]  # fmt: skip


def random_searches(data: CatalogueData, n: int, *, seed: int) -> list[str]:
    """`n` search URLs (pages 70 %, API 30 %): each filter on with its own probability, text terms and
    profiles by popularity, sorting and paging as people use them. `{n}` marks a one-off text (see run_wrk_mix)."""
    import random
    from urllib.parse import urlencode

    rnd = random.Random(seed)
    zipf = [1 / (rank + 1) for rank in range(len(SEARCH_TERMS))]
    profiles = list(range(1, 11))
    out = []
    for _ in range(n):
        f: dict[str, str] = {}
        if rnd.random() < ONE_OFF_SHARE:
            f["q"] = rnd.choices(SEARCH_TERMS, zipf)[0] + " {n}"
        elif rnd.random() < 0.35:
            f["q"] = rnd.choices(SEARCH_TERMS, zipf)[0]
        if rnd.random() < 0.45:
            f["profiel"] = str(rnd.choices(profiles, [1 / p for p in profiles])[0])
        if rnd.random() < 0.40:
            f["gemeente"] = str(rnd.choice(data.municipality_ids))
        if rnd.random() < 0.10:
            f["vorm"] = rnd.choice(["AMB", "DAG"])
        if rnd.random() < 0.12:
            f["wachttijd"] = rnd.choice(["4", "8", "12"])
        if rnd.random() < 0.08:
            f["taal"] = rnd.choice(["Arabisch", "Turks", "Engels"])
        if rnd.random() < 0.06:
            f["identiteit"] = rnd.choice(["Reformatorisch", "Christelijk", "Islamitisch"])
        if rnd.random() < 0.10:
            f["doelgroep"] = rnd.choice(["0-4 jaar", "4-12 jaar", "12-18 jaar", "18-23 jaar"])
        sort = rnd.random()
        if sort < 0.20:
            f["sorteer"] = "wachttijd"
        elif sort < 0.28:
            f["sorteer"] = "naam"
        page = rnd.random()
        if page > 0.80:
            f["pagina"] = "2" if page < 0.92 else "3"
        if rnd.random() < 0.70:
            query = urlencode({"regio": data.slug, **f}).replace("%7Bn%7D", "{n}")
            out.append(f"/catalogus?{query}")
        else:
            api = {API_NAMES[k]: (API_SORTS[v] if k == "sorteer" else v) for k, v in f.items()}
            query = urlencode({"region": data.slug, **api}).replace("%7Bn%7D", "{n}")
            out.append(f"/api/v1/catalogue/providers?{query}")
    return out


API_NAMES = {"q": "q", "profiel": "profile", "gemeente": "municipality", "vorm": "setting", "wachttijd": "max_weeks",
             "doelgroep": "target_group", "taal": "language", "identiteit": "identity", "sorteer": "sort",
             "pagina": "page"}  # fmt: skip
API_SORTS = {"wachttijd": "waiting_time", "naam": "name"}


def _status_check(response: httpx.Response) -> str | None:
    return None if response.status_code == 200 else "expected 200"


VARIANTS = {
    "app-cache-stats": "bench.variants:app_with_search_cache_stats",
    "app-uncached": "bench.variants:app_without_search_cache",
}


def _catalogue_data(ctx: Context) -> CatalogueData:
    data = ctx._cache.get("catalogue")
    if data is None:
        data = ctx._cache["catalogue"] = asyncio.run(build_catalogue(ctx.url, listings=1500))
    return data  # type: ignore[no-any-return]


CATALOGUE_MEASURES = (
    "The same search mix both times (wrk Lua script, paths in turn): 10 curated searches and 4,000 drawn at "
    "random (fixed seed) as parents and referrers combine them: GET /catalogus pages (70 %) and "
    "GET /api/v1/catalogue/providers (30 %), text by popularity incl. typos (35 %), profile (45 %), municipality "
    "(40 %), setting, waiting time, language, identity, target group, sorting and pages 2-3; 5 % of the searches "
    "carry a text that never repeats. A second region with 1,500 listings (ten times the demo size; "
    "bench/data.py build_catalogue)."
)


@workload(
    "catalogue-search", "catalogue search",
    measures=CATALOGUE_MEASURES + " The app as deployed, with its 60 s search cache; the hit ratio is read from "
             "the cache's counters (bench/variants.py prints them from each worker).",
    floor=HTTP_FLOOR, target=PUBLIC_SEARCH.text,
)  # fmt: skip
def catalogue_search(ctx: Context) -> Row:
    import time

    from bench.variants import read_stats

    data = _catalogue_data(ctx)
    mix = catalogue_mix(data)
    default = ctx.app_factory == "jeugdregio.asgi:create_app"
    server = "app-cache-stats" if default else "app"
    ours = Target(server, mix[0][0], mix[0][1], mix=mix)
    warm = 3.0 if ctx.quick else CACHE_WARM_SECONDS
    ctx._run(ours, warm)  # steady state: a deployed app has seen the same traffic before

    def stats() -> dict[str, int]:
        time.sleep(1.0)  # the workers print their counters every 0.5 s
        return read_stats(ctx.server(server).log_path.read_text(errors="replace"))

    before = stats() if default else {}
    row = http_row("catalogue search", ctx.compare(ours), PUBLIC_SEARCH)
    row.notes.insert(0, f"data: {data.summary()}; mix: {len(set(p for p, _ in mix)):,} distinct searches")
    row.notes.insert(1, f"the cache was warmed with {warm:g} s of the same mix before the measured run")
    if default:
        after = stats()
        d = {k: after.get(k, 0) - before.get(k, 0) for k in after}
        hits = d.get("page_hits", 0) + d.get("api_hits", 0)
        served = hits + d.get("page_misses", 0) + d.get("api_misses", 0)
        if served:
            row.notes.append(
                f"search cache during the measured run (both workers): {served:,} anonymous searches, {hits:,} "
                f"answered from the cache: hit ratio {hits / served:.1%} ({d.get('page_hits', 0):,} whole pages, "
                f"{d.get('api_hits', 0):,} API bodies); {d.get('queries', 0):,} queries to PostgreSQL, of which "
                f"{d.get('refreshes', 0):,} renewed ageing pages and bodies after the answer"
            )
        if "gc_full" in d:
            row.notes.append(
                f"full garbage collections in the workers during the run: {d['gc_full']:,}, together "
                f"{d.get('gc_full_us', 0) / 1000:,.0f} ms, the longest {after.get('gc_full_max_us', 0) / 1000:,.0f} ms "
                "(a collection stalls the worker's event loop)"
            )
    if not ctx.loadgen.wrk:
        row.notes.append("no wrk: the Python load generator requested only the first path of the mix")
    return row


# Steady state: every distinct search seen by both workers and the 45–60 s renewal cycle running (each worker keeps
# its own cache; a cold worker needs ~10 ms per distinct search)
CACHE_WARM_SECONDS = 60.0


@workload(
    "catalogue-search-uncached", "catalogue search, cache off",
    measures=CATALOGUE_MEASURES + " The app with its search cache switched off (bench/variants.py): every "
             "search asks PostgreSQL, as traffic that never repeats would.",
    floor=HTTP_FLOOR, target=PUBLIC_SEARCH.text + " (the target is for the app as deployed; shown for honesty)",
)  # fmt: skip
def catalogue_search_uncached(ctx: Context) -> Row:
    data = _catalogue_data(ctx)
    mix = catalogue_mix(data)
    ours = Target("app-uncached", mix[0][0], mix[0][1], mix=mix)
    row = http_row("catalogue search, cache off", ctx.compare(ours), PUBLIC_SEARCH)
    row.notes.insert(0, f"data: {data.summary()}")
    return row


# ---- workloads in modules of their own (imported last: they register through the decorator above) ----------

from bench import conversation_pack_workload, invoicing_workloads, quality_workloads, spec_pdf_workload  # noqa: E402,F401
