"""G1 / NEN 7513: every read of personal data in the register writes exactly one audit event with actor, role,
on whose behalf, purpose, object and time; a refused read (403/404) writes none, in any region.

Personal data here: the contact persons of applications and providers, and the documents (evidence, decision
letters, contract PDFs). The rule (docs/architecture.md, "What is audited"): every document download, and every
view of contact data by someone outside the organisation it belongs to; lists are one event per list view."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlmodel import col

from contracts.models import Application
from contracts.services.application_dossier import history
from jeugdregio import audit
from jeugdregio.audit import Actor
from jeugdregio.clock import utcnow
from jeugdregio.tables import AuditEvent
from tests.support import factories
from tests.support.factories import csrf, login
from tests.support.register_helpers import APPLICANT_PASSWORD, admitted_provider, login_as, principal_for, token_for
from tests.support.world import Objects, build_world

REVIEW, CONTRACTS, OWN_APPLICATION, OWN_ORGANISATION, LOOKUP = (
    "beoordeling aanmelding", "contractbeheer", "eigen aanmelding", "eigen organisatie", "raadplegen register",
)  # fmt: skip


@dataclass
class Setting:
    region: factories.TestRegion
    world: Objects
    decided_id: int  # an admitted application with its decision letter
    decided_email: str  # its applicant, now a provider account


@pytest.fixture
async def setting(regions: Any) -> Setting:
    region = await regions.create()
    world = await build_world(region)
    decided_id, decided_email = await admitted_provider(region, world.users["team_contracts"])
    return Setting(region, world, decided_id, decided_email)


async def _last_id(maker: Any) -> int:
    async with maker() as s:
        return int((await s.execute(select(func.coalesce(func.max(AuditEvent.id), 0)))).scalar_one())


async def _reads_since(maker: Any, last_id: int) -> list[AuditEvent]:
    """Read events (any region) written after `last_id`."""
    async with maker() as s:
        rows = await s.execute(
            select(AuditEvent)
            .where(AuditEvent.id > last_id, col(AuditEvent.action).in_(audit.READ_ACTIONS))
            .order_by(col(AuditEvent.id))
        )
        return list(rows.scalars())


async def _client(new_client: Any, email: str, password: str | None = None) -> httpx.AsyncClient:
    c: httpx.AsyncClient = new_client()
    if password is None:
        await login(c, email)
    else:
        await login_as(c, email, password)
    return c


async def _api(new_client: Any, region: factories.TestRegion, email: str) -> httpx.AsyncClient:
    c: httpx.AsyncClient = new_client()
    c.headers.update(await token_for(region, email))
    return c


async def _one_read(
    maker: Any, client: httpx.AsyncClient, path: str, *, region: factories.TestRegion, email: str, object_type: str,
    object_id: int | str, action: str, purpose: str, summary: dict[str, Any] | None = None,
) -> AuditEvent:  # fmt: skip
    """GET `path` (200) and return its one read event, checked field by field."""
    before_id, before = await _last_id(region.maker), utcnow()
    response = await client.get(path)
    after = utcnow()
    assert response.status_code == 200, (path, response.status_code, response.text[:300])
    events = await _reads_since(region.maker, before_id)
    assert len(events) == 1, (path, [(e.object_type, e.object_id, e.action) for e in events])
    event = events[0]
    who = await principal_for(region, email)
    assert (event.region_id, event.actor_user_id, event.actor_role) == (region.id, who.user_id, who.role), path
    assert event.actor_label.startswith(who.email)
    assert event.on_behalf_of, "on whose behalf"
    assert (event.object_type, event.object_id, event.action, event.purpose) == (
        object_type, str(object_id), action, purpose,
    ), path  # fmt: skip
    assert before <= event.at <= after
    assert event.request_id and event.request_id == response.headers["x-request-id"]
    for key, value in (summary or {}).items():
        assert event.summary.get(key) == value, (path, key, event.summary)
    return event


async def _no_read(maker: Any, client: httpx.AsyncClient, path: str, *, status: int | tuple[int, ...]) -> None:
    """GET `path`: refused (or own data) and no read event anywhere."""
    before_id = await _last_id(maker)
    response = await client.get(path)
    assert response.status_code in ((status,) if isinstance(status, int) else status), (path, response.status_code)
    assert await _reads_since(maker, before_id) == [], path


# ---- applications -----------------------------------------------------------------------------------------------


async def test_team_reads_of_an_application_are_audited_once(setting: Setting, new_client: Any) -> None:
    region, w = setting.region, setting.world
    email = w.users["team_contracts"]
    page, api = await _client(new_client, email), await _api(new_client, region, email)
    app_id, ev_id = w.open_application_id, w.open_evidence_id
    common = {"region": region, "email": email, "object_type": "application", "object_id": app_id}
    await _one_read(region.maker, page, f"/team/aanmeldingen/{app_id}", action="view", purpose=REVIEW, **common)
    event = await _one_read(region.maker, api, f"/api/v1/applications/{app_id}", action="view", purpose=REVIEW,
                            **common)  # fmt: skip
    assert event.actor_label.endswith("(API)")
    await _one_read(region.maker, page, f"/aanmeldingen/{app_id}/bewijs/{ev_id}", action="download", purpose=REVIEW,
                    summary={"bewijs": ev_id, "document": "bewijsstuk"}, **common)  # fmt: skip
    await _one_read(region.maker, api, f"/api/v1/applications/{app_id}/evidence/{ev_id}", action="download",
                    purpose=REVIEW, summary={"bewijs": ev_id}, **common)  # fmt: skip
    await _one_read(region.maker, page, f"/documenten/evidence/{ev_id}", action="download", purpose=REVIEW,
                    summary={"bewijs": ev_id}, **common)  # fmt: skip


async def test_the_applicant_reading_its_own_application_logs_only_downloads(
    setting: Setting, new_client: Any
) -> None:
    region, w = setting.region, setting.world
    email = w.users["applicant"]
    page, api = await _client(new_client, email), await _api(new_client, region, email)
    app_id, ev_id = w.open_application_id, w.open_evidence_id
    await _no_read(region.maker, page, "/mijn-aanmelding", status=200)  # its own contact details
    await _no_read(region.maker, api, f"/api/v1/applications/{app_id}", status=200)
    common = {"region": region, "email": email, "object_type": "application", "object_id": app_id}
    await _one_read(region.maker, page, f"/aanmeldingen/{app_id}/bewijs/{ev_id}", action="download",
                    purpose=OWN_APPLICATION, **common)  # fmt: skip
    await _one_read(region.maker, api, f"/api/v1/applications/{app_id}/evidence/{ev_id}", action="download",
                    purpose=OWN_APPLICATION, **common)  # fmt: skip
    await _one_read(region.maker, page, f"/documenten/evidence/{ev_id}", action="download", purpose=OWN_APPLICATION,
                    **common)  # fmt: skip


async def test_decision_letter_downloads_are_audited(setting: Setting, new_client: Any) -> None:
    region, app_id = setting.region, setting.decided_id
    team_email = setting.world.users["team_admin"]
    team, team_api = await _client(new_client, team_email), await _api(new_client, region, team_email)
    own = await _client(new_client, setting.decided_email, APPLICANT_PASSWORD)
    own_api = await _api(new_client, region, setting.decided_email)
    letter = {"document": "besluitbrief"}
    common = {"region": region, "object_type": "application", "object_id": app_id, "action": "download",
              "summary": letter}  # fmt: skip
    await _one_read(region.maker, team, f"/team/aanmeldingen/{app_id}/besluit.pdf", email=team_email,
                    purpose=REVIEW, **common)  # fmt: skip
    await _one_read(region.maker, team_api, f"/api/v1/applications/{app_id}/decision-letter", email=team_email,
                    purpose=REVIEW, **common)  # fmt: skip
    await _one_read(region.maker, own, f"/mijn-aanmelding/{app_id}/besluit.pdf", email=setting.decided_email,
                    purpose=OWN_APPLICATION, **common)  # fmt: skip
    await _one_read(region.maker, own_api, f"/api/v1/applications/{app_id}/decision-letter",
                    email=setting.decided_email, purpose=OWN_APPLICATION, **common)  # fmt: skip


# ---- providers and contracts --------------------------------------------------------------------------------------


async def test_team_reads_of_a_provider_are_audited_once(setting: Setting, new_client: Any) -> None:
    region, w = setting.region, setting.world
    email = w.users["team_contracts"]
    page, api = await _client(new_client, email), await _api(new_client, region, email)
    provider = {"region": region, "email": email, "object_type": "provider", "object_id": w.provider_id}
    await _one_read(region.maker, page, f"/team/aanbieders/{w.provider_id}", action="view", purpose=CONTRACTS,
                    **provider)  # fmt: skip
    event = await _one_read(region.maker, api, f"/api/v1/providers/{w.provider_id}", action="view",
                            purpose=CONTRACTS, **provider)  # fmt: skip
    assert event.summary == {"weergave": "volledig"}
    await _one_read(region.maker, page, f"/documenten/evidence/{w.provider_evidence_id}", action="download",
                    purpose=CONTRACTS, summary={"bewijs": w.provider_evidence_id}, **provider)  # fmt: skip
    contract = {"region": region, "email": email, "object_type": "framework_contract", "object_id": w.contract_id}
    await _one_read(region.maker, page, f"/team/contracten/{w.contract_id}/versies/1.pdf", action="download",
                    purpose=CONTRACTS, summary={"versie": 1, "aanbieder": w.provider_id}, **contract)  # fmt: skip


async def test_a_provider_reading_its_own_organisation(setting: Setting, new_client: Any) -> None:
    """The portal and its own API record are its own data (not audited); its documents are (downloads)."""
    region, w = setting.region, setting.world
    email = w.users["provider"]
    page, api = await _client(new_client, email), await _api(new_client, region, email)
    await _no_read(region.maker, page, "/portaal", status=200)
    await _no_read(region.maker, api, f"/api/v1/providers/{w.provider_id}", status=200)
    await _no_read(region.maker, api, "/api/v1/providers", status=200)  # a list of only itself
    await _one_read(region.maker, page, f"/documenten/evidence/{w.provider_evidence_id}", region=region, email=email,
                    object_type="provider", object_id=w.provider_id, action="download",
                    purpose=OWN_ORGANISATION)  # fmt: skip
    await _one_read(region.maker, page, "/portaal/contract/versies/1.pdf", region=region, email=email,
                    object_type="framework_contract", object_id=w.contract_id, action="download",
                    purpose=OWN_ORGANISATION, summary={"versie": 1})  # fmt: skip


async def test_municipalities_reading_contact_data_in_the_register(setting: Setting, new_client: Any) -> None:
    region, w = setting.region, setting.world
    email = w.users["municipality"]
    api = await _api(new_client, region, email)
    event = await _one_read(region.maker, api, f"/api/v1/providers/{w.provider_id}", region=region, email=email,
                            object_type="provider", object_id=w.provider_id, action="view", purpose=LOOKUP)  # fmt: skip
    assert event.summary == {"weergave": "openbaar"}


async def test_a_list_with_contact_data_is_one_event_with_its_filter(setting: Setting, new_client: Any) -> None:
    region, w = setting.region, setting.world
    municipality = w.users["municipality"]
    page = await _client(new_client, municipality)
    event = await _one_read(region.maker, page, "/register?q=Testaanbieder&status=active", region=region,
                            email=municipality, object_type="provider", object_id="lijst", action="view",
                            purpose=LOOKUP)  # fmt: skip
    assert event.summary["filter"] == {"q": "Testaanbieder", "status": "active", "page": 1}
    assert event.summary["aanbieders"] == [w.provider_id] and event.summary["aantal"] == 1
    team = w.users["team_admin"]
    api = await _api(new_client, region, team)
    event = await _one_read(region.maker, api, "/api/v1/providers?status=active", region=region, email=team,
                            object_type="provider", object_id="lijst", action="view", purpose=CONTRACTS)  # fmt: skip
    assert event.summary["filter"] == {"status": "active", "page": 1} and event.summary["aantal"] == 2
    await _one_read(region.maker, await _client(new_client, team), "/team/outbox", region=region, email=team,
                    object_type="outbox_message", object_id="lijst", action="view",
                    purpose="controle uitgaande post")  # fmt: skip


# ---- exactly once, and never when refused --------------------------------------------------------------------------


async def test_a_rerendered_team_page_is_one_read(setting: Setting, new_client: Any) -> None:
    """A refused review re-renders the dossier (422) after a rollback: still exactly one read event."""
    region, w = setting.region, setting.world
    client = await _client(new_client, w.users["team_contracts"])
    path = f"/team/aanmeldingen/{w.open_application_id}"
    token = await csrf(client, path)
    before_id = await _last_id(region.maker)
    response = await client.post(f"{path}/beoordeling", data={"_csrf_token": token})
    assert response.status_code == 422
    events = await _reads_since(region.maker, before_id)
    assert [(e.object_type, e.object_id, e.action) for e in events] == [
        ("application", str(w.open_application_id), "view")
    ]


async def test_refused_reads_write_no_audit_event(setting: Setting, regions: Any, new_client: Any) -> None:
    region, w = setting.region, setting.world
    other = await regions.create()
    foreign = await build_world(other)
    maker = region.maker
    # another region's team, provider and applicant: 404 on this region's objects
    team = await _client(new_client, foreign.users["team_admin"])
    team_api = await _api(new_client, other, foreign.users["team_admin"])
    provider = await _client(new_client, foreign.users["provider"])
    app_id, ev_id = w.open_application_id, w.open_evidence_id
    for client, path in (
        (team, f"/team/aanmeldingen/{app_id}"),
        (team, f"/aanmeldingen/{app_id}/bewijs/{ev_id}"),
        (team, f"/documenten/evidence/{w.provider_evidence_id}"),
        (team, f"/team/aanmeldingen/{setting.decided_id}/besluit.pdf"),
        (team, f"/team/aanbieders/{w.provider_id}"),
        (team, f"/team/contracten/{w.contract_id}/versies/1.pdf"),
        (team_api, f"/api/v1/applications/{app_id}"),
        (team_api, f"/api/v1/applications/{app_id}/evidence/{ev_id}"),
        (team_api, f"/api/v1/applications/{setting.decided_id}/decision-letter"),
        (team_api, f"/api/v1/providers/{w.provider_id}"),
        (provider, f"/documenten/evidence/{w.provider_evidence_id}"),
        (provider, f"/mijn-aanmelding/{setting.decided_id}/besluit.pdf"),
    ):
        await _no_read(maker, client, path, status=404)
    # this region: another provider's or applicant's objects, roles without access, objects that do not exist
    neighbour = await build_world(region)
    other_provider = await _client(new_client, neighbour.users["provider"])
    other_applicant = await _client(new_client, neighbour.users["applicant"])
    municipality = await _client(new_client, w.users["municipality"])
    own_team = await _client(new_client, w.users["team_admin"])
    for client, path, status in (
        (other_provider, f"/documenten/evidence/{w.provider_evidence_id}", 404),
        (other_applicant, f"/aanmeldingen/{app_id}/bewijs/{ev_id}", 404),
        (other_applicant, f"/documenten/evidence/{ev_id}", 404),
        (other_applicant, f"/mijn-aanmelding/{setting.decided_id}/besluit.pdf", 404),
        (municipality, f"/team/aanmeldingen/{app_id}", 403),
        (municipality, f"/team/aanbieders/{w.provider_id}", 403),
        (municipality, f"/documenten/evidence/{w.provider_evidence_id}", 404),
        (own_team, f"/team/aanmeldingen/{app_id + 10_000_000}", 404),
        (own_team, f"/aanmeldingen/{app_id}/bewijs/{w.provider_evidence_id}", 404),  # evidence of another app
        (own_team, f"/team/contracten/{w.contract_id}/versies/99.pdf", 404),
        (own_team, f"/team/aanmeldingen/{app_id}/besluit.pdf", 404),  # no decision yet
    ):
        await _no_read(maker, client, path, status=status)


# ---- the helper and the histories ---------------------------------------------------------------------------------


async def test_record_read_needs_a_purpose_and_a_read_action(session: Any) -> None:
    actor = Actor(user_id=None, label="x", role="team_admin", region_id=None)
    with pytest.raises(ValueError, match="purpose"):
        await audit.record_read(session, actor, object_type="application", object_id=1, purpose=" ", now=utcnow())
    with pytest.raises(ValueError, match="read"):
        await audit.record_read(session, actor, object_type="application", object_id=1, purpose="p", now=utcnow(),
                                action="update")  # fmt: skip


async def test_reads_do_not_appear_in_the_application_history(setting: Setting, new_client: Any) -> None:
    region, w = setting.region, setting.world
    client = await _client(new_client, w.users["team_contracts"])
    for _ in range(2):
        assert (await client.get(f"/team/aanmeldingen/{setting.decided_id}")).status_code == 200
    assert (await client.get(f"/team/aanmeldingen/{setting.decided_id}/besluit.pdf")).status_code == 200
    async with region.maker() as s:
        app = await s.get(Application, setting.decided_id)
        assert app is not None
        items = await history(s, app, public=False)
    assert items and not {i.action for i in items} & set(audit.READ_ACTIONS)
    assert all(isinstance(i.at, datetime) for i in items)
