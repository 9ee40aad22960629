"""The register after admission: contract lifecycle (suspend, resume, terminate, amend), the team's overview
with its filters and exports, the provider page and the read-only register."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from markupsafe import escape
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select

from contracts.models import ContractLot, ContractVersion, FrameworkContract, Provider
from contracts.services import contract_lifecycle as reg
from jeugdregio.audit import Actor
from jeugdregio.clock import today, utcnow
from jeugdregio.errors import InvalidTransition, ValidationFailed
from jeugdregio.tables import AuditEvent, Document
from tests.support.factories import csrf, login
from tests.support.register_factories import admit_committed, admit_provider


def actor(region_id: int) -> Actor:
    return Actor(user_id=None, label="test@team", role="team_contracts", region_id=region_id)


async def contract_events(session, contract_id: int) -> list[str]:  # type: ignore[no-untyped-def]
    rows = await session.execute(
        select(AuditEvent.action)
        .where(AuditEvent.object_type == "framework_contract", AuditEvent.object_id == str(contract_id))
        .order_by(AuditEvent.id)
    )
    return list(rows.scalars())


# ---- lifecycle (services) -------------------------------------------------------------------------------


async def test_suspend_resume_terminate_and_the_provider_status_follows(session, regions) -> None:
    region = await regions.create()
    a = await admit_provider(session, region)
    day, now, who = today(), utcnow(), actor(region.id)

    await reg.suspend_contract(session, a.contract_id, reason="Bewijs verlopen", on=day, actor=who, now=now)
    contract = await session.get(FrameworkContract, a.contract_id)
    provider = await session.get(Provider, a.provider_id)
    assert (contract.status, provider.status, contract.status_reason) == ("suspended", "suspended", "Bewijs verlopen")

    await reg.resume_contract(session, a.contract_id, reason="Bewijs aangeleverd", on=day, actor=who, now=now)
    assert (contract.status, provider.status) == ("active", "active")

    await reg.terminate_contract(session, a.contract_id, reason="Faillissement", on=day, actor=who, now=now)
    assert (contract.status, provider.status, contract.terminated_on) == ("terminated", "ended", day)

    events = await contract_events(session, a.contract_id)
    assert events == ["create", "suspend", "resume", "terminate"]
    summary = (
        await session.execute(
            select(AuditEvent.summary).where(AuditEvent.object_id == str(a.contract_id), AuditEvent.action == "suspend")
        )
    ).scalar_one()
    assert summary["status"] == {"voor": "active", "na": "suspended"}
    assert summary["aanbieder_status"] == {"voor": "active", "na": "suspended"}
    assert summary["reden"] == "Bewijs verlopen"


@pytest.mark.parametrize(
    ("setup", "action"),
    [((), "resume"), (("suspend",), "suspend"), (("terminate",), "resume"), (("terminate",), "terminate"),
     (("terminate",), "suspend")],
)  # fmt: skip
async def test_invalid_transitions_are_refused_in_dutch(session, regions, setup, action) -> None:
    region = await regions.create()
    a = await admit_provider(session, region)
    services = {"suspend": reg.suspend_contract, "resume": reg.resume_contract, "terminate": reg.terminate_contract}
    kw = {"reason": "reden", "on": today(), "actor": actor(region.id), "now": utcnow()}
    for step in setup:
        await services[step](session, a.contract_id, **kw)
    with pytest.raises(InvalidTransition) as exc:
        await services[action](session, a.contract_id, **kw)
    assert exc.value.status_code == 409
    assert "kan niet bij status" in exc.value.message


async def test_amending_a_terminated_contract_is_refused(session, regions) -> None:
    region = await regions.create()
    a = await admit_provider(session, region)
    await reg.terminate_contract(session, a.contract_id, reason="Einde", on=today(), actor=actor(region.id),
                                 now=utcnow())  # fmt: skip
    with pytest.raises(InvalidTransition, match="wijzigen"):
        await reg.amend_contract(session, a.contract_id, reason="x", on=today(), profile_ids=[region.profile_ids[2]],
                                 actor=actor(region.id), now=utcnow())  # fmt: skip


async def test_termination_date_may_not_precede_the_start_and_reason_is_required(session, regions) -> None:
    region = await regions.create()
    start = today() - timedelta(days=30)
    a = await admit_provider(session, region, starts_on=start)
    with pytest.raises(ValidationFailed) as exc:
        await reg.terminate_contract(session, a.contract_id, reason="  ", on=start - timedelta(days=1),
                                     actor=actor(region.id), now=utcnow())  # fmt: skip
    assert set(exc.value.by_field()) == {"reason", "effective_on"}
    contract = await session.get(FrameworkContract, a.contract_id)
    assert contract.status == "active"


async def test_amendment_makes_version_2_with_new_lots_and_its_pdf(session, regions) -> None:
    region = await regions.create()
    a = await admit_provider(session, region, profiles=(1, 2))
    new_end = today() + timedelta(days=900)
    version = await reg.amend_contract(
        session, a.contract_id, reason="Perceel 4 toegevoegd na contractgesprek", on=today(),
        profile_ids=[region.profile_ids[1], region.profile_ids[4]], ends_on=new_end, actor=actor(region.id),
        now=utcnow(),
    )  # fmt: skip
    contract = await session.get(FrameworkContract, a.contract_id)
    assert (contract.version, version.version, contract.ends_on) == (2, 2, new_end)
    assert version.lots == [1, 4]
    lots = (await session.execute(select(ContractLot.profile_id).where(ContractLot.contract_id == a.contract_id)))
    assert sorted(lots.scalars()) == sorted([region.profile_ids[1], region.profile_ids[4]])
    versions = (
        await session.execute(select(func.count()).where(ContractVersion.contract_id == a.contract_id))
    ).scalar_one()
    assert versions == 2
    doc = await session.get(Document, version.document_id)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(doc.content)).pages)
    assert a.name in text
    assert "Perceel 4 toegevoegd na contractgesprek" in text
    assert "versie 2" in text
    assert (await contract_events(session, a.contract_id))[-1] == "amend"


@pytest.mark.parametrize(
    ("lots", "ends_on", "field"),
    [([], None, "profile_ids"), (None, None, "profile_ids"), ([999_999], None, "profile_ids"),
     (None, date(2000, 1, 1), "ends_on")],
)  # fmt: skip
async def test_amendment_validation(session, regions, lots, ends_on, field) -> None:
    region = await regions.create()
    a = await admit_provider(session, region, profiles=(1,))
    with pytest.raises(ValidationFailed) as exc:
        await reg.amend_contract(session, a.contract_id, reason="Wijziging", on=today(), profile_ids=lots,
                                 ends_on=ends_on, actor=actor(region.id), now=utcnow())  # fmt: skip
    assert field in exc.value.by_field()


async def test_a_region_never_changes_another_regions_contract(session, regions) -> None:
    region, other = await regions.create(), await regions.create()
    a = await admit_provider(session, region)
    from jeugdregio.errors import NotFound

    with pytest.raises(NotFound):
        await reg.suspend_contract(session, a.contract_id, reason="x", on=today(), actor=actor(other.id), now=utcnow())


# ---- the team's pages and forms ---------------------------------------------------------------------------


async def test_contract_forms_change_status_and_refuse_invalid_steps(client, regions) -> None:
    region = await regions.create()
    a = await admit_committed(region)
    await login(client, await region.user("team_contracts"))
    page = f"/team/aanbieders/{a.provider_id}"
    body = (await client.get(page)).text
    assert "geen volume- of omzetgarantie" in body
    assert 'name="_csrf_token"' in body

    token = await csrf(client, page)
    r = await client.post(f"/team/contracten/{a.contract_id}/schorsen",
                          data={"_csrf_token": token, "reason": "", "effective_on": ""})  # fmt: skip
    assert r.status_code == 422
    assert "Geef een reden op." in r.text and "Vul een datum in." in r.text

    day = today().isoformat()
    r = await client.post(f"/team/contracten/{a.contract_id}/hervatten",
                          data={"_csrf_token": token, "reason": "Waarom", "effective_on": day})  # fmt: skip
    assert r.status_code == 409
    assert str(escape("'hervatten' kan niet bij status 'Actief'")) in r.text

    r = await client.post(f"/team/contracten/{a.contract_id}/schorsen",
                          data={"_csrf_token": token, "reason": "VOG verlopen", "effective_on": day})  # fmt: skip
    assert r.status_code == 303 and r.headers["location"] == page
    body = (await client.get(page)).text
    assert "VOG verlopen" in body and "Geschorst" in body

    r = await client.post(f"/team/contracten/{a.contract_id}/beeindigen",
                          data={"_csrf_token": token, "reason": "Faillissement",
                                "effective_on": (today() - timedelta(days=400)).isoformat()})  # fmt: skip
    assert r.status_code == 422
    assert "niet voor de ingangsdatum" in r.text
    r = await client.post(f"/team/contracten/{a.contract_id}/beeindigen",
                          data={"_csrf_token": token, "reason": "Faillissement", "effective_on": day})  # fmt: skip
    assert r.status_code == 303
    body = (await client.get(page)).text
    assert "cliënten" in body and "Beëindigd" in body
    async with region.maker() as s:
        assert (await s.get(Provider, a.provider_id)).status == "ended"
        assert await contract_events(s, a.contract_id) == ["create", "suspend", "terminate"]


async def test_amend_form_and_version_pdf_download(client, new_client, regions) -> None:
    region = await regions.create()
    a = await admit_committed(region, profiles=(1,))
    await login(client, await region.user("team_admin"))
    page = f"/team/aanbieders/{a.provider_id}"
    token = await csrf(client, page)
    form = {"_csrf_token": token, "reason": "Uitbreiding percelen", "effective_on": today().isoformat(),
            "profile_ids": [str(region.profile_ids[1]), str(region.profile_ids[5])]}  # fmt: skip
    r = await client.post(f"/team/contracten/{a.contract_id}/wijzigen", data=form)
    assert r.status_code == 303, r.text[:2000]
    body = (await client.get(page)).text
    assert "Uitbreiding percelen" in body and f"/team/contracten/{a.contract_id}/versies/2.pdf" in body

    pdf = await client.get(f"/team/contracten/{a.contract_id}/versies/2.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert "attachment" in pdf.headers["content-disposition"] and "-v2.pdf" in pdf.headers["content-disposition"]
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Uitbreiding percelen" in text and a.name in text
    for missing in ("3.pdf", "0.pdf", "2.txt", "..%2F1.pdf"):
        assert (await client.get(f"/team/contracten/{a.contract_id}/versies/{missing}")).status_code == 404

    # no lots ticked: refused, nothing changed
    form = {"_csrf_token": token, "reason": "Leeg", "effective_on": today().isoformat()}
    r = await client.post(f"/team/contracten/{a.contract_id}/wijzigen", data=form)
    assert r.status_code == 422 and "ten minste één perceel" in r.text

    provider = new_client()
    await login(provider, await region.user("provider", provider_id=a.provider_id))
    own = await provider.get("/portaal/contract/versies/2.pdf")
    assert own.status_code == 200 and own.content == pdf.content


async def test_provider_page_shows_history_and_hides_actions_from_other_team_roles(client, regions) -> None:
    region = await regions.create()
    a = await admit_committed(region)
    await login(client, await region.user("team_finance"))
    body = (await client.get(f"/team/aanbieders/{a.provider_id}")).text
    assert "Historie" in body and "Toegelaten" in body and "Toelating tot het register" in body
    assert "/schorsen" not in body
    token = await csrf(client, f"/team/aanbieders/{a.provider_id}")
    r = await client.post(f"/team/contracten/{a.contract_id}/schorsen",
                          data={"_csrf_token": token, "reason": "x", "effective_on": today().isoformat()})  # fmt: skip
    assert r.status_code == 403


# ---- the overview: filters, pagination, exports -----------------------------------------------------------

HYPERLINK = '=HYPERLINK("https://evil.example","klik")'
SPECS = [
    # name, city, profile numbers, municipality indexes, evidence, status
    ("Alfa Zorg", "Breda", (1, 2), (0,), "ok", "active"),
    ("Beta Jeugdhulp", "Roosendaal", (3,), (1,), "expired", "active"),
    ("Gamma Gezin", "Breda", (1,), (0, 1), "expiring", "suspended"),
    ("Delta Praktijk", "Zundert", (2,), (2,), "missing", "ended"),
    (HYPERLINK, "Etten-Leur", (1,), (2,), "ok", "active"),
    ("@Epsilon", "-Min", (4,), (0,), "ok", "active"),
]


async def build_register(region) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """The SPECS as admitted providers; returns name -> Admitted."""
    made = {}
    day = today()
    for name, city, profiles, munis, ev, status in SPECS:
        async with region.maker() as s:
            from tests.support.register_factories import requirements

            reqs = await requirements(s, region.id)
            evidence = {c: day + timedelta(days=365) for c, r in reqs.items() if r.evidence_required}
            if ev == "expired":
                evidence["kvk"] = day - timedelta(days=3)
            elif ev == "expiring":
                evidence["vog"] = day + timedelta(days=10)
            elif ev == "missing":
                del evidence["meldcode"]
            a = await admit_provider(s, region, name=name, city=city, profiles=profiles, municipalities=munis,
                                     evidence=evidence)  # fmt: skip
            if status != "active":
                service = reg.suspend_contract if status == "suspended" else reg.terminate_contract
                await service(s, a.contract_id, reason="test", on=day, actor=actor(region.id), now=utcnow())
            await s.commit()
        made[name] = a
    return made


def expected(pred) -> set[str]:  # type: ignore[no-untyped-def]
    return {spec[0] for spec in SPECS if pred(*spec)}


def names_in(html: str) -> set[str]:
    return {spec[0] for spec in SPECS if f">{escape(spec[0])}</a>" in html}


async def test_overview_filters_each_and_combined(client, regions) -> None:
    region = await regions.create()
    made = await build_register(region)
    await login(client, await region.user("team_quality"))
    m = region.municipality_ids
    p = region.profile_ids
    beta = made["Beta Jeugdhulp"]
    cases = [
        ({}, expected(lambda *s: True)),
        ({"q": "JEUGD"}, {"Beta Jeugdhulp"}),
        ({"q": beta.kvk}, {"Beta Jeugdhulp"}),
        ({"q": beta.agb[2:]}, {"Beta Jeugdhulp"}),
        ({"q": "%"}, set()),
        ({"status": "suspended"}, expected(lambda n, c, pr, mu, ev, st: st == "suspended")),
        ({"status": "ended"}, expected(lambda n, c, pr, mu, ev, st: st == "ended")),
        ({"profile": p[1]}, expected(lambda n, c, pr, mu, ev, st: 1 in pr)),
        ({"municipality": m[1]}, expected(lambda n, c, pr, mu, ev, st: 1 in mu)),
        ({"evidence": "expired"}, expected(lambda n, c, pr, mu, ev, st: ev == "expired")),
        ({"evidence": "expiring"}, expected(lambda n, c, pr, mu, ev, st: ev == "expiring")),
        ({"evidence": "missing"}, expected(lambda n, c, pr, mu, ev, st: ev == "missing")),
        ({"evidence": "any"}, expected(lambda n, c, pr, mu, ev, st: ev != "ok")),
        ({"profile": p[1], "municipality": m[0], "status": "active"},
         expected(lambda n, c, pr, mu, ev, st: 1 in pr and 0 in mu and st == "active")),
        ({"profile": p[1], "evidence": "any"}, expected(lambda n, c, pr, mu, ev, st: 1 in pr and ev != "ok")),
    ]  # fmt: skip
    for params, want in cases:
        r = await client.get("/team/register", params=params)
        assert r.status_code == 200, (params, r.text[:500])
        assert names_in(r.text) == want, params
        assert f"<strong>{len(want)}</strong>" in r.text
    r = await client.get("/team/register", params={"status": "weg", "profile": "abc"})
    assert r.status_code == 422 and "Kies een status uit de lijst." in r.text


async def test_overview_paginates_by_50(client, regions) -> None:
    region = await regions.create()
    async with region.maker() as s:
        for i in range(53):
            s.add(Provider(region_id=region.id, name=f"Pagina Aanbieder {i:03d}", kvk=f"7{i:07d}", agb=f"6{i:07d}",
                           street="Straat 1", postcode="1234 AB", city="Stad", contact_name="X",
                           contact_email=f"p{i}@example.org", admitted_on=today(), created_at=utcnow()))  # fmt: skip
        await s.commit()
    await login(client, await region.user("team_admin"))
    first = (await client.get("/team/register")).text
    second = (await client.get("/team/register", params={"page": 2})).text
    assert first.count('href="/team/aanbieders/') == 50 and second.count('href="/team/aanbieders/') == 3
    assert "Pagina Aanbieder 000" in first and "Pagina Aanbieder 052" in second
    assert "Pagina 1 van 2" in first and 'rel="next"' in first
    assert "<strong>53</strong>" in (await client.get("/team/register", params={"page": 9})).text
    async with region.maker() as s:  # a provider without a contract still has a page
        pid = (await s.execute(select(Provider.id).where(Provider.region_id == region.id).limit(1))).scalar_one()
    body = (await client.get(f"/team/aanbieders/{pid}")).text
    assert "Er is geen raamovereenkomst vastgelegd." in body and "Ontbreekt" in body


async def test_exports_keep_the_filters_and_neutralise_formulas(client, regions) -> None:
    region = await regions.create()
    await build_register(region)
    await login(client, await region.user("team_contracts"))
    params = {"profile": region.profile_ids[1]}
    want = expected(lambda n, c, pr, mu, ev, st: 1 in pr)

    r = await client.get("/team/register.csv", params=params)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"] == f'attachment; filename="register-{today():%Y-%m-%d}.csv"'
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Naam", "KvK-nummer", "AGB-code"]
    names = {row[0] for row in rows[1:]}
    assert names == {("'" + n if n[0] in "=+-@" else n) for n in want}
    assert "'" + HYPERLINK in names

    r = await client.get("/team/register.xlsx", params={})
    assert r.status_code == 200 and "spreadsheetml" in r.headers["content-type"]
    sheet = load_workbook(io.BytesIO(r.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    by_name = {row[0]: row for row in values[1:]}
    assert set(by_name) == {("'" + n if n[0] in "=+-@" else n) for n in expected(lambda *s: True)}
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert by_name["'@Epsilon"][3] == "'-Min"
    beta = by_name["Beta Jeugdhulp"]
    assert beta[4] == "Actief" and beta[7] == "3" and beta[10] == 1  # one expired item

    r = await client.get("/team/register.csv", params={"evidence": "nonsense"})
    assert r.status_code == 422


# ---- the read-only register -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["municipality", "referrer"])
async def test_read_only_register_shows_active_and_suspended_without_private_data(client, regions, role) -> None:
    region = await regions.create()
    made = await build_register(region)
    await login(client, await region.user(role))
    r = await client.get("/register")
    assert r.status_code == 200
    shown = {n for n in made if str(escape(n)) in r.text}
    assert shown == expected(lambda n, c, pr, mu, ev, st: st in ("active", "suspended"))
    beta = made["Beta Jeugdhulp"]
    for private in (beta.kvk, "Tess Test", "/documenten/", "Bewijs", "verlopen"):
        assert private not in r.text, private
    assert "Gemeente" in r.text
    r = await client.get("/register", params={"profile": region.profile_ids[3], "q": "beta"})
    assert {n for n in made if str(escape(n)) in r.text} == {"Beta Jeugdhulp"}
    r = await client.get("/register", params={"municipality": region.municipality_ids[2]})
    assert {n for n in made if str(escape(n)) in r.text} == {HYPERLINK}  # Delta (also there) has ended


async def test_unknown_contract_action_is_404(client, regions) -> None:
    from tests.support.factories import csrf_from, login
    from tests.support.world import build_world

    region = await regions.create()
    world = await build_world(region)
    await login(client, world.users["team_contracts"])
    token = csrf_from((await client.get(f"/team/aanbieders/{world.provider_id}")).text)
    response = await client.post(f"/team/contracten/{world.contract_id}/opheffen", data={"_csrf_token": token})
    assert response.status_code == 404
