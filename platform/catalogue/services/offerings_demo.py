"""Demo offerings for a region's listings: clearly labelled example text, target groups, specialisms, languages,
a religious identity for a few and waiting times (some confirmations deliberately stale)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from catalogue.models import ArrangementType, Listing, OfferedType, WaitingTime
from catalogue.services.listings import refresh_search

DEMO_TARGET_GROUPS = ["0-4 jaar", "4-12 jaar", "12-18 jaar", "18-23 jaar", "ouders", "gezinnen", "jonge moeders",
                      "licht verstandelijke beperking", "pleeggezinnen"]  # fmt: skip
DEMO_SPECIALISMS = ["scheidingsproblematiek", "systeemtherapie", "traumabehandeling", "EMDR", "autisme", "ADHD",
                    "angst en depressie", "hechtingsproblematiek", "opvoedondersteuning", "middelengebruik",
                    "schoolverzuim", "video-interactiebegeleiding", "agressieregulatie", "eetproblemen"]  # fmt: skip
DEMO_LANGUAGES = ["Engels", "Arabisch", "Turks", "Pools", "Tigrinya"]
DEMO_IDENTITIES = ["algemeen", "algemeen", "islamitisch", "katholiek"]


def _slug(name: str) -> str:
    return "".join(ch for ch in name.lower().split(" de ")[-1] if ch.isalnum())


def _demo_fields(listing: Listing, rng: random.Random, identity: str) -> dict[str, Any]:
    specialisms = rng.sample(DEMO_SPECIALISMS, rng.randint(2, 4))
    return {
        "id": listing.id,
        "description": (
            f"[Demotekst] {listing.name} biedt jeugdhulp aan kinderen, jongeren en hun ouders, met aandacht voor "
            f"{' en '.join(specialisms[:2])}. Deze beschrijving is voorbeelddata en hoort niet bij een echte "
            "aanbieder."
        ),
        "target_groups": rng.sample(DEMO_TARGET_GROUPS, rng.randint(1, 3)),
        "specialisms": specialisms,
        "languages": ["Nederlands", *[lang for lang in DEMO_LANGUAGES if rng.random() < 0.2]],
        "religious_identity": identity,
        # public contact details of the organisation (the register's contact person is not copied)
        "email": f"info@{_slug(listing.name)}.demo.example",
        "phone": f"0165-{rng.randint(100000, 999999)}",
        "accessibility": rng.choice(["Rolstoeltoegankelijk, invalidenparkeerplaats bij de deur.",
                                     "Begane grond; lift aanwezig.", "Gesprekken ook aan huis mogelijk."]),
    }  # fmt: skip


async def seed_offerings_demo(session: AsyncSession, *, region_id: int, rng: random.Random, today: date) -> int:
    """Fill every listing of the region with demo offerings (clearly labelled text, target groups, specialisms,
    languages, a religious identity for a few, waiting times for every offered profile with ~15 % of the
    confirmations older than 30 days). Idempotent per listing. Returns the number of listings filled."""
    listings = list((await session.execute(
        select(Listing).where(Listing.region_id == region_id).order_by(Listing.id)  # type: ignore[arg-type]
    )).scalars())  # fmt: skip
    if not listings:
        return 0
    identities = ["reformatorisch", *DEMO_IDENTITIES]
    chosen = rng.sample(range(len(listings)), min(len(identities), len(listings)))
    identity_of = {listings[i].id: identities[n] for n, i in enumerate(chosen)}
    rows = [_demo_fields(item, rng, identity_of.get(item.id, "")) for item in listings]
    await session.execute(update(Listing), rows)  # one UPDATE per listing by primary key (executemany)
    ids = [int(item.id or 0) for item in listings]
    for item in listings:
        session.expire(item)  # refresh_search reads the new values
    stamp = datetime.combine(today, time(12), tzinfo=UTC)
    offered = await session.execute(
        select(OfferedType.listing_id, ArrangementType.profile_id).distinct()
        .join(ArrangementType, ArrangementType.id == OfferedType.arrangement_type_id)  # type: ignore[arg-type]
        .where(OfferedType.region_id == region_id)
    )  # fmt: skip
    waits = [{"region_id": region_id, "listing_id": lid, "profile_id": pid, "weeks": _demo_weeks(rng),
              "confirmed_on": _demo_confirmed(rng, today), "updated_at": stamp}
             for lid, pid in sorted(offered.all())]  # fmt: skip
    if waits:
        stmt = insert(WaitingTime).values(waits)
        await session.execute(stmt.on_conflict_do_update(
            index_elements=["listing_id", "profile_id"],
            set_={"weeks": stmt.excluded.weeks, "confirmed_on": stmt.excluded.confirmed_on},
        ))  # fmt: skip
    for listing_id in ids:
        await refresh_search(session, listing_id)
    return len(ids)


def _demo_weeks(rng: random.Random) -> int:
    return rng.randint(26, 60) if rng.random() < 0.08 else rng.randint(0, 20)


def _demo_confirmed(rng: random.Random, today: date) -> date:
    return today - timedelta(days=rng.randint(31, 120) if rng.random() < 0.15 else rng.randint(0, 30))
