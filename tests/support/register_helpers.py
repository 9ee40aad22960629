"""Helpers for the application workflow tests: a valid multipart application with tiny valid files, row
counts, principals and API tokens, and quick service-level set-ups (committed) for access tests."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
from sqlalchemy import func, select, text

from contracts.models import Application, Requirement
from contracts.schemas import ApplicationInput, DecisionInput, EvidenceFile, ReviewVerdict
from contracts.services import application_review, applications
from jeugdregio.auth import Principal, create_api_token
from jeugdregio.clock import today, utcnow
from jeugdregio.tables import Membership, User
from tests.support.factories import PASSWORD, TestRegion, csrf_from

TINY_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TINY_PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
APPLICANT_PASSWORD = "aanmelder-wachtwoord-1"


@dataclass(frozen=True)
class Req:
    id: int
    code: str
    title: str
    evidence_required: bool


async def requirements(region: TestRegion) -> list[Req]:
    async with region.maker() as s:
        rows = await s.execute(
            select(Requirement).where(Requirement.region_id == region.id).order_by(Requirement.sort_order)
        )
        return [Req(r.id, r.code, r.title, r.evidence_required) for r in rows.scalars()]  # type: ignore[arg-type]


def unique_digits() -> str:
    return f"{secrets.randbelow(9 * 10**7) + 10**7:08d}"


def application_fields(region: TestRegion, **overrides: Any) -> dict[str, Any]:
    digits = unique_digits()
    fields: dict[str, Any] = {
        "regio": region.slug,
        "org_name": f"Zorg & Co {digits}",
        "kvk": digits,
        "agb": unique_digits(),
        "street": "Hoofdstraat 12",
        "postcode": "4701ab",
        "city": "Roosendaal",
        "contact_name": "Anna Aanbieder",
        "contact_email": f"anna-{digits}@example.org",
        "contact_phone": "0165 123456",
        "vision": "Wij werken systemisch, met het hele gezin.",
        "profile_ids": [str(region.profile_ids[1]), str(region.profile_ids[2])],
        "municipality_ids": [str(region.municipality_ids[0])],
        "password": APPLICANT_PASSWORD,
        "password_confirm": APPLICANT_PASSWORD,
    }
    fields.update(overrides)
    return {k: v for k, v in fields.items() if v is not None}


def evidence_files(reqs: list[Req], *, only_required: bool = True, override: dict[int, Any] | None = None) -> list[Any]:
    """One tiny valid file per (required) requirement; `override` maps requirement id -> (name, bytes) or None."""
    files = []
    for r in reqs:
        if only_required and not r.evidence_required:
            continue
        item = (override or {}).get(r.id, (f"{r.code}.pdf", TINY_PDF))
        if item is not None:
            files.append((f"evidence_{r.id}", (item[0], item[1], "application/octet-stream")))
    return files


async def post_application(
    client: httpx.AsyncClient,
    region: TestRegion,
    *,
    fields: dict[str, Any] | None = None,
    files: list[Any] | None = None,
    reqs: list[Req] | None = None,
    with_csrf: bool = True,
) -> httpx.Response:
    data = dict(fields or application_fields(region))
    if files is None:
        files = evidence_files(reqs or await requirements(region))
    if with_csrf:
        page = await client.get(f"/aanmelden?regio={region.slug}")
        data["_csrf_token"] = csrf_from(page.text)
    return await client.post("/aanmelden", data=data, files=files)


async def count_rows(region: TestRegion) -> dict[str, int]:
    tables = (
        "contracts_application",
        "contracts_application_profile",
        "contracts_application_municipality",
        "contracts_evidence",
        "jeugdregio_document",
        "jeugdregio_membership",
        "jeugdregio_outbox_message",
    )
    async with region.maker() as s:
        return {
            t: (await s.execute(text(f"SELECT count(*) FROM {t} WHERE region_id = :r"), {"r": region.id})).scalar_one()  # noqa: S608
            for t in tables
        }


async def user_exists(region: TestRegion, email: str) -> bool:
    async with region.maker() as s:
        return (await s.execute(select(func.count()).where(User.email == email.lower()))).scalar_one() > 0


async def principal_for(region: TestRegion, email: str) -> Principal:
    async with region.maker() as s:
        user, m = (
            await s.execute(
                select(User, Membership)
                .join(Membership, Membership.user_id == User.id)
                .where(User.email == email.lower(), Membership.region_id == region.id)
            )
        ).one()
        return Principal(
            user_id=user.id,
            membership_id=m.id,
            region_id=m.region_id,
            role=m.role,
            name=user.name,  # type: ignore[arg-type]
            email=user.email,
            municipality_id=m.municipality_id,
            provider_id=m.provider_id,
            application_id=m.application_id,
        )


async def token_for(region: TestRegion, email: str) -> dict[str, str]:
    """Authorization headers with a fresh API token for this user's membership."""
    principal = await principal_for(region, email)
    async with region.maker() as s:
        token, _ = await create_api_token(s, principal, name="test", now=utcnow())
        await s.commit()
    return {"authorization": f"Bearer {token}"}


