"""Benchmark data: one region built with the project's own functions, bulk rows with set-based SQL.

The region has nine municipalities and ten care profiles (catalogue.public.create_profile), the default
register requirements (contracts.public.seed_region_register), N providers with a live framework contract,
contract lots and the municipalities they serve, a team_admin with an API token (jeugdregio.auth.create_api_token)
and one API user + token per provider. Arrangements join here once their table exists (later issues).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from catalogue.public import create_profile
from contracts.public import seed_region_register
from jeugdregio.auth import Principal, create_api_token
from jeugdregio.clock import utcnow
from jeugdregio.db import make_engine, make_sessionmaker
from jeugdregio.security import new_token, token_hash
from jeugdregio.tables import Municipality, Region
from jeugdregio.users import add_membership, create_user

ADMIN_EMAIL = "beheer@bench.example"
ADMIN_PASSWORD = "bench-wachtwoord-2026"  # noqa: S105 - benchmark data in a throw-away database


MUNICIPALITIES = [
    ("0748", "Bergen op Zoom"), ("0777", "Etten-Leur"), ("1655", "Halderberge"), ("1709", "Moerdijk"),
    ("1674", "Roosendaal"), ("0840", "Rucphen"), ("0851", "Steenbergen"), ("0873", "Woensdrecht"),
    ("0879", "Zundert"),
]  # fmt: skip
PROFILES = [(n, f"Zorgprofiel {n}", f"Beschrijving van zorgprofiel {n}.", "high" if n > 8 else "low", True)
            for n in range(1, 11)]  # fmt: skip


@dataclass
class BenchData:
    region_id: int
    municipality_ids: list[int]
    profile_ids: dict[int, int]
    provider_ids: list[int]
    admin_user_id: int
    admin_token: str  # Bearer token of the team_admin
    provider_tokens: list[str] = field(default_factory=list)  # one Bearer token per provider's API user
    floor_row_id: int = 0  # the row the floor app reads by primary key (jeugdregio_user)
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> str:
        counts = ", ".join(f"{n:,} {name}" for name, n in self.rows.items())
        return f"one region: {counts} (built in {self.seconds:.1f} s)"


async def build(url: str, *, providers: int = 150) -> BenchData:
    start = time.perf_counter()
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            data = await _build(session, providers=providers)
            await session.commit()
        async with engine.connect() as conn:
            await conn.execute(text("ANALYZE"))
            data.rows = {
                name: int((await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())  # noqa: S608
                for name, table in COUNTED.items()
            }
            await conn.commit()
    finally:
        await engine.dispose()
    data.seconds = time.perf_counter() - start
    return data


COUNTED = {
    "municipalities": "jeugdregio_municipality",
    "care profiles": "catalogue_care_profile",
    "providers": "contracts_provider",
    "provider–municipality links": "contracts_provider_municipality",
    "framework contracts": "contracts_framework_contract",
    "contract lots": "contracts_contract_lot",
    "users": "jeugdregio_user",
    "API tokens": "jeugdregio_api_token",
}


async def _build(s: AsyncSession, *, providers: int) -> BenchData:
    now = utcnow()
    region = Region(slug="bench", name="Benchregio", admission_mode="open",
                    letterhead_address="Postbus 1 · 4700 AA Roosendaal", created_at=now)  # fmt: skip
    s.add(region)
    await s.flush()
    assert region.id is not None
    rid = region.id
    municipality_ids = []
    for code, name in MUNICIPALITIES:
        m = Municipality(region_id=rid, cbs_code=code, name=name)
        s.add(m)
        await s.flush()
        assert m.id is not None
        municipality_ids.append(m.id)
    profile_ids = {}
    for number, name, description, complexity, illustrative in PROFILES:
        profile_ids[number] = await create_profile(
            s, region_id=rid, number=number, name=name, description=description, complexity=complexity,
            illustrative=illustrative,
        )  # fmt: skip
    await seed_region_register(s, rid)

    provider_ids = await _providers(s, rid, providers)

    # the team_admin whose token the API workloads use (argon2 once; the project's own functions)
    user = await create_user(s, email=ADMIN_EMAIL, name="Bench Beheerder", password=ADMIN_PASSWORD, now=now)
    assert user.id is not None
    membership = await add_membership(s, user_id=user.id, region_id=rid, role="team_admin", now=now)
    assert membership.id is not None
    principal = Principal(user_id=user.id, membership_id=membership.id, region_id=rid, role="team_admin",
                          name=user.name, email=user.email)  # fmt: skip
    admin_token, _ = await create_api_token(s, principal, name="bench", now=now)

    provider_tokens = await _provider_api_users(s, rid, admin_user_id=user.id, password_hash=user.password_hash)
    return BenchData(
        region_id=rid, municipality_ids=municipality_ids, profile_ids=profile_ids, provider_ids=provider_ids,
        admin_user_id=user.id, admin_token=admin_token, provider_tokens=provider_tokens, floor_row_id=user.id,
    )  # fmt: skip


CITIES = ["Bergen op Zoom", "Etten-Leur", "Oudenbosch", "Zevenbergen", "Roosendaal", "Rucphen", "Steenbergen",
          "Hoogerheide", "Zundert", "Breda", "Tilburg", "Goes"]  # fmt: skip


async def _providers(s: AsyncSession, rid: int, n: int) -> list[int]:
    """Providers, their live framework contracts, lots and municipalities: four INSERT … SELECT statements."""
    ids = list(
        (
            await s.execute(
                text("""
                INSERT INTO contracts_provider (region_id, name, kvk, agb, street, postcode, city, contact_name,
                    contact_email, contact_phone, status, admitted_on, created_at)
                SELECT :rid, 'Jeugdhulp Bench ' || g, (50000000 + g)::text, '98' || lpad(g::text, 6, '0'),
                    'Benchstraat ' || g, (4700 + g % 90)::text || 'AB', (CAST(:cities AS text[]))[1 + g % 12],
                    'Contactpersoon ' || g, 'contact' || g || '@aanbieder.example', '',
                    CASE WHEN g % 50 = 7 THEN 'suspended' ELSE 'active' END,
                    current_date - (30 + g * 7 % 900), now()
                FROM generate_series(1, :n) AS g
                ORDER BY g
                RETURNING id
                """),
                {"rid": rid, "n": n, "cities": CITIES},
            )
        ).scalars()
    )
    await s.execute(
        text("""
        INSERT INTO contracts_framework_contract (region_id, provider_id, number, starts_on, status, version,
            status_reason, created_at)
        SELECT p.region_id, p.id, 'RO-' || lpad(p.id::text, 6, '0'), p.admitted_on, p.status, 1, '', now()
        FROM contracts_provider p WHERE p.region_id = :rid
        """),
        {"rid": rid},
    )
    await s.execute(
        text("""
        INSERT INTO contracts_contract_lot (region_id, contract_id, profile_id)
        SELECT c.region_id, c.id, cp.id
        FROM contracts_framework_contract c JOIN catalogue_care_profile cp ON cp.region_id = c.region_id
        WHERE c.region_id = :rid AND (c.id + cp.number) % 3 <> 0
        """),
        {"rid": rid},
    )
    await s.execute(
        text("""
        INSERT INTO contracts_provider_municipality (region_id, provider_id, municipality_id)
        SELECT p.region_id, p.id, m.id
        FROM contracts_provider p JOIN jeugdregio_municipality m ON m.region_id = p.region_id
        WHERE p.region_id = :rid AND (p.id * 7 + m.id) % 4 <> 0
        """),
        {"rid": rid},
    )
    return ids


async def _provider_api_users(s: AsyncSession, rid: int, *, admin_user_id: int, password_hash: str) -> list[str]:
    """One API user per provider (role provider) with one token each; only the tokens' hashes are stored."""
    await s.execute(
        text("""
        INSERT INTO jeugdregio_user (email, name, password_hash, active, created_at)
        SELECT 'api-' || p.agb || '@aanbieder.example', 'API ' || p.name, :ph, true, now()
        FROM contracts_provider p WHERE p.region_id = :rid ORDER BY p.id
        """),
        {"rid": rid, "ph": password_hash},
    )
    membership_ids = list(
        (
            await s.execute(
                text("""
                INSERT INTO jeugdregio_membership (region_id, user_id, role, provider_id, created_at)
                SELECT p.region_id, u.id, 'provider', p.id, now()
                FROM contracts_provider p JOIN jeugdregio_user u ON u.email = 'api-' || p.agb || '@aanbieder.example'
                WHERE p.region_id = :rid ORDER BY p.id
                RETURNING id
                """),
                {"rid": rid},
            )
        ).scalars()
    )
    tokens = ["jr_" + new_token() for _ in membership_ids]
    await s.execute(
        text("""
        INSERT INTO jeugdregio_api_token (region_id, membership_id, name, token_hash, prefix, created_at, created_by)
        SELECT :rid, t.membership_id, 'bench', t.token_hash, t.prefix, now(), :admin
        FROM unnest(CAST(:mids AS integer[]), CAST(:hashes AS text[]), CAST(:prefixes AS text[]))
            AS t(membership_id, token_hash, prefix)
        """),
        {
            "rid": rid, "admin": admin_user_id, "mids": membership_ids,
            "hashes": [token_hash(t) for t in tokens], "prefixes": [t[:10] for t in tokens],
        },
    )  # fmt: skip
    return tokens


