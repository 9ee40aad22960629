"""A small world for access tests: per region an admitted provider (contract, version, evidence), an open
application with evidence and an applicant, and users for every role."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select

from catalogue.models import ArrangementType, Listing
from contracts.models import Application, ApplicationProfile, Evidence, FrameworkContract, Requirement
from contracts.services.contract_lifecycle import create_provider_from_application
from jeugdregio.audit import Actor
from jeugdregio.clock import utcnow
from jeugdregio.documents import store_document
from tests.support.factories import TestRegion

TINY_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class Objects:
    provider_id: int
    contract_id: int
    provider_application_id: int
    provider_evidence_id: int
    open_application_id: int
    open_evidence_id: int
    arrangement_type_id: int = 0
    listing_id: int = 0
    schedule_year: int = 0
    # arrangements, invoicing and quality (0 = not built: catalogue=False worlds have none)
    plan_id: int = 0
    arrangement_id: int = 0
    declaration_id: int = 0
    batch_id: int = 0
    run_id: int = 0
    spec_id: int = 0
    municipality_id: int = 0
    lump_sum_id: int = 0
    population_budget_id: int = 0
    period: str = "2026-01"
    conversation_id: int = 0
    users: dict[str, str] = field(default_factory=dict)  # role -> e-mail


async def _application(s, region: TestRegion, status: str) -> Application:  # type: ignore[no-untyped-def]
    now = utcnow()
    digits = f"{secrets.randbelow(10**8):08d}"
    app = Application(
        region_id=region.id, reference=f"AV-T-{digits[:6]}", status=status, org_name=f"Testaanbieder {digits}",
        kvk=digits, agb=f"98{digits[2:]}", street="Teststraat 1", postcode="1234 AB", city="Teststad",
        contact_name="Tess Test", contact_email=f"info-{digits}@example.org", submitted_at=now, updated_at=now,
    )  # fmt: skip
    s.add(app)
    await s.flush()
    s.add(ApplicationProfile(region_id=region.id, application_id=app.id, profile_id=region.profile_ids[1]))
    return app


async def _evidence(s, region: TestRegion, app: Application) -> Evidence:  # type: ignore[no-untyped-def]
    now = utcnow()
    req = (await s.execute(select(Requirement).where(Requirement.region_id == region.id))).scalars().first()
    doc = await store_document(
        s,
        region_id=region.id,
        kind="evidence",
        content=TINY_PDF,
        content_type="application/pdf",
        now=now,
        created_by=None,
        stem="bewijs-test",
    )
    ev = Evidence(region_id=region.id, application_id=app.id, requirement_id=req.id, document_id=doc.id,
                  valid_until=date.today() + timedelta(days=200), uploaded_at=now)  # fmt: skip
    s.add(ev)
    await s.flush()
    return ev


async def build_world(region: TestRegion, *, catalogue: bool = False) -> Objects:
    """`catalogue=True` also seeds the region's default catalogue and a draft tariff schedule (for tests that
    need arrangement types, offered types and schedules of a region)."""
    if catalogue:
        await _catalogue(region)
    async with region.maker() as s:
        now = utcnow()
        admitted = await _application(s, region, "admitted")
        ev = await _evidence(s, region, admitted)
        actor = Actor(user_id=None, label="test", role="team_admin", region_id=region.id)
        provider, contract = await create_provider_from_application(
            s, admitted, starts_on=date.today() - timedelta(days=10), actor=actor, now=now
        )
        admitted.provider_id = provider.id
        open_app = await _application(s, region, "submitted")
        open_ev = await _evidence(s, region, open_app)
        await s.commit()
        assert provider.id and contract.id and admitted.id and ev.id and open_app.id and open_ev.id
        objects = Objects(provider.id, contract.id, admitted.id, ev.id, open_app.id, open_ev.id)
        objects.arrangement_type_id = (
            await s.execute(select(ArrangementType.id).where(ArrangementType.region_id == region.id).limit(1))
        ).scalar_one_or_none() or 0
        objects.listing_id = (
            await s.execute(select(Listing.id).where(Listing.provider_id == provider.id))
        ).scalar_one()
        objects.schedule_year = date.today().year + 1
    for role in ("team_admin", "team_contracts", "team_finance", "team_quality", "municipality", "referrer"):
        objects.users[role] = await region.user(role)
    objects.users["provider"] = await region.user("provider", provider_id=objects.provider_id)
    objects.users["applicant"] = await region.user("applicant", application_id=objects.open_application_id)
    async with region.maker() as s:
        app = await s.get(Application, objects.open_application_id)
        user_email = objects.users["applicant"]
        from jeugdregio.tables import User

        uid = (await s.execute(select(User.id).where(User.email == user_email))).scalar_one()
        app.applicant_user_id = uid  # type: ignore[union-attr]
        await s.commit()
    if catalogue:  # a family plan of this world's referrer, invited to its provider, with a started arrangement
        from tests.support.arrangement_factories import make_arrangement, make_plan

        objects.plan_id = await make_plan(region, objects)
        objects.arrangement_id = await make_arrangement(region, objects, objects.plan_id, status="started")
        await _money_and_quality(region, objects)
    return objects


async def _money_and_quality(region: TestRegion, objects: Objects) -> None:
    """Real invoicing and quality objects of this world's provider: a declaration in a batch, the region's
    settlement run for last month, a specification, a lump sum, a population budget and a contract conversation."""
    from sqlalchemy.dialects.postgresql import insert

    from contracts.models import Arrangement
    from invoicing.models import Declaration, DeclarationBatch, LumpSum, PopulationBudget, SettlementRun, Specification
    from quality.models import ContractConversation

    now = utcnow()
    period = (date.today().replace(day=1) - timedelta(days=1)).replace(day=1)
    objects.period = period.strftime("%Y-%m")
    async with region.maker() as s:
        arrangement = await s.get(Arrangement, objects.arrangement_id)
        assert arrangement is not None
        objects.municipality_id = arrangement.paying_municipality_id
        batch = DeclarationBatch(region_id=region.id, provider_id=objects.provider_id, channel="api", row_count=1,
                                 created_at=now)  # fmt: skip
        s.add(batch)
        await s.flush()
        declaration = Declaration(
            region_id=region.id, provider_id=objects.provider_id, arrangement_id=objects.arrangement_id,
            municipality_id=objects.municipality_id, kind="start", period=date.today(), amount_cents=100_00,
            channel="api", batch_id=batch.id, received_at=now, checked_at=now,
        )  # fmt: skip
        s.add(declaration)
        await s.execute(
            insert(SettlementRun)
            .values(region_id=region.id, period=period, status="done", total_cents=0, started_at=now, finished_at=now)
            .on_conflict_do_nothing()  # the neighbour world shares the region
        )
        run_q = select(SettlementRun.id).where(SettlementRun.region_id == region.id, SettlementRun.period == period)
        run_id = (await s.execute(run_q)).scalar_one()
        spec = Specification(region_id=region.id, provider_id=objects.provider_id, period=period, run_id=run_id,
                             number=f"SP-T-{objects.provider_id}", created_at=now)  # fmt: skip
        lump = LumpSum(region_id=region.id, provider_id=objects.provider_id, municipality_id=objects.municipality_id,
                       year=date.today().year, yearly_cents=12_000_00, created_at=now)  # fmt: skip
        population = PopulationBudget(region_id=region.id, provider_id=objects.provider_id, year=date.today().year,
                                      cents_per_youth=10_00, created_at=now)  # fmt: skip
        conversation = ContractConversation(
            region_id=region.id, provider_id=objects.provider_id, frequency="year", period_label=str(period.year),
            period_start=date(period.year, 1, 1), period_end=date(period.year, 12, 31), planned_on=date.today(),
            created_at=now, updated_at=now,
        )  # fmt: skip
        s.add_all([spec, lump, population, conversation])
        await s.flush()
        assert declaration.id and batch.id and spec.id and lump.id and population.id and conversation.id
        objects.declaration_id, objects.batch_id, objects.run_id = declaration.id, batch.id, run_id
        objects.spec_id, objects.lump_sum_id, objects.population_budget_id = spec.id, lump.id, population.id
        objects.conversation_id = conversation.id
        await s.commit()


async def _catalogue(region: TestRegion) -> None:
    """The region's default catalogue (types and tariffs), once per region, and a draft tariff schedule."""
    from catalogue.models import TariffSchedule
    from catalogue.services.catalogue_setup import seed_catalogue

    async with region.maker() as s:
        await seed_catalogue(s, region_id=region.id, profile_ids=region.profile_ids,
                             valid_from=date(date.today().year - 1, 1, 1))  # fmt: skip
        exists = (await s.execute(select(TariffSchedule.id).where(TariffSchedule.region_id == region.id))).first()
        if not exists:
            s.add(TariffSchedule(region_id=region.id, year=date.today().year + 1, created_at=utcnow()))
        await s.commit()


async def contract_version(region: TestRegion, contract_id: int) -> int:
    async with region.maker() as s:
        return int((await s.get(FrameworkContract, contract_id)).version)  # type: ignore[union-attr]
