"""Demo data for the register, with a fixed seed: about 150 fictional providers admitted under framework
contracts (a few suspended or ended), their evidence (some expiring, some expired) and applications in
every state, including the demo applicant's, which waits for more information."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.models import (
    Application,
    ApplicationMunicipality,
    ApplicationProfile,
    Evidence,
    InfoRequest,
    IntakeConversation,
    Requirement,
    RequirementReview,
)
from contracts.rules import add_months
from contracts.services import contract_lifecycle
from jeugdregio import audit
from jeugdregio.audit import Actor
from jeugdregio.clock import today
from jeugdregio.documents import store_document
from jeugdregio.pdf import html_to_pdf

ADJECTIVES = ["Dappere", "Vrolijke", "Stille", "Blauwe", "Groene", "Wijze", "Zachte", "Sterke", "Heldere", "Warme",
              "Nieuwsgierige", "Kleine", "Trouwe", "Rustige", "Zonnige"]  # fmt: skip
ANIMALS = ["Das", "Reiger", "Vlinder", "Egel", "Uil", "Otter", "Merel", "Vos", "Kikker", "Mees", "Haas", "Zwaluw",
           "Bever", "Libel", "Eekhoorn"]  # fmt: skip
KINDS = ["Jeugdhulp", "Gezinsbegeleiding", "Praktijk", "Gezinshuis", "Zorggroep", "Jeugd-GGZ", "Opvoedpunt",
         "Ambulant Team", "Dagbehandeling", "Pleegzorg"]  # fmt: skip
STREETS = ["Molenstraat", "Kerkplein", "Markt", "Stationsweg", "Nieuwe Haven", "Dorpsstraat", "Vlietweg", "Beukenlaan"]
CITIES = [("4701", "Roosendaal"), ("4611", "Bergen op Zoom"), ("4871", "Etten-Leur"), ("4731", "Oudenbosch"),
          ("4761", "Zevenbergen"), ("4881", "Zundert"), ("4651", "Steenbergen"), ("4631", "Hoogerheide"),
          ("4811", "Breda"), ("4331", "Middelburg")]  # fmt: skip
LETTERS = "ABCDEFGHJKLMNPRSTVWXZ"


def provider_names(rng: random.Random, n: int) -> list[str]:
    combos = [f"{a} {b}" for a in ADJECTIVES for b in ANIMALS]
    rng.shuffle(combos)
    return [f"{rng.choice(KINDS)} De {combo}" for combo in combos[:n]]


def _evidence_pdf(title: str) -> bytes:
    return html_to_pdf(
        f"<html><body><h1>Bewijsstuk (demo)</h1><p>{title}</p>"
        "<p>Dit is een fictief document uit de demodata van Jeugdregio.</p></body></html>"
    )


async def seed_register(
    session: AsyncSession, ctx: Any, *, now: datetime, providers: int = 150
) -> tuple[int | None, int | None]:
    """Returns (the first provider's id, the id of an application waiting for information) for demo accounts."""
    rng: random.Random = ctx.rng
    actor = Actor(user_id=ctx.team_user_id, label="beheer@wbw.example", role="team_admin", region_id=ctx.region_id)
    day = today(now)
    requirements = list(
        (await session.execute(select(Requirement).where(Requirement.region_id == ctx.region_id))).scalars()
    )
    pdfs = {r.id: _evidence_pdf(r.title) for r in requirements}
    names = provider_names(rng, providers + 12)
    used: set[str] = set()
    first_provider_id: int | None = None
    for i, name in enumerate(names[:providers]):
        app = await _application(session, ctx, rng, name, used, status="admitted", day=day, now=now, seq=i + 1)
        await _evidence(session, ctx, rng, app, requirements, pdfs, now=now, day=day, spread=True)
        for r in requirements:
            session.add(RequirementReview(region_id=ctx.region_id, application_id=app.id, requirement_id=r.id,
                                          passed=True, reviewed_by=ctx.team_user_id, reviewed_at=now))  # fmt: skip
        starts_on = day - timedelta(days=rng.randint(30, 900))
        provider, contract = await contract_lifecycle.create_provider_from_application(
            session, app, starts_on=starts_on, actor=actor, now=now
        )
        app.provider_id = provider.id
        app.decided_at = now - timedelta(days=(day - starts_on).days)
        app.decision_reason = "Voldoet aan alle toelatingseisen."
        first_provider_id = first_provider_id or provider.id
        if i % 50 == 7:
            await contract_lifecycle.suspend_contract(
                session, contract.id, reason="Bewijsstukken verlopen; schorsing tot aanlevering.",
                on=day - timedelta(days=10), actor=actor, now=now,
            )  # fmt: skip
        elif i % 75 == 11:
            await contract_lifecycle.terminate_contract(
                session, contract.id, reason="Faillissement van de aanbieder.", on=day - timedelta(days=40),
                actor=actor, now=now,
            )  # fmt: skip
    # open and closed applications in every state
    extra = names[providers:]
    states = ["submitted", "submitted", "submitted", "in_review", "in_review", "info_requested",
              "info_requested", "rejected", "rejected", "withdrawn"]  # fmt: skip
    applicant_app: Application | None = None
    for j, status in enumerate(states):
        app = await _application(session, ctx, rng, extra[j], used, status=status, day=day, now=now,
                                 seq=providers + j + 1)  # fmt: skip
        await _evidence(session, ctx, rng, app, requirements, pdfs, now=now, day=day, spread=False,
                        skip_one=status in ("info_requested", "rejected"))  # fmt: skip
        await _progress(session, ctx, rng, app, requirements, status, now=now, day=day, actor=actor)
        if status == "info_requested" and applicant_app is None:
            applicant_app = app
    return first_provider_id, applicant_app.id if applicant_app else None


async def _application(session: AsyncSession, ctx: Any, rng: random.Random, name: str, used: set[str], *,
                       status: str, day: date, now: datetime, seq: int) -> Application:  # fmt: skip
    kvk = agb = ""
    while not kvk or kvk in used or agb in used:
        kvk, agb = f"{rng.randint(50_000_000, 99_999_999)}", f"98{rng.randint(0, 999_999):06d}"
    used.update((kvk, agb))
    postcode, city = rng.choice(CITIES)
    slug = name.lower().split(" de ")[-1].replace(" ", "")
    submitted = now - timedelta(days=rng.randint(2, 40) if status != "admitted" else rng.randint(40, 950))
    app = Application(
        region_id=ctx.region_id, reference=f"AV-{submitted.year}-{seq:04d}", status=status, org_name=name,
        kvk=kvk, agb=agb, street=f"{rng.choice(STREETS)} {rng.randint(1, 180)}",
        postcode=f"{postcode} {rng.choice(LETTERS)}{rng.choice(LETTERS)}", city=city,
        contact_name=f"{rng.choice(['Sanne', 'Mehmet', 'Els', 'Jeroen', 'Fatima', 'Koen', 'Noor'])} "
        f"{rng.choice(['de Vries', 'Jansen', 'Bakker', 'Yilmaz', 'Peeters', 'van Dijk', 'Smits'])}",
        contact_email=f"info@{slug}.demo.example", contact_phone=f"0165-{rng.randint(100000, 999999)}",
        vision="Wij werken systemisch en dicht bij huis, samen met het gezin en het netwerk. (demotekst)",
        submitted_at=submitted, updated_at=submitted,
    )  # fmt: skip
    session.add(app)
    await session.flush()
    lots = rng.sample(sorted(ctx.profile_ids.values()), k=rng.choice([1, 1, 2, 2, 3, 4]))
    for pid in lots:
        session.add(ApplicationProfile(region_id=ctx.region_id, application_id=app.id, profile_id=pid))
    for mid in rng.sample(sorted(ctx.municipality_ids.values()), k=rng.randint(2, 9)):
        session.add(ApplicationMunicipality(region_id=ctx.region_id, application_id=app.id, municipality_id=mid))
    await session.flush()
    return app


async def _evidence(session: AsyncSession, ctx: Any, rng: random.Random, app: Application, requirements: list[Any],
                    pdfs: dict[Any, bytes], *, now: datetime, day: date, spread: bool,
                    skip_one: bool = False) -> None:  # fmt: skip
    needed = [r for r in requirements if r.evidence_required]
    if skip_one:
        needed = needed[1:]
    for r in needed:
        doc = await store_document(
            session, region_id=ctx.region_id, kind="evidence", content=pdfs[r.id], content_type="application/pdf",
            now=now, created_by=None, stem=f"bewijs-{app.reference}-{r.code}",
        )  # fmt: skip
        if r.validity_months is None:
            valid_until = None
        elif spread:  # a realistic spread: most valid, some expiring within 30 days, a few expired
            roll = rng.random()
            if roll < 0.012:  # per document; about one provider in ten has something expired
                offset = rng.randint(-25, -1)
            elif roll < 0.035:
                offset = rng.randint(0, 29)
            else:
                offset = rng.randint(31, 700)
            valid_until = day + timedelta(days=offset)
        else:
            valid_until = add_months(day, r.validity_months)
        session.add(Evidence(region_id=ctx.region_id, application_id=app.id, requirement_id=r.id,
                             document_id=doc.id, original_name=f"{r.code}.pdf", valid_until=valid_until,
                             uploaded_at=app.submitted_at))  # fmt: skip
    await session.flush()


async def _progress(session: AsyncSession, ctx: Any, rng: random.Random, app: Application, requirements: list[Any],
                    status: str, *, now: datetime, day: date, actor: Actor) -> None:  # fmt: skip
    await audit.record(session, actor, object_type="application", object_id=app.id, action="submit",
                       now=app.submitted_at, summary={"status": "submitted"})  # fmt: skip
    if status in ("in_review", "info_requested", "rejected"):
        half = requirements[: len(requirements) // 2]
        for r in half[1:] if status == "rejected" else half:  # a rejected one fails its first requirement
            session.add(RequirementReview(region_id=ctx.region_id, application_id=app.id, requirement_id=r.id,
                                          passed=True, reason="In orde.", reviewed_by=ctx.team_user_id,
                                          reviewed_at=now))  # fmt: skip
        session.add(IntakeConversation(region_id=ctx.region_id, application_id=app.id,
                                       held_on=day - timedelta(days=3), participants="Karim (regioteam), directeur",
                                       notes="Visie op systemisch werken besproken.", recorded_by=ctx.team_user_id,
                                       recorded_at=now))  # fmt: skip
    if status == "info_requested":
        session.add(InfoRequest(region_id=ctx.region_id, application_id=app.id,
                                message="Wilt u het uittreksel van de Kamer van Koophandel aanleveren?",
                                requested_by=ctx.team_user_id, requested_at=now - timedelta(days=1)))  # fmt: skip
    if status == "rejected":
        first = requirements[0]
        session.add(RequirementReview(region_id=ctx.region_id, application_id=app.id, requirement_id=first.id,
                                      passed=False, reason="Geen geldig uittreksel aangeleverd.",
                                      reviewed_by=ctx.team_user_id, reviewed_at=now))  # fmt: skip
        app.decided_at = now - timedelta(days=2)
        app.decision_reason = "Niet voldaan aan de eis: uittreksel Kamer van Koophandel."
    if status != "submitted":
        await audit.record(session, actor, object_type="application", object_id=app.id, action=status, now=now,
                           summary={"status": {"voor": "submitted", "na": status}})  # fmt: skip
    await session.flush()