# ---- the public catalogue at ten times the demo size ("catalogue search" workload) -----------------------

CATALOGUE_SLUG = "catalogus-bench"
SETTINGS = [("AMB", "Ambulant"), ("DAG", "Dagbehandeling"), ("VBL", "Verblijf licht"), ("PLG", "Pleegzorg")]
INTENSITIES = [("A", "Acuut", "result_50_50"), ("P", "Perspectief", "result_50_50"),
               ("I", "Intensief", "result_50_50"), ("D", "Duurzaam", "monthly")]  # fmt: skip
NAME_WORDS = ["Jeugdhulp", "Gezinsbegeleiding", "Zorgboerderij", "Praktijk", "Stichting", "Jeugdzorg",
              "Opvoedondersteuning", "Kindertherapie"]  # fmt: skip
NAME_PLACES = ["De Linde", "Het Anker", "De Klaver", "Kompas", "Horizon", "De Brug", "Zonnebloem", "Het Baken",
               "De Wissel", "Sterk"]  # fmt: skip
DESCRIPTIONS = [
    "Hulp bij ruzie tussen ouders na een scheiding, met aandacht voor het hele gezin.",
    "Wij begeleiden gezinnen thuis bij de opvoeding van kinderen met gedragsproblemen.",
    "Dagbesteding op de boerderij voor jongeren die vastlopen op school.",
    "Behandeling van angst, somberheid en trauma bij kinderen en jongeren.",
    "Ondersteuning van jongvolwassenen bij wonen, werk en zelfstandigheid.",
]


