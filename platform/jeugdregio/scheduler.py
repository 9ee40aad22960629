"""The worker: one schedule list, APScheduler 3.x, run as its own process (`jeugdregio worker`).

Each job runs in one transaction under a PostgreSQL advisory lock per (job, period), is idempotent and
logs a summary, so two workers or a rerun after a crash never do the work twice."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jeugdregio.clock import today, utcnow
from jeugdregio.db import advisory_lock, make_engine, make_sessionmaker

log = logging.getLogger("jeugdregio.worker")

JobFn = Callable[..., Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Job:
    name: str
    fn: JobFn
    cron: dict[str, Any]  # APScheduler CronTrigger fields
    period: Callable[[datetime], str]  # the (job, period) lock key part


def daily(now: datetime) -> str:
    return today(now).isoformat()


def minutely(now: datetime) -> str:
    return now.strftime("%Y-%m-%dT%H:%M")


def hourly(now: datetime) -> str:
    return now.strftime("%Y-%m-%dT%H")


def schedule() -> list[Job]:
    from contracts.jobs import evidence_expiry
    from invoicing.jobs import previous_month, settle_previous_month
    from jeugdregio.jobs import purge_idempotency_keys, send_outbox
    from quality.jobs import batch_month, publish_catalogue_figures, rating_invitations, refresh_dashboards
    from quality.services.conversations import plan_conversations_job

    return [
        Job("evidence_expiry", evidence_expiry, {"hour": 6, "minute": 0}, daily),
        Job("send_outbox", send_outbox, {"minute": "*"}, minutely),
        Job("purge_idempotency_keys", purge_idempotency_keys, {"minute": 17}, hourly),
        # daily at 02:30; settles the previous month once a region's settlement day has come (lock per month)
        Job("settle_previous_month", settle_previous_month, {"hour": 2, "minute": 30}, previous_month),
        Job("rating_invitations", rating_invitations, {"minute": 5}, hourly),
        Job("publish_catalogue_figures", publish_catalogue_figures, {"day": 1, "hour": 3, "minute": 0}, batch_month),
        Job("plan_conversations", plan_conversations_job, {"hour": 5, "minute": 30}, daily),
        # after the night's settlement and the monthly publication of the catalogue figures
        Job("refresh_dashboards", refresh_dashboards, {"hour": 4, "minute": 15}, daily),
    ]


async def run_job(maker: async_sessionmaker[AsyncSession], job: Job, *, now: datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    key = f"job:{job.name}:{job.period(now)}"
    async with maker() as session:
        async with advisory_lock(session, key) as got:
            if not got:
                log.info("%s: another worker holds %s; skipped", job.name, key)
                return {"skipped": True}
            summary = await job.fn(session, now=now)
        await session.commit()
    log.info("%s done: %s", job.name, summary)
    return summary


def run_worker(url: str, *, once: bool = False) -> None:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler
    from apscheduler.triggers.cron import CronTrigger

    async def main() -> None:
        engine = make_engine(url)
        maker = make_sessionmaker(engine)
        try:
            if once:
                for job in schedule():
                    await run_job(maker, job)
                return
            scheduler = AsyncIOScheduler(timezone="Europe/Amsterdam")
            for job in schedule():
                scheduler.add_job(run_job, CronTrigger(**job.cron), args=[maker, job], id=job.name,
                                  max_instances=1, coalesce=True, misfire_grace_time=3600)  # fmt: skip
            scheduler.start()
            log.info("worker started with %d jobs", len(scheduler.get_jobs()))
            await asyncio.Event().wait()
        finally:
            await engine.dispose()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        log.info("worker stopped")
