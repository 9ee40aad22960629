"""The evidence vault after admission: states, expiry reminders with a fixed clock, uploads and downloads."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from contracts.jobs import evidence_expiry
from contracts.models import Evidence, Provider
from contracts.rules import add_months
from contracts.services.evidence import provider_vault, queue_expiry_reminders
from contracts.services.exports import RegisterFilter, register_rows
from jeugdregio.auth import Principal
from jeugdregio.clock import AMSTERDAM, today, utcnow
from jeugdregio.tables import AuditEvent, Document, OutboxMessage
from tests.support.factories import csrf, login
from tests.support.register_factories import TINY_PDF, TINY_PNG, admit_committed, admit_provider

MB = 1024 * 1024


def at(day: date) -> datetime:
    """06:00 in the Netherlands on that day (the job's schedule)."""
    return datetime(day.year, day.month, day.day, 6, 0, tzinfo=AMSTERDAM)


def team(region_id: int) -> Principal:
    return Principal(user_id=0, membership_id=0, region_id=region_id, role="team_admin", name="t", email="t@t.test")


async def mails_to(session, address: str) -> list[OutboxMessage]:  # type: ignore[no-untyped-def]
    rows = await session.execute(select(OutboxMessage).where(OutboxMessage.to_address == address)
                                 .order_by(OutboxMessage.id))  # fmt: skip
    return list(rows.scalars())


async def contact(session, provider_id: int) -> str:  # type: ignore[no-untyped-def]
    return (await session.get(Provider, provider_id)).contact_email  # type: ignore[no-any-return]


# ---- reminders ------------------------------------------------------------------------------------------


async def test_one_reminder_30_days_before_expiry_then_one_expired_notice(session, regions) -> None:
    region = await regions.create()
    expiry = date(2003, 6, 15)  # far from any other test's dates: the job looks at every region
    later = expiry + timedelta(days=400)
    admitted = at(date(2002, 1, 10))
    evidence = {"kvk": expiry, "vog": later, "meldcode": later}
    a = await admit_provider(session, region, evidence=evidence, starts_on=date(2002, 1, 10), now=admitted)
    email = await contact(session, a.provider_id)

    assert await queue_expiry_reminders(session, now=at(expiry - timedelta(days=31))) == {"reminders": 0, "expired": 0}
    assert await mails_to(session, email) == []

    first = await queue_expiry_reminders(session, now=at(expiry - timedelta(days=30)))
    assert first == {"reminders": 1, "expired": 0}
    [mail] = await mails_to(session, email)
    assert mail.dedupe_key == f"evidence-expiry:{a.evidence_ids['kvk']}:{expiry.isoformat()}"
    assert "Kamer van Koophandel" in mail.subject and "15 juni 2003" in mail.body and mail.region_id == region.id

    assert await queue_expiry_reminders(session, now=at(expiry - timedelta(days=30))) == {"reminders": 0, "expired": 0}
    assert await evidence_expiry(session, now=at(expiry - timedelta(days=3))) == {"reminders": 0, "expired": 0}
    assert len(await mails_to(session, email)) == 1

    assert await queue_expiry_reminders(session, now=at(expiry + timedelta(days=1))) == {"reminders": 0, "expired": 1}
    assert await queue_expiry_reminders(session, now=at(expiry + timedelta(days=2))) == {"reminders": 0, "expired": 0}
    mails = await mails_to(session, email)
    assert [m.dedupe_key for m in mails][1].endswith(":expired") and "verlopen" in mails[1].subject

    # the overview flags it as expired on that day (and the vault says so)
    day = expiry + timedelta(days=1)
    expired = await register_rows(session, team(region.id), RegisterFilter(evidence="expired"), today=day)
    assert [r.id for r in expired.rows] == [a.provider_id] and expired.rows[0].expired == 1
    expiring = await register_rows(session, team(region.id), RegisterFilter(evidence="expiring"), today=day)
    assert expiring.rows == []
    provider = await session.get(Provider, a.provider_id)
    states = {r.code: r.state for r in await provider_vault(session, provider, today=day)}
    assert states["kvk"] == "expired" and states["vog"] == "valid" and states["klachtenregeling"] == "missing"
    assert states["kwaliteitssysteem"] == "optional"
    states = {r.code: r.state for r in await provider_vault(session, provider, today=expiry - timedelta(days=30))}
    assert states["kvk"] == "expiring"


async def test_no_reminders_for_superseded_evidence_or_ended_providers(session, regions) -> None:
    region = await regions.create()
    expiry = date(2004, 3, 1)
    start = date(2003, 1, 6)
    replaced = await admit_provider(session, region, evidence={"kvk": expiry}, starts_on=start, now=at(start))
    ended = await admit_provider(session, region, evidence={"kvk": expiry}, starts_on=start, now=at(start))
    # the provider uploaded newer evidence (valid a year longer); the old row is superseded
    old = await session.get(Evidence, replaced.evidence_ids["kvk"])
    session.add(Evidence(region_id=region.id, provider_id=replaced.provider_id, requirement_id=old.requirement_id,
                         document_id=old.document_id, valid_until=expiry + timedelta(days=365),
                         uploaded_at=at(start + timedelta(days=5))))  # fmt: skip
    old.superseded_at = at(start + timedelta(days=5))
    await session.execute(update(Provider).where(Provider.id == ended.provider_id).values(status="ended"))
    await session.flush()
    result = await queue_expiry_reminders(session, now=at(expiry - timedelta(days=10)))
    assert result == {"reminders": 0, "expired": 0}
    for a in (replaced, ended):
        assert await mails_to(session, await contact(session, a.provider_id)) == []


async def test_two_workers_at_once_queue_each_reminder_once(maker, regions) -> None:
    region = await regions.create()
    expiry = date(2005, 9, 20)
    start = date(2004, 2, 2)
    providers = [await admit_committed(region, evidence={"kvk": expiry, "vog": expiry}, starts_on=start, now=at(start))
                 for _ in range(3)]  # fmt: skip
    now = at(expiry - timedelta(days=20))

    async def worker() -> dict[str, int]:
        async with maker() as s:
            result = await queue_expiry_reminders(s, now=now)
            await s.commit()
            return result

    try:
        results = await asyncio.gather(worker(), worker())
        assert sum(r["reminders"] for r in results) == 6
        async with maker() as s:
            for a in providers:
                assert len(await mails_to(s, await contact(s, a.provider_id))) == 2
    finally:  # leave nothing for other tests' runs of the job
        async with maker() as s:
            ids = [a.provider_id for a in providers]
            await s.execute(update(Provider).where(Provider.id.in_(ids)).values(status="ended"))  # type: ignore[union-attr]
            await s.commit()


# ---- uploads in the portal ------------------------------------------------------------------------------


async def counts(region) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    async with region.maker() as s:
        docs = (await s.execute(select(func.count()).where(Document.region_id == region.id))).scalar_one()
        evs = (await s.execute(select(func.count()).where(Evidence.region_id == region.id))).scalar_one()
    return docs, evs


async def provider_client(client, region, **kwargs):  # type: ignore[no-untyped-def]
    a = await admit_committed(region, **kwargs)
    await login(client, await region.user("provider", provider_id=a.provider_id))
    return a, await csrf(client, "/portaal")


async def requirement_id(region, code: str) -> int:  # type: ignore[no-untyped-def]
    from tests.support.register_factories import requirements

    async with region.maker() as s:
        return (await requirements(s, region.id))[code].id  # type: ignore[return-value]


async def test_upload_replaces_the_evidence_with_default_validity(client, regions) -> None:
    region = await regions.create()
    a, token = await provider_client(client, region, evidence={"kvk": today() + timedelta(days=5)})
    body = (await client.get("/portaal")).text
    assert "Verloopt binnenkort" in body and "Ontbreekt" in body and 'href="/tokens"' in body
    kvk = await requirement_id(region, "kvk")
    r = await client.post("/portaal/bewijs", data={"_csrf_token": token, "requirement_id": str(kvk), "valid_until": ""},
                          files={"file": ("uittreksel.pdf", TINY_PDF, "application/pdf")})  # fmt: skip
    assert r.status_code == 303, r.text[:1000]
    async with region.maker() as s:
        rows = list((await s.execute(select(Evidence).where(Evidence.provider_id == a.provider_id,
                                                            Evidence.requirement_id == kvk)
                                     .order_by(Evidence.id))).scalars())  # fmt: skip
        assert len(rows) == 2 and rows[0].superseded_at is not None and rows[1].superseded_at is None
        assert rows[1].valid_until == add_months(today(), 12) and rows[1].original_name == "uittreksel.pdf"
        doc = await s.get(Document, rows[1].document_id)
        assert doc.filename.startswith(f"bewijs-{a.provider_id}-kvk-") and doc.filename.endswith(".pdf")
        event = (await s.execute(select(AuditEvent.summary).where(
            AuditEvent.object_type == "provider", AuditEvent.object_id == str(a.provider_id),
            AuditEvent.action == "evidence_upload"))).scalar_one()  # fmt: skip
        assert event["eis"] == "kvk"
    body = (await client.get("/portaal")).text
    assert "uittreksel.pdf" in body
    download = await client.get(f"/documenten/evidence/{rows[1].id}")
    assert download.status_code == 200 and download.content == TINY_PDF
    # a PNG with an explicit date is fine too
    until = today() + timedelta(days=100)
    r = await client.post("/portaal/bewijs", data={"_csrf_token": token, "requirement_id": str(kvk),
                                                   "valid_until": until.isoformat()},
                          files={"file": ("scan.png", TINY_PNG, "image/png")})  # fmt: skip
    assert r.status_code == 303


@pytest.mark.parametrize(
    ("fields", "content", "status", "message"),
    [
        ({}, b"just some text", 422, "Alleen PDF-, PNG- of JPEG-bestanden"),
        ({}, b"MZ\x90\x00 an executable", 422, "Alleen PDF-, PNG- of JPEG-bestanden"),
        ({}, b"", 422, "Het bestand is leeg."),
        ({}, b"%PDF-" + b"0" * (10 * MB), 422, "groter dan 10 MB"),
        ({}, b"%PDF-" + b"0" * (11 * MB), 413, "maximaal 10 MB"),
        ({"valid_until": "2001-01-01"}, TINY_PDF, 422, "niet in het verleden"),
        ({"valid_until": "31-12-2099"}, TINY_PDF, 422, "Gebruik een datum"),
        ({"requirement_id": "999999"}, TINY_PDF, 422, "Kies een eis uit de lijst."),
        ({"requirement_id": ""}, TINY_PDF, 422, "Kies voor welke eis"),
    ],
)  # fmt: skip
async def test_invalid_uploads_store_nothing(client, regions, fields, content, status, message) -> None:
    region = await regions.create()
    _a, token = await provider_client(client, region)
    before = await counts(region)
    data = {"_csrf_token": token, "requirement_id": str(await requirement_id(region, "vog")), "valid_until": ""}
    r = await client.post("/portaal/bewijs", data={**data, **fields},
                          files={"file": ("bestand.pdf", content, "application/pdf")})  # fmt: skip
    assert r.status_code == status, r.text[:800]
    assert message in r.text
    assert await counts(region) == before


async def test_upload_needs_csrf_and_an_active_provider(client, regions) -> None:
    region = await regions.create()
    a, token = await provider_client(client, region)
    kvk = str(await requirement_id(region, "kvk"))
    r = await client.post("/portaal/bewijs", data={"requirement_id": kvk},
                          files={"file": ("a.pdf", TINY_PDF, "application/pdf")})  # fmt: skip
    assert r.status_code == 403
    async with region.maker() as s:
        await s.execute(update(Provider).where(Provider.id == a.provider_id).values(status="ended"))
        await s.commit()
    before = await counts(region)
    r = await client.post("/portaal/bewijs", data={"_csrf_token": token, "requirement_id": kvk},
                          files={"file": ("a.pdf", TINY_PDF, "application/pdf")})  # fmt: skip
    assert r.status_code == 409 and "beëindigd" in r.text
    assert await counts(region) == before


# ---- downloads ------------------------------------------------------------------------------------------


async def test_evidence_downloads_are_scoped(client, new_client, regions) -> None:
    region, other_region = await regions.create(), await regions.create()
    own = await admit_committed(region)
    other = await admit_committed(region)
    foreign = await admit_committed(other_region)
    ev, other_ev, foreign_ev = own.evidence_ids["kvk"], other.evidence_ids["kvk"], foreign.evidence_ids["kvk"]

    anonymous = await client.get(f"/documenten/evidence/{ev}")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/inloggen")

    provider = new_client()
    await login(provider, await region.user("provider", provider_id=own.provider_id))
    ok = await provider.get(f"/documenten/evidence/{ev}")
    assert ok.status_code == 200 and ok.content == TINY_PDF and "attachment" in ok.headers["content-disposition"]
    assert (await provider.get(f"/documenten/evidence/{other_ev}")).status_code == 404
    assert (await provider.get(f"/documenten/evidence/{foreign_ev}")).status_code == 404

    team_client = new_client()
    await login(team_client, await region.user("team_quality"))
    assert (await team_client.get(f"/documenten/evidence/{other_ev}")).status_code == 200
    assert (await team_client.get(f"/documenten/evidence/{foreign_ev}")).status_code == 404

    for role in ("municipality", "referrer"):
        c = new_client()
        await login(c, await region.user(role))
        assert (await c.get(f"/documenten/evidence/{ev}")).status_code == 404


async def test_reminder_key_is_stable_for_the_same_date() -> None:
    from contracts.services.evidence import reminder_key

    assert reminder_key(7, date(2030, 1, 31), expired=False) == "evidence-expiry:7:2030-01-31"
    assert reminder_key(7, date(2030, 1, 31), expired=True) == "evidence-expiry:7:2030-01-31:expired"
    assert utcnow().tzinfo is UTC
