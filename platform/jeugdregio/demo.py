"""Demo data with a fixed seed: the region West-Brabant West, its nine municipalities, ten care profiles,
the register (about 150 fictional providers, applications in every state) and a user for every role."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from catalogue.public import DEFAULT_PROFILES, create_profile, seed_catalogue, seed_offerings_demo
from contracts.public import seed_region_register
from jeugdregio.clock import today, utcnow
from jeugdregio.db import make_engine, make_sessionmaker
from jeugdregio.security import hash_password
from jeugdregio.tables import Membership, Municipality, Region
from jeugdregio.users import add_membership, create_user

DEMO_PASSWORD = "demo-wachtwoord-2026"  # noqa: S105 - printed by `jeugdregio demo`, demo data only

MUNICIPALITIES = [
    ("0748", "Bergen op Zoom"), ("0777", "Etten-Leur"), ("1655", "Halderberge"), ("1709", "Moerdijk"),
    ("1674", "Roosendaal"), ("0840", "Rucphen"), ("0851", "Steenbergen"), ("0873", "Woensdrecht"),
    ("0879", "Zundert"),
]  # fmt: skip



@dataclass
class DemoContext:
    region_id: int
    municipality_ids: dict[str, int]
    profile_ids: dict[int, int]
    team_user_id: int = 0
    referrer_user_id: int = 0
    rng: random.Random = field(default_factory=lambda: random.Random(2026))
    password_hash: str = ""
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (role label, email, where)


async def ensure_demo(url: str, *, seed: int = 2026) -> bool:
    """Seed the demo region unless it exists. Returns True when it created data."""
    engine = make_engine(url)
    try:
        maker = make_sessionmaker(engine)
        async with maker() as session:
            if (await session.execute(select(Region.id).where(Region.slug == "wbw"))).first():
                return False
            ctx = await seed_demo(session, seed=seed)
            await session.commit()
        # settlement commits per step (it must survive a kill), so it runs after the seed is committed
        from invoicing.demo import seed_budgets_demo, settle_history_demo

        now = utcnow()
        await settle_history_demo(maker, region_id=ctx.region_id, first_month=date(now.year - 1, 1, 1), day=today(now))
        async with maker() as session:
            await seed_budgets_demo(session, region_id=ctx.region_id, municipality_ids=ctx.municipality_ids,
                                    day=today(now), rng=ctx.rng)  # fmt: skip
            await session.commit()
        from quality.demo import seed_quality_demo

        async with maker() as session:
            await seed_quality_demo(session, region_id=ctx.region_id, now=now)
            await session.commit()
        return True
    finally:
        await engine.dispose()


async def seed_demo(session: AsyncSession, *, seed: int = 2026) -> DemoContext:
    now = utcnow()
    region = Region(
        slug="wbw", name="West-Brabant West", admission_mode="open",
        letterhead_address="Regionaal inkoopteam Jeugd West-Brabant West · Postbus 0000 · 4700 AA Roosendaal",
        contact_email="inkoop@wbw.jeugdregio.example", created_at=now,
    )  # fmt: skip
    session.add(region)
    await session.flush()
    assert region.id is not None
    municipality_ids: dict[str, int] = {}
    for code, name in MUNICIPALITIES:
        m = Municipality(region_id=region.id, cbs_code=code, name=name)
        session.add(m)
        await session.flush()
        assert m.id is not None
        municipality_ids[code] = m.id
    profile_ids = {}
    for number, name, description, complexity, illustrative in DEFAULT_PROFILES:
        profile_ids[number] = await create_profile(
            session, region_id=region.id, number=number, name=name, description=description,
            complexity=complexity, illustrative=illustrative,
        )  # fmt: skip
    await seed_region_register(session, region.id)
    await seed_catalogue(session, region_id=region.id, profile_ids=profile_ids, valid_from=date(now.year - 1, 1, 1))
    ctx = DemoContext(region.id, municipality_ids, profile_ids, rng=random.Random(seed))
    ctx.password_hash = hash_password(DEMO_PASSWORD)
    await _seed_people(session, ctx)
    from contracts.demo import seed_register
    from contracts.public import link_applicant

    provider_id, application_id = await seed_register(session, ctx, now=now)
    await demo_user(session, ctx, email="aanbieder@demo.example", name="Pim Aanbieder", role="provider",
                    where="/portaal", provider_id=provider_id)  # fmt: skip
    if application_id is not None:
        user_id = await demo_user(session, ctx, email="aanvrager@demo.example", name="Ada Aanvrager",
                                  role="applicant", where="/mijn-aanmelding", application_id=application_id)  # fmt: skip
        await link_applicant(session, application_id, user_id)
    await seed_offerings_demo(session, region_id=region.id, rng=ctx.rng, today=today(now))
    await _seed_money(session, ctx, first_day=date(now.year - 1, 1, 1), day=today(now))
    return ctx


async def _seed_money(session: AsyncSession, ctx: DemoContext, *, first_day: date, day: date) -> None:
    """Family plans and about 2,000 arrangements over two years (contracts), then what invoicing made of them."""
    from contracts.demo_arrangements import seed_arrangements_demo

    referrer_membership_id = (
        await session.execute(
            select(Membership.id).where(
                Membership.user_id == ctx.referrer_user_id, Membership.region_id == ctx.region_id
            )
        )
    ).scalar_one()
    await seed_arrangements_demo(
        session, region_id=ctx.region_id, referrer_membership_id=referrer_membership_id,
        referrer_user_id=ctx.referrer_user_id, municipality_ids=list(ctx.municipality_ids.values()), rng=ctx.rng,
        day=day, first_day=first_day,
    )  # fmt: skip
    from invoicing.demo import seed_declarations_demo, seed_funding_demo

    await seed_declarations_demo(session, region_id=ctx.region_id, day=day)
    providers = [p for (p,) in await session.execute(text(
        "SELECT provider_id FROM contracts_framework_contract WHERE region_id = :r AND status = 'active' "
        "ORDER BY provider_id LIMIT 2"), {"r": ctx.region_id})]  # fmt: skip
    await seed_funding_demo(session, region_id=ctx.region_id, municipality_ids=ctx.municipality_ids,
                            provider_ids=providers, day=day, rng=ctx.rng)  # fmt: skip


async def demo_user(session: AsyncSession, ctx: DemoContext, *, email: str, name: str, role: str, where: str,
                    **binding: int | None) -> int:  # fmt: skip
    now = utcnow()
    user = await create_user(session, email=email, name=name, password="", password_hash=ctx.password_hash, now=now)
    assert user.id is not None
    await add_membership(session, user_id=user.id, region_id=ctx.region_id, role=role, now=now, **binding)
    ctx.logins.append((role, email, where))
    return user.id


async def _seed_people(session: AsyncSession, ctx: DemoContext) -> None:
    ctx.team_user_id = await demo_user(
        session, ctx, email="beheer@wbw.example", name="Anne de Beheerder", role="team_admin", where="/team"
    )
    await demo_user(session, ctx, email="contract@wbw.example", name="Karim Contractmanager",
                    role="team_contracts", where="/team")  # fmt: skip
    await demo_user(session, ctx, email="financien@wbw.example", name="Fleur Financiën", role="team_finance",
                    where="/team")  # fmt: skip
    await demo_user(session, ctx, email="kwaliteit@wbw.example", name="Quinten Kwaliteit", role="team_quality",
                    where="/team")  # fmt: skip
    await demo_user(session, ctx, email="gemeente@roosendaal.example", name="Gijs Gemeente", role="municipality",
                    where="/gemeente/dashboard", municipality_id=ctx.municipality_ids["1674"])  # fmt: skip
    ctx.referrer_user_id = await demo_user(session, ctx, email="verwijzer@wbw.example", name="Vera Verwijzer",
                                           role="referrer", where="/verwijzer")  # fmt: skip


def print_logins(host: str, port: int, logins: list[tuple[str, str, str]] | None = None) -> None:
    from jeugdregio.templating import role_label

    base = f"http://{host}:{port}"
    rows = logins or DEFAULT_LOGINS
    print(f"\nJeugdregio draait op {base}  (stoppen: Ctrl-C)\nWachtwoord voor alle demo-accounts: {DEMO_PASSWORD}\n")
    for role, email, where in rows:
        print(f"  {role_label(role):34} {email:34} {base}{where}")
    print(f"\n  Openbaar: {base}/catalogus  ·  {base}/aanmelden  ·  API-beschrijving: {base}/schema\n", flush=True)


DEFAULT_LOGINS = [
    ("team_admin", "beheer@wbw.example", "/team"),
    ("team_contracts", "contract@wbw.example", "/team"),
    ("team_finance", "financien@wbw.example", "/team"),
    ("team_quality", "kwaliteit@wbw.example", "/team"),
    ("municipality", "gemeente@roosendaal.example", "/gemeente/dashboard"),
    ("referrer", "verwijzer@wbw.example", "/verwijzer"),
    ("provider", "aanbieder@demo.example", "/portaal"),
    ("applicant", "aanvrager@demo.example", "/mijn-aanmelding"),
]