async def get_application(region: TestRegion, application_id: int) -> Application:
    async with region.maker() as s:
        app = await s.get(Application, application_id)
        assert app is not None
        return app


async def apply_via_service(region: TestRegion, **overrides: Any) -> tuple[int, str]:
    """A committed application with an applicant account; returns (application id, applicant e-mail)."""
    fields = application_fields(region, **overrides)
    reqs = await requirements(region)
    data = ApplicationInput(
        **{k: v for k, v in fields.items() if k not in ("regio", "profile_ids", "municipality_ids")},
        profile_ids=tuple(fields["profile_ids"]),
        municipality_ids=tuple(fields["municipality_ids"]),
        evidence=tuple(
            EvidenceFile(r.id, TINY_PDF, f"{r.code}.pdf", field=f"evidence_{r.id}") for r in reqs if r.evidence_required
        ),
    )
    async with region.maker() as s:
        result = await applications.submit_application(s, data, slug=region.slug, principal=None, now=utcnow())
        await s.commit()
    assert result.application.id is not None
    return result.application.id, fields["contact_email"]


async def pass_all(region: TestRegion, application_id: int, team_email: str) -> None:
    team = await principal_for(region, team_email)
    verdicts = [ReviewVerdict(r.id, True) for r in await requirements(region)]
    async with region.maker() as s:
        await application_review.record_reviews(
            s, team, application_id, verdicts, partial=False, actor=team.actor(), now=utcnow()
        )
        await s.commit()


async def decide_via_service(
    region: TestRegion, application_id: int, team_email: str, decision: str, reason: str = ""
) -> Application:
    team = await principal_for(region, team_email)
    async with region.maker() as s:
        app = await application_review.decide_application(
            s,
            team,
            application_id,
            DecisionInput(decision, reason, today().isoformat()),
            actor=team.actor(),
            now=utcnow(),
        )
        await s.commit()
        return app


async def admitted_provider(region: TestRegion, team_email: str) -> tuple[int, str]:
    """An application admitted end to end through the services; returns (application id, provider e-mail)."""
    application_id, email = await apply_via_service(region)
    await pass_all(region, application_id, team_email)
    await decide_via_service(region, application_id, team_email, "admit")
    return application_id, email


async def login_as(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> None:
    page = await client.get("/inloggen")
    r = await client.post("/inloggen", data={"email": email, "password": password, "_csrf_token": csrf_from(page.text)})
    assert r.status_code == 303, r.text[:300]


def today_iso(offset_days: int = 0) -> str:
    from datetime import timedelta

    return (today() + timedelta(days=offset_days)).isoformat()


def a_date(iso: str) -> date:
    return date.fromisoformat(iso)