@dataclass
class CatalogueData:
    region_id: int
    slug: str
    municipality_ids: list[int]
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> str:
        counts = ", ".join(f"{n:,} {name}" for name, n in self.rows.items())
        return f"catalogue region '{self.slug}': {counts} (built in {self.seconds:.1f} s)"


async def build_catalogue(url: str, *, listings: int = 1500) -> CatalogueData:
    """A second region with `listings` providers and their public listings (about 6 % suspended or ended),
    offered arrangement types, locations, municipalities served and waiting times — set-based SQL; the search
    fields as catalogue.services.listings.refresh_search computes them (trigrams from catalogue.rules)."""
    start = time.perf_counter()
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as s:
            data = await _catalogue(s, listings)
            await s.commit()
        async with engine.connect() as conn:
            await conn.execute(text("ANALYZE"))
            for name, table in CATALOGUE_COUNTED.items():
                data.rows[name] = int((await conn.execute(
                    text(f"SELECT count(*) FROM {table} WHERE region_id = :rid"), {"rid": data.region_id}  # noqa: S608
                )).scalar_one())  # fmt: skip
            await conn.commit()
    finally:
        await engine.dispose()
    data.seconds = time.perf_counter() - start
    return data


CATALOGUE_COUNTED = {
    "listings": "catalogue_listing",
    "arrangement types": "catalogue_arrangement_type",
    "offered types": "catalogue_offered_type",
    "municipalities served": "catalogue_listing_municipality",
    "waiting times": "catalogue_waiting_time",
}


