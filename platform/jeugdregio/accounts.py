"""Account wiring for the CLI: resolves region, municipality and provider by their public codes."""

from __future__ import annotations

from sqlalchemy import select

from catalogue.public import DEFAULT_PROFILES, create_profile, seed_catalogue
from contracts.public import provider_id_by_agb, seed_region_register
from jeugdregio.clock import utcnow
from jeugdregio.db import make_engine, make_sessionmaker
from jeugdregio.errors import ValidationFailed
from jeugdregio.rules_region import parse_municipalities
from jeugdregio.tables import Municipality, Region
from jeugdregio.users import add_membership, create_user


async def create_user_cli(
    url: str, *, email: str, name: str, password: str, role: str, region: str,
    municipality: str | None, provider_agb: str | None,
) -> None:  # fmt: skip
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            region_row = (await session.execute(select(Region).where(Region.slug == region))).scalar_one_or_none()
            if region_row is None or region_row.id is None:
                raise ValidationFailed.single("region", f"Regio '{region}' bestaat niet.")
            municipality_id = None
            if municipality:
                municipality_id = (
                    await session.execute(
                        select(Municipality.id).where(
                            Municipality.region_id == region_row.id, Municipality.cbs_code == municipality
                        )
                    )
                ).scalar_one_or_none()
                if municipality_id is None:
                    raise ValidationFailed.single("municipality", f"Gemeente met CBS-code {municipality} onbekend.")
            provider_id = await provider_id_by_agb(session, region_row.id, provider_agb) if provider_agb else None
            if provider_agb and provider_id is None:
                raise ValidationFailed.single("provider", f"Aanbieder met AGB-code {provider_agb} onbekend.")
            now = utcnow()
            user = await create_user(session, email=email, name=name, password=password, now=now)
            assert user.id is not None
            await add_membership(
                session, user_id=user.id, region_id=region_row.id, role=role, now=now,
                municipality_id=municipality_id, provider_id=provider_id,
            )  # fmt: skip
    finally:
        await engine.dispose()


async def create_region_cli(
    url: str, *, slug: str, name: str, municipalities: list[str], admission_mode: str, letterhead: str,
) -> None:  # fmt: skip
    """A new tenant: region, member municipalities (CODE:Name), default requirements and care profiles."""
    pairs = parse_municipalities(municipalities)
    if admission_mode not in ("open", "windows"):
        raise ValidationFailed.single("admission_mode", "Kies 'open' (hele jaar) of 'windows' (toetredingsvensters).")
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            if (await session.execute(select(Region.id).where(Region.slug == slug))).first():
                raise ValidationFailed.single("slug", f"Regio '{slug}' bestaat al.")
            region = Region(slug=slug, name=name, admission_mode=admission_mode, letterhead_address=letterhead,
                            created_at=utcnow())  # fmt: skip
            session.add(region)
            await session.flush()
            assert region.id is not None
            for code, municipality in pairs:
                session.add(Municipality(region_id=region.id, cbs_code=code, name=municipality))
            profile_ids = {}
            for number, title, description, complexity, illustrative in DEFAULT_PROFILES:
                profile_ids[number] = await create_profile(
                    session, region_id=region.id, number=number, name=title, description=description,
                    complexity=complexity, illustrative=illustrative,
                )  # fmt: skip
            today = utcnow().date()
            await seed_catalogue(session, region_id=region.id, profile_ids=profile_ids,
                                 valid_from=today.replace(month=1, day=1))  # fmt: skip
            await seed_region_register(session, region.id)
    finally:
        await engine.dispose()
