"""The worker: one advisory lock per (job, period), idempotent jobs, the outbox job, `jeugdregio worker --once`."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from jeugdregio.outbox import enqueue, send_pending
from jeugdregio.scheduler import Job, daily, run_job, schedule
from jeugdregio.tables import OutboxMessage

NOW = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)


async def test_two_workers_never_run_the_same_job_period_at_once(maker) -> None:
    calls = 0
    started = asyncio.Event()
    release = asyncio.Event()

    async def slow(session, *, now):
        nonlocal calls
        calls += 1
        started.set()
        await release.wait()
        return {"done": True}

    job = Job("test_slow", slow, {"minute": 0}, daily)
    first = asyncio.create_task(run_job(maker, job, now=NOW))
    await started.wait()
    second = await run_job(maker, job, now=NOW)
    release.set()
    assert await first == {"done": True}
    assert second == {"skipped": True}
    assert calls == 1


def test_schedule_lists_the_evidence_expiry_and_outbox_jobs() -> None:
    names = {job.name for job in schedule()}
    assert {"evidence_expiry", "send_outbox"} <= names


async def test_outbox_dedupes_and_sends_each_message_once(session, regions) -> None:
    region = await regions.create()
    sent: list[str] = []

    class Recorder:
        def send(self, to_address: str, subject: str, body: str) -> None:
            sent.append(to_address)

    assert await enqueue(session, region_id=region.id, to_address="a@example.org", subject="s", body="b",
                         now=NOW, dedupe_key=f"k-{region.slug}")  # fmt: skip
    assert not await enqueue(session, region_id=region.id, to_address="a@example.org", subject="s", body="b",
                             now=NOW, dedupe_key=f"k-{region.slug}")  # fmt: skip
    while await send_pending(session, Recorder(), now=NOW):
        pass
    assert sent.count("a@example.org") == 1
    pending = (
        await session.execute(
            select(func.count()).where(OutboxMessage.sent_at.is_(None), OutboxMessage.region_id == region.id)
        )
    ).scalar_one()
    assert pending == 0


def test_worker_once_runs_every_job(db_url: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "JEUGDREGIO_DATA_DIR"}
    env["DATABASE_URL"] = db_url
    env["JEUGDREGIO_DATA_DIR"] = os.environ["JEUGDREGIO_DATA_DIR"]
    result = subprocess.run([str(Path(sys.executable).parent / "jeugdregio"), "worker", "--once"], env=env,
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "evidence_expiry done" in result.stderr
    assert "send_outbox done" in result.stderr