async def _catalogue_reference(s: AsyncSession, rid: int) -> None:
    """Settings, the four low-complex intensities and 45 arrangement types (10 profiles × A/P/I/D ambulant, and
    day treatment for the intensive type of profiles 1-5)."""
    await s.execute(
        text("""INSERT INTO catalogue_setting (region_id, code, name, sort_order)
                SELECT :rid, t.code, t.name, t.ord FROM unnest(CAST(:codes AS text[]), CAST(:names AS text[]))
                WITH ORDINALITY AS t(code, name, ord)"""),
        {"rid": rid, "codes": [c for c, _ in SETTINGS], "names": [n for _, n in SETTINGS]},
    )
    await s.execute(
        text("""INSERT INTO catalogue_intensity (region_id, complexity, code, name, payment_model, sort_order)
                SELECT :rid, 'low', t.code, t.name, t.pm, t.ord
                FROM unnest(CAST(:codes AS text[]), CAST(:names AS text[]), CAST(:pms AS text[]))
                WITH ORDINALITY AS t(code, name, pm, ord)"""),
        {"rid": rid, "codes": [c for c, _, _ in INTENSITIES], "names": [n for _, n, _ in INTENSITIES],
         "pms": [p for _, _, p in INTENSITIES]},
    )  # fmt: skip
    await s.execute(
        text("""INSERT INTO catalogue_arrangement_type (region_id, code, profile_id, intensity_id, setting_id,
                    complexity, payment_model, max_months, ijw_product_category, ijw_product_code, unit, active)
                SELECT :rid, '5' || lpad(p.number::text, 2, '0') || i.code || 'L' || CASE WHEN st.code = 'AMB'
                    THEN '' ELSE st.code END, p.id, i.id, st.id, p.complexity, i.payment_model,
                    CASE WHEN i.payment_model = 'monthly' THEN 6 END, '45',
                    '5' || lpad(p.number::text, 2, '0') || i.code || left(st.code, 1), '82', true
                FROM catalogue_care_profile p
                JOIN catalogue_intensity i ON i.region_id = p.region_id
                JOIN catalogue_setting st ON st.region_id = p.region_id
                WHERE p.region_id = :rid AND (st.code = 'AMB' OR (st.code = 'DAG' AND i.code = 'I' AND p.number <= 5))
             """),
        {"rid": rid},
    )


