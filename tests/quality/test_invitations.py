"""The invitation job's step and the sending of invitations (service level, rolled back)."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader
from sqlalchemy import func, insert, select

from jeugdregio.audit import Actor
from jeugdregio.auth import Principal
from jeugdregio.errors import InvalidTransition, NotFound, ValidationFailed
from jeugdregio.security import token_hash
from jeugdregio.tables import AuditEvent, OutboxMessage
from quality.models import RatingInvitation, RatingSettings
from quality.services import invitations as inv
from tests.quality.rating_world import confirmed_arrangements, issue, set_confirmed_by, team_principal
from tests.support.invoicing_factories import add_arrangement

NOW = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)


async def _count(session, region_id: int) -> int:
    return int((await session.execute(
        select(func.count()).select_from(RatingInvitation).where(RatingInvitation.region_id == region_id)
    )).scalar_one())  # fmt: skip


async def test_job_creates_one_parent_invitation_per_confirmed_arrangement_and_a_rerun_adds_none(session, regions):
    region = await regions.create()
    rw = await confirmed_arrangements(session, region, 3)
    for status in ("agreed", "started", "ended", "disputed"):
        await add_arrangement(session, rw.world, status=status)
    assert await inv.create_invitations(session, now=NOW, region_id=region.id) == 3
    assert await inv.create_invitations(session, now=NOW, region_id=region.id) == 0
    await inv.create_invitations(session, now=NOW)  # all regions (others' committed data may add theirs)
    assert await _count(session, region.id) == 3  # ... but nothing new here
    rows = (await session.execute(
        select(RatingInvitation.arrangement_id, RatingInvitation.informant, RatingInvitation.token_hash)
        .where(RatingInvitation.region_id == region.id)
    )).all()  # fmt: skip
    assert sorted(r.arrangement_id for r in rows) == sorted(rw.arrangement_ids)
    assert {r.informant for r in rows} == {"parent"}
    assert all(r.token_hash is None for r in rows)  # no link before it is sent
    # a newly confirmed arrangement is picked up by the next run
    await add_arrangement(session, rw.world, status="confirmed")
    assert await inv.create_invitations(session, now=NOW, region_id=region.id) == 1
    assert await _count(session, region.id) == 4


async def test_a_link_has_256_random_bits_only_its_hash_is_stored_and_reissue_replaces_it(session, regions):
    region = await regions.create()
    rw = await confirmed_arrangements(session, region, 1)
    await inv.create_invitations(session, now=NOW, region_id=region.id)
    first = await issue(session, region.id, rw.arrangement_ids[0], now=NOW)
    assert len(first) >= 43  # token_urlsafe(32): 256 bits
    row = (await session.execute(select(RatingInvitation).where(RatingInvitation.region_id == region.id))).scalar_one()
    assert row.token_hash == token_hash(first) and first not in str(row.token_hash)
    assert row.expires_at is not None and (row.expires_at - NOW).days == 30
    second = await issue(session, region.id, rw.arrangement_ids[0], now=NOW)
    await session.refresh(row)
    assert second != first and row.token_hash == token_hash(second)
    events = (await session.execute(select(AuditEvent.summary).where(
        AuditEvent.region_id == region.id, AuditEvent.action == "issue_link"))).scalars().all()  # fmt: skip
    assert len(events) == 2 and all(first not in str(e) and second not in str(e) for e in events)


async def test_email_goes_through_the_outbox_with_the_link_and_the_address_is_not_kept(session, regions):
    region = await regions.create()
    rw = await confirmed_arrangements(session, region, 1)
    await inv.create_invitations(session, now=NOW, region_id=region.id)
    principal = team_principal(region.id)
    actor = Actor.system("test", region.id)
    with pytest.raises(ValidationFailed) as bad:
        await inv.send_invitation_email(
            session, principal, rw.arrangement_ids[0], informant="parent", email="geen-adres",
            base_url="https://jr.test", actor=actor, now=NOW,
        )
    assert "email" in bad.value.by_field()
    await inv.send_invitation_email(
        session, principal, rw.arrangement_ids[0], informant="parent", email="ouder@example.org",
        base_url="https://jr.test", actor=actor, now=NOW,
    )
    mail = (await session.execute(select(OutboxMessage).where(OutboxMessage.region_id == region.id))).scalar_one()
    assert mail.to_address == "ouder@example.org"
    link = next(w for w in mail.body.split() if w.startswith("https://jr.test/beoordelen/"))
    row = (await session.execute(select(RatingInvitation).where(RatingInvitation.region_id == region.id))).scalar_one()
    assert row.token_hash == token_hash(link.rsplit("/", 1)[1]) and row.channel == "email"
    assert "ouder@example.org" not in str(row.model_dump())


async def test_the_letter_pdf_holds_the_link_text(session, regions):
    region = await regions.create()
    rw = await confirmed_arrangements(session, region, 1)
    await inv.create_invitations(session, now=NOW, region_id=region.id)
    pdf = await inv.invitation_letter(
        session, team_principal(region.id), rw.arrangement_ids[0], informant="parent", base_url="https://jr.test",
        actor=Actor.system("test", region.id), now=NOW,
    )  # fmt: skip
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    flat = "".join(text.split())
    row = (await session.execute(select(RatingInvitation).where(RatingInvitation.region_id == region.id))).scalar_one()
    match = re.search(r"https://jr\.test/beoordelen/([A-Za-z0-9_-]{43})", flat)
    assert match, text
    assert token_hash(match.group(1)) == row.token_hash  # the printed link is the live one
    assert "Wat vond u van de hulp?" in text and "één keer" in text


async def test_who_may_send_the_team_and_the_confirming_referrer_only(session, regions):
    region = await regions.create()
    rw = await confirmed_arrangements(session, region, 2)
    await inv.create_invitations(session, now=NOW, region_id=region.id)
    from jeugdregio.users import create_user

    user = await create_user(session, email=f"r-{region.slug}@x.test", name="R", password="x" * 12, now=NOW)
    referrer = Principal(user_id=user.id or 0, membership_id=1, region_id=region.id, role="referrer", name="V",
                         email="v@x")  # fmt: skip
    await set_confirmed_by(session, rw.arrangement_ids[0], referrer.user_id)
    view = await inv.invitations_for(session, referrer, rw.arrangement_ids[0])
    assert [i.informant for i in view.invitations] == ["parent"]
    with pytest.raises(NotFound):
        await inv.invitations_for(session, referrer, rw.arrangement_ids[1])  # confirmed by someone else
    provider = Principal(user_id=1, membership_id=1, region_id=region.id, role="provider", name="P", email="p@x",
                         provider_id=rw.world.provider_id)  # fmt: skip
    with pytest.raises(NotFound):
        await inv.invitations_for(session, provider, rw.arrangement_ids[0])
    other_region = await regions.create()
    with pytest.raises(NotFound):
        await inv.invitations_for(session, team_principal(other_region.id), rw.arrangement_ids[0])


async def test_a_used_invitation_cannot_be_sent_again(session, regions):
    region = await regions.create()
    rw = await confirmed_arrangements(session, region, 1)
    await inv.create_invitations(session, now=NOW, region_id=region.id)
    from quality.services.ratings import submit_rating

    token = await issue(session, region.id, rw.arrangement_ids[0], now=NOW)
    await submit_rating(session, token, {"usefulness": "8", "help_again": "04"}, now=NOW)
    with pytest.raises(InvalidTransition):
        await issue(session, region.id, rw.arrangement_ids[0], now=NOW)


async def test_youths_from_twelve_on_the_confirmation_date_get_their_own_invitation(session, regions) -> None:
    from contracts.models import FamilyPlan
    from tests.support.invoicing_factories import build_invoicing

    region = await regions.create()
    world = await build_invoicing(session, region)  # its plan's youth was born 2015-05-05
    confirmed = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
    referrer_membership_id = (await session.execute(
        select(FamilyPlan.referrer_membership_id).where(FamilyPlan.id == world.plan_id))).scalar_one()  # fmt: skip
    ids = {}
    for label, birth in (("twelve", date(2014, 6, 10)), ("eleven", date(2014, 6, 11)), ("seventeen", date(2009, 1, 1))):
        plan = FamilyPlan(region_id=region.id, reference=f"GP-{label[:3]}-{region.id}",
                          referrer_membership_id=referrer_membership_id, referrer_type="01", bsn="111222333",
                          youth_pseudonym="p", youth_name="X", birth_date=birth,
                          paying_municipality_id=region.municipality_ids[0], created_at=NOW)  # fmt: skip
        session.add(plan)
        await session.flush()
        assert plan.id is not None
        world.plan_id = plan.id
        ids[label] = await add_arrangement(session, world, status="confirmed", confirmed_at=confirmed)
    assert await inv.create_invitations(session, now=NOW, region_id=region.id) == 3 + 2
    assert await inv.create_invitations(session, now=NOW, region_id=region.id) == 0
    youth = set((await session.execute(select(RatingInvitation.arrangement_id).where(
        RatingInvitation.region_id == region.id, RatingInvitation.informant == "youth"))).scalars())  # fmt: skip
    assert youth == {ids["twelve"], ids["seventeen"]}  # twelve on the day of confirmation; eleven is not
    await session.execute(insert(RatingSettings).values(region_id=region.id, youth_min_age=18))
    await add_arrangement(session, world, status="confirmed", confirmed_at=confirmed)  # seventeen: below 18 now
    assert await inv.create_invitations(session, now=NOW, region_id=region.id) == 1  # the parent only


async def test_a_result_confirmed_since_the_last_job_run_can_be_sent_at_once(session, regions) -> None:
    region = await regions.create()
    rw = await confirmed_arrangements(session, region, 1)  # the job has not run
    view = await inv.invitations_for(session, team_principal(region.id), rw.arrangement_ids[0])
    assert [(i.id, i.informant, i.state(NOW)) for i in view.invitations] == [(0, "parent", "nog niet verstuurd")]
    token = await issue(session, region.id, rw.arrangement_ids[0], now=NOW)
    row = (await session.execute(select(RatingInvitation).where(RatingInvitation.region_id == region.id))).scalar_one()
    assert row.token_hash == token_hash(token)
    assert await inv.create_invitations(session, now=NOW, region_id=region.id) == 0  # the job finds nothing to do