async def _catalogue(s: AsyncSession, n: int) -> CatalogueData:
    from catalogue.rules import trigrams

    now = utcnow()
    region = Region(slug=CATALOGUE_SLUG, name="Catalogusregio", admission_mode="open", created_at=now)
    s.add(region)
    await s.flush()
    assert region.id is not None
    rid = region.id
    mids = []
    for code, name in MUNICIPALITIES:
        m = Municipality(region_id=rid, cbs_code=code, name=name)
        s.add(m)
        await s.flush()
        assert m.id is not None
        mids.append(m.id)
    for number, name, description, complexity, illustrative in PROFILES:
        await create_profile(s, region_id=rid, number=number, name=name, description=description,
                             complexity=complexity, illustrative=illustrative)  # fmt: skip
    await _catalogue_reference(s, rid)
    await s.execute(
        text("""
        INSERT INTO contracts_provider (region_id, name, kvk, agb, street, postcode, city, contact_name,
            contact_email, contact_phone, status, admitted_on, created_at)
        SELECT :rid,
            (CAST(:words AS text[]))[1 + g % 8] || ' ' || (CAST(:places AS text[]))[1 + (g / 8) % 10] || ' ' || g,
            (60000000 + g)::text, '97' || lpad(g::text, 6, '0'), 'Catalogusstraat ' || g,
            (4700 + g % 90)::text || 'CD', (CAST(:cities AS text[]))[1 + g % 12], 'Contact ' || g,
            'info' || g || '@catalogus.example', '0165 ' || lpad(g::text, 6, '0'),
            CASE WHEN g % 40 = 7 THEN 'suspended' WHEN g % 97 = 3 THEN 'ended' ELSE 'active' END,
            current_date - 400, now()
        FROM generate_series(1, :n) AS g ORDER BY g
        """),
        {"rid": rid, "n": n, "words": NAME_WORDS, "places": NAME_PLACES, "cities": CITIES},
    )
    await s.execute(
        text("""
        INSERT INTO catalogue_listing (region_id, provider_id, name, city, status, description, website, email, phone,
            target_groups, specialisms, languages, religious_identity, accessibility, search_trigrams, updated_at)
        SELECT p.region_id, p.id, p.name, p.city, p.status, (CAST(:descriptions AS text[]))[1 + p.id % 5],
            'https://aanbieder' || p.id || '.example', p.contact_email, p.contact_phone,
            ARRAY[(ARRAY['0-4 jaar', '4-12 jaar', '12-18 jaar', '18-23 jaar'])[1 + p.id % 4]],
            ARRAY[(ARRAY['systeemtherapie', 'traumabehandeling', 'autisme', 'gezinshuis',
                         'ouderbegeleiding'])[1 + p.id % 5]],
            ARRAY['Nederlands'] || CASE p.id % 5 WHEN 0 THEN ARRAY['Arabisch'] WHEN 1 THEN ARRAY['Turks']
                                   WHEN 2 THEN ARRAY['Engels'] ELSE ARRAY[]::text[] END,
            CASE p.id % 7 WHEN 0 THEN 'Reformatorisch' WHEN 1 THEN 'Christelijk' WHEN 2 THEN 'Islamitisch' ELSE '' END,
            CASE WHEN p.id % 2 = 0 THEN 'Rolstoeltoegankelijk' ELSE '' END, '{}', now()
        FROM contracts_provider p WHERE p.region_id = :rid
        """),
        {"rid": rid, "descriptions": DESCRIPTIONS},
    )
    await s.execute(
        text("""
        INSERT INTO catalogue_listing_location (region_id, listing_id, street, postcode, city, municipality_id)
        SELECT l.region_id, l.id, 'Catalogusstraat ' || l.id, '4700 CD', l.city,
            (CAST(:mids AS integer[]))[1 + l.id % 9]
        FROM catalogue_listing l WHERE l.region_id = :rid;
        """),
        {"rid": rid, "mids": mids},
    )
    await s.execute(
        text("""
        INSERT INTO catalogue_listing_municipality (region_id, listing_id, municipality_id)
        SELECT l.region_id, l.id, m.id
        FROM catalogue_listing l JOIN jeugdregio_municipality m ON m.region_id = l.region_id
        WHERE l.region_id = :rid AND (l.id * 7 + m.id) % 3 <> 0
        """),
        {"rid": rid},
    )
    await s.execute(
        text("""
        INSERT INTO catalogue_offered_type (region_id, listing_id, arrangement_type_id)
        SELECT l.region_id, l.id, t.id
        FROM catalogue_listing l JOIN catalogue_arrangement_type t ON t.region_id = l.region_id
        JOIN catalogue_care_profile p ON p.id = t.profile_id
        WHERE l.region_id = :rid AND (l.id + p.number) % 3 = 0
        """),
        {"rid": rid},
    )
    await s.execute(
        text("""
        INSERT INTO catalogue_waiting_time (region_id, listing_id, profile_id, weeks, confirmed_on, updated_at)
        SELECT DISTINCT l.region_id, l.id, p.id, (l.id * 13 + p.number * 7) % 30, current_date - (l.id + p.number) % 60,
            now()
        FROM catalogue_listing l JOIN catalogue_offered_type o ON o.listing_id = l.id
        JOIN catalogue_arrangement_type t ON t.id = o.arrangement_type_id
        JOIN catalogue_care_profile p ON p.id = t.profile_id
        WHERE l.region_id = :rid
        """),
        {"rid": rid},
    )
    # the search fields, as refresh_search computes them
    await s.execute(
        text("""
        UPDATE catalogue_listing SET search_vector = setweight(to_tsvector('dutch', name), 'A')
            || to_tsvector('dutch', concat_ws(' ', name, city, description, array_to_string(specialisms, ' '),
               array_to_string(target_groups, ' '), array_to_string(languages, ' '), religious_identity))
        WHERE region_id = :rid
        """),
        {"rid": rid},
    )
    rows = (await s.execute(
        text("SELECT id, name, city, specialisms, target_groups FROM catalogue_listing WHERE region_id = :rid"),
        {"rid": rid},
    )).all()  # fmt: skip
    grams = ["|".join(trigrams(" ".join([r.name, r.city, *r.specialisms, *r.target_groups]))) for r in rows]
    await s.execute(
        text("""
        UPDATE catalogue_listing l SET search_trigrams = string_to_array(t.grams, '|')
        FROM unnest(CAST(:ids AS integer[]), CAST(:grams AS text[])) AS t(id, grams) WHERE l.id = t.id
        """),
        {"ids": [r.id for r in rows], "grams": grams},
    )
    return CatalogueData(region_id=rid, slug=CATALOGUE_SLUG, municipality_ids=mids)
