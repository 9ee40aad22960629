"""Tariffs: selection by date on boundary days, single changes under the no-overlap/no-gap rule (service and
database trigger), the yearly schedule (draft → consultation → comments → adoption), exports and access."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError
from tests.support.catalogue_factories import moment, provider_actor, seed_committed, seed_in, team_actor
from tests.support.factories import api_headers, csrf, login
from tests.support.register_helpers import token_for
from tests.support.world import build_world

from catalogue.models import Tariff, TariffSchedule
from catalogue.services import tariff_exports as exports
from catalogue.services import tariff_schedules as sched
from catalogue.services import tariffs as svc
from jeugdregio.clock import utcnow
from jeugdregio.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from jeugdregio.tables import AuditEvent

NOW = moment(2026, 11, 1)
SWITCH = date(2026, 1, 1)

# ---- selection by date --------------------------------------------------------------------------------------


async def test_tariff_on_boundary_days(session, regions) -> None:
    region = await regions.create()
    ids = await seed_in(session, region)
    type_id = ids["501PL"]
    new = await svc.set_tariff(session, region_id=region.id, arrangement_type_id=type_id, amount_cents=430_000,
                               valid_from=SWITCH, actor=team_actor(region.id), now=NOW)  # fmt: skip
    assert new.valid_until is None
    assert await svc.tariff_on(session, type_id, date(2024, 12, 31)) is None  # before the first tariff
    first = await svc.tariff_on(session, type_id, date(2025, 1, 1))
    assert first is not None and first.amount_cents == 417_000
    last_old = await svc.tariff_on(session, type_id, SWITCH - timedelta(days=1))
    assert last_old is not None and last_old.amount_cents == 417_000 and last_old.valid_until == date(2025, 12, 31)
    on_switch = await svc.tariff_on(session, type_id, SWITCH)
    assert on_switch is not None and on_switch.amount_cents == 430_000
    after = await svc.tariff_on(session, type_id, SWITCH + timedelta(days=1))
    assert after is not None and after.id == on_switch.id
    far = await svc.tariff_on(session, type_id, date(2040, 6, 30))  # open end
    assert far is not None and far.id == on_switch.id
    row, history = await svc.type_history(session, region.id, type_id, on=SWITCH)
    assert row.code == "501PL" and [t.amount_cents for t in history] == [430_000, 417_000]


async def test_set_tariff_refuses_negative_overlap_and_gap(session, regions) -> None:
    region = await regions.create()
    ids = await seed_in(session, region)
    actor = team_actor(region.id)
    with pytest.raises(ValidationFailed) as exc:
        await svc.set_tariff(session, region_id=region.id, arrangement_type_id=ids["501AL"], amount_cents=-1,
                             valid_from=SWITCH, actor=actor, now=NOW)  # fmt: skip
    assert "negatief" in exc.value.by_field()["amount_cents"]
    with pytest.raises(ValidationFailed) as exc:  # starts on (or before) the current tariff's start: overlap
        await svc.set_tariff(session, region_id=region.id, arrangement_type_id=ids["501AL"], amount_cents=1,
                             valid_from=date(2024, 6, 1), actor=actor, now=NOW)  # fmt: skip
    assert "overlapt" in exc.value.by_field()["valid_from"]
    await session.execute(update(Tariff).where(Tariff.arrangement_type_id == ids["501IL"])
                          .values(valid_until=date(2025, 6, 30)))  # fmt: skip
    with pytest.raises(ValidationFailed) as exc:  # the last period ended on 30 June: 1 August leaves a gap
        await svc.set_tariff(session, region_id=region.id, arrangement_type_id=ids["501IL"], amount_cents=1,
                             valid_from=date(2025, 8, 1), actor=actor, now=NOW)  # fmt: skip
    assert "gat" in exc.value.by_field()["valid_from"]
    ok = await svc.set_tariff(session, region_id=region.id, arrangement_type_id=ids["501IL"], amount_cents=1,
                              valid_from=date(2025, 7, 1), actor=actor, now=NOW)  # fmt: skip
    assert ok.valid_from == date(2025, 7, 1)
    other = await regions.create()
    with pytest.raises(NotFound):  # another region's arrangement type
        await svc.set_tariff(session, region_id=other.id, arrangement_type_id=ids["501AL"], amount_cents=1,
                             valid_from=SWITCH, actor=team_actor(other.id), now=NOW)  # fmt: skip


@pytest.mark.parametrize(
    ("valid_from", "valid_until"),
    [(date(2025, 6, 1), None), (date(2026, 2, 1), None)],  # overlap with the open period; (after closing) a gap
)
async def test_the_database_trigger_refuses_overlap_and_gap(session, regions, valid_from, valid_until) -> None:
    region = await regions.create()
    ids = await seed_in(session, region)
    type_id = ids["502PL"]
    await session.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))
    if valid_from.year == 2026:
        await session.execute(update(Tariff).where(Tariff.arrangement_type_id == type_id)
                              .values(valid_until=date(2025, 12, 31)))  # fmt: skip
    nested = await session.begin_nested()
    with pytest.raises(DBAPIError, match="overlap or leave a gap"):
        session.add(Tariff(region_id=region.id, arrangement_type_id=type_id, amount_cents=1, valid_from=valid_from,
                           valid_until=valid_until, created_at=NOW))  # fmt: skip
        await session.flush()
    await nested.rollback()


# ---- the yearly schedule (services) -------------------------------------------------------------------------


async def test_schedule_flow_in_services(session, regions) -> None:
    region = await regions.create()
    world_a = await build_world(region)
    world_b = await build_world(region)
    ids = await seed_in(session, region)
    team = team_actor(region.id)
    kw = {"session": session, "region_id": region.id, "year": 2027}
    schedule = await sched.draft_schedule(basis_points=250, overrides={ids["501PL"]: 1_000}, actor=team, now=NOW, **kw)
    view = await sched.schedule_detail(session, region.id, 2027)
    lines = {ln.code: ln for ln in view.lines}
    assert len(lines) == 45
    assert lines["501AL"].amount_cents == 134_685 and lines["501AL"].previous_cents == 131_400
    assert lines["501PL"].amount_cents == 458_700 and lines["501PL"].override_basis_points == 1_000
    with pytest.raises(Conflict):  # once per year
        await sched.draft_schedule(basis_points=0, actor=team, now=NOW, **kw)
    with pytest.raises(InvalidTransition, match="na de consultatie"):
        await sched.adopt_schedule(actor=team, now=NOW, **kw)
    with pytest.raises(NotFound):  # a provider never sees a draft
        await sched.schedule_detail(session, region.id, 2027, provider_id=world_a.provider_id, provider=True)
    edited = await sched.update_draft_line(arrangement_type_id=ids["501DL"], amount_cents=140_000, actor=team, now=NOW,
                                           **kw)  # fmt: skip
    assert edited.amount_cents == 140_000
    with pytest.raises(ValidationFailed):
        await sched.update_draft_line(arrangement_type_id=ids["501DL"], amount_cents=-5, actor=team, now=NOW, **kw)
    with pytest.raises(ValidationFailed):
        await sched.open_consultation(until=date(2026, 10, 1), actor=team, now=NOW, **kw)
    await sched.open_consultation(until=date(2026, 11, 15), actor=team, now=NOW, **kw)
    with pytest.raises(InvalidTransition):
        await sched.update_draft_line(arrangement_type_id=ids["501DL"], amount_cents=1, actor=team, now=NOW, **kw)
    actor_p = provider_actor(region.id)
    await sched.add_comment(provider_id=world_a.provider_id, arrangement_type_id=None, body="Te laag voor 2027.",
                            actor=actor_p, now=NOW, **kw)  # fmt: skip
    await sched.add_comment(provider_id=world_b.provider_id, arrangement_type_id=ids["506IL"], body="Zie bijlage.",
                            actor=actor_p, now=NOW, **kw)  # fmt: skip
    with pytest.raises(ValidationFailed):
        await sched.add_comment(provider_id=world_a.provider_id, arrangement_type_id=None, body="  ", actor=actor_p,
                                now=NOW, **kw)  # fmt: skip
    with pytest.raises(Conflict, match="gesloten"):
        await sched.add_comment(provider_id=world_a.provider_id, arrangement_type_id=None, body="Te laat",
                                actor=actor_p, now=moment(2026, 11, 16), **kw)  # fmt: skip
    own = await sched.schedule_detail(session, region.id, 2027, provider_id=world_a.provider_id, provider=True)
    assert [c.body for c in own.comments] == ["Te laag voor 2027."]
    everything = await sched.schedule_detail(session, region.id, 2027)
    assert {c.code for c in everything.comments} == {"", "506IL"}

    adopted = await sched.adopt_schedule(actor=team, now=moment(2026, 11, 20), **kw)
    assert adopted.status == "adopted" and adopted.adopted_at == moment(2026, 11, 20)
    old = await svc.tariff_on(session, ids["501AL"], date(2026, 12, 31))
    new = await svc.tariff_on(session, ids["501AL"], date(2027, 1, 1))
    assert old is not None and old.amount_cents == 131_400 and old.valid_until == date(2026, 12, 31)
    assert new is not None and new.amount_cents == 134_685 and new.valid_until is None
    assert new.schedule_id == schedule.id
    assert (await svc.tariff_on(session, ids["501DL"], date(2027, 3, 1))).amount_cents == 140_000  # type: ignore[union-attr]
    _row, history = await svc.type_history(session, region.id, ids["501AL"], on=date(2027, 1, 1))
    assert [(t.valid_from, t.valid_until) for t in history] == [(date(2027, 1, 1), None),
                                                                (date(2025, 1, 1), date(2026, 12, 31))]  # fmt: skip
    with pytest.raises(InvalidTransition, match="al vastgesteld"):
        await sched.adopt_schedule(actor=team, now=NOW, **kw)
    with pytest.raises(InvalidTransition):
        await sched.add_comment(provider_id=world_a.provider_id, arrangement_type_id=None, body="Nog iets",
                                actor=actor_p, now=NOW, **kw)  # fmt: skip
    await session.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))  # the trigger agrees with the service
    actions = set((await session.execute(select(AuditEvent.action).where(
        AuditEvent.region_id == region.id, AuditEvent.object_type.in_(["tariff_schedule", "tariff_comment"])
    ))).scalars())  # fmt: skip
    assert {"draft", "edit_line", "consult", "create", "adopt"} <= actions


async def test_draft_refuses_bad_years_and_unknown_overrides(session, regions) -> None:
    region = await regions.create()
    ids = await seed_in(session, region)
    team = team_actor(region.id)
    with pytest.raises(ValidationFailed) as exc:
        await sched.draft_schedule(session, region_id=region.id, year=2031, basis_points=0, actor=team, now=NOW)
    assert "year" in exc.value.by_field()
    with pytest.raises(ValidationFailed) as exc:
        await sched.draft_schedule(session, region_id=region.id, year=2027, basis_points=0, overrides={10**8: 5},
                                   actor=team, now=NOW)  # fmt: skip
    assert "overrides" in exc.value.by_field()
    await svc.set_tariff(session, region_id=region.id, arrangement_type_id=ids["501AL"], amount_cents=1,
                         valid_from=date(2027, 1, 1), actor=team, now=NOW)  # fmt: skip
    with pytest.raises(ValidationFailed) as exc:  # a tariff already starts in that year
        await sched.draft_schedule(session, region_id=region.id, year=2027, basis_points=0, actor=team, now=NOW)
    assert "year" in exc.value.by_field()


# ---- HTTP: the consultation flow end to end ------------------------------------------------------------------


async def _logged_in(new_client, email: str):  # type: ignore[no-untyped-def]
    c = new_client()
    await login(c, email)
    return c


async def test_consultation_flow_over_http(regions, new_client) -> None:
    region = await regions.create()
    world = await build_world(region)
    ids = await seed_committed(region)
    year = date.today().year + 1
    team = await _logged_in(new_client, world.users["team_finance"])
    provider = await _logged_in(new_client, world.users["provider"])

    overview = await team.get("/team/catalogus")
    assert overview.status_code == 200 and "501PL" in overview.text and "€ 4.170,00" in overview.text
    assert (await team.get(f"/team/catalogus/{ids['501PL']}")).status_code == 200
    token = await csrf(team, "/team/tarieven")
    bad = await team.post("/team/tarieven", data={"year": str(year), "percentage": "twee", "_csrf_token": token})
    assert bad.status_code == 422 and "percentage" in bad.text and "error-summary" in bad.text
    made = await team.post("/team/tarieven", data={"year": str(year), "percentage": "2,5", "_csrf_token": token})
    assert made.status_code == 303 and made.headers["location"] == f"/team/tarieven/{year}"
    again = await team.post("/team/tarieven", data={"year": str(year), "percentage": "1", "_csrf_token": token})
    assert again.status_code == 409
    detail = await team.get(f"/team/tarieven/{year}")
    assert detail.status_code == 200 and "€ 1.346,85" in detail.text

    line = f"/team/tarieven/{year}/regels/{ids['501DL']}"
    negative = await team.post(line, data={"amount": "-1.314,00", "_csrf_token": token})
    assert negative.status_code == 422 and "Nieuw tarief: een tarief mag niet negatief zijn." in negative.text
    assert (await team.post(line, data={"amount": "1.400,00", "_csrf_token": token})).status_code == 303
    assert (await team.post(f"/team/tarieven/{year}/vaststellen", data={"_csrf_token": token})).status_code == 409
    assert (await provider.get("/portaal/tarieven")).status_code == 200  # the draft is not shown
    assert str(year) not in (await provider.get("/portaal/tarieven")).text.split("<main")[1].split("</main>")[0]

    until = (date.today() + timedelta(days=14)).isoformat()
    consult = await team.post(f"/team/tarieven/{year}/consultatie", data={"consultation_until": until,
                                                                          "_csrf_token": token})  # fmt: skip
    assert consult.status_code == 303
    portal = await provider.get("/portaal/tarieven")
    assert portal.status_code == 200 and f"Tarieventabel {year}" in portal.text and "€ 1.400,00" in portal.text
    p_token = await csrf(provider, "/portaal/tarieven")
    empty = await provider.post(f"/portaal/tarieven/{year}/reacties", data={"body": "", "_csrf_token": p_token})
    assert empty.status_code == 422
    said = await provider.post(f"/portaal/tarieven/{year}/reacties",
                               data={"body": "Graag 3 % voor profiel 6.", "arrangement_type_id": str(ids["506IL"]),
                                     "_csrf_token": p_token})  # fmt: skip
    assert said.status_code == 303
    assert "Graag 3 % voor profiel 6." in (await team.get(f"/team/tarieven/{year}")).text

    adopt = await team.post(f"/team/tarieven/{year}/vaststellen", data={"_csrf_token": token})
    assert adopt.status_code == 303
    assert (await team.post(f"/team/tarieven/{year}/vaststellen", data={"_csrf_token": token})).status_code == 409
    headers = await token_for(region, world.users["referrer"])
    before = (await team.get("/tarieven.csv"))  # cookie-authenticated page route: the reader's own region
    assert before.status_code == 200
    old = (await new_client().get(f"/api/v1/tariffs?on={year - 1}-12-31", headers=headers)).json()
    new = (await new_client().get(f"/api/v1/tariffs?on={year}-01-01", headers=headers)).json()
    old_by, new_by = {i["code"]: i for i in old["items"]}, {i["code"]: i for i in new["items"]}
    assert old_by["501AL"]["amount_cents"] == 131_400 and old_by["501AL"]["valid_until"] == f"{year - 1}-12-31"
    assert new_by["501AL"]["amount_cents"] == 134_685 and new_by["501AL"]["valid_from"] == f"{year}-01-01"
    assert new_by["501DL"]["amount_cents"] == 140_000 and new_by["501AL"]["valid_until"] is None


# ---- HTTP: the JSON API ------------------------------------------------------------------------------------


async def test_api_schedule_flow_and_errors(regions, new_client) -> None:
    region = await regions.create()
    world = await build_world(region)
    ids = await seed_committed(region)
    year = date.today().year + 1
    team = await token_for(region, world.users["team_admin"])
    prov = await token_for(region, world.users["provider"])
    api = new_client()

    types = await api.get("/api/v1/arrangement-types", headers=prov)
    assert types.status_code == 200 and len(types.json()["items"]) == 45
    assert (await api.get("/api/v1/tariffs?on=31-12-2026", headers=prov)).status_code == 422
    bad = await api.post("/api/v1/tariff-schedules", json={"year": "x", "indexation_basis_points": "2,5"},
                         headers=api_headers(team))  # fmt: skip
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"year", "indexation_basis_points"}
    refused = await api.post("/api/v1/tariff-schedules", json={"year": year, "indexation_basis_points": 100},
                             headers=api_headers(prov))  # fmt: skip
    assert refused.status_code == 403
    body = {"year": year, "indexation_basis_points": 200,
            "overrides": [{"arrangement_type_id": ids["508IL"], "basis_points": -100}]}  # fmt: skip
    made = await api.post("/api/v1/tariff-schedules", json=body, headers=api_headers(team))
    assert made.status_code == 201, made.text
    lines = {ln["code"]: ln for ln in made.json()["lines"]}
    assert lines["508IL"]["amount_cents"] == 1_024_452 and lines["508IL"]["override_basis_points"] == -100
    assert (await api.post("/api/v1/tariff-schedules", json=body, headers=api_headers(team))).status_code == 409
    assert (await api.get(f"/api/v1/tariff-schedules/{year}", headers=prov)).status_code == 404  # draft
    adopt = f"/api/v1/tariff-schedules/{year}/adopt"
    assert (await api.post(adopt, json={}, headers=api_headers(team))).status_code == 409
    early = await api.post(f"/api/v1/tariff-schedules/{year}/comments", json={"body": "Vroeg"},
                           headers=api_headers(prov))  # fmt: skip
    assert early.status_code == 404
    until = (date.today() + timedelta(days=7)).isoformat()
    consult = await api.post(f"/api/v1/tariff-schedules/{year}/consultation", json={"consultation_until": until},
                             headers=api_headers(team))  # fmt: skip
    assert consult.status_code == 200 and consult.json()["status"] == "consultation"
    comment = await api.post(f"/api/v1/tariff-schedules/{year}/comments",
                             json={"body": "Akkoord", "arrangement_type_id": ids["501PL"]},
                             headers=api_headers(prov))  # fmt: skip
    assert comment.status_code == 201 and comment.json()["code"] == "501PL"
    assert (await api.post(adopt, json={}, headers=api_headers(prov))).status_code == 403
    adopted = await api.post(adopt, json={}, headers=api_headers(team))
    assert adopted.status_code == 200 and adopted.json()["status"] == "adopted"
    assert len(adopted.json()["comments"]) == 1
    assert (await api.post(adopt, json={}, headers=api_headers(team))).status_code == 409


# ---- exports -----------------------------------------------------------------------------------------------


async def test_tariff_list_pdf_csv_and_excel(regions, new_client) -> None:
    from openpyxl import load_workbook
    from pypdf import PdfReader

    region = await regions.create()
    world = await build_world(region)
    await seed_committed(region)
    team = await _logged_in(new_client, world.users["team_quality"])  # viewing and downloading: every team role
    pdf = await new_client().get(f"/tarieven.pdf?regio={region.slug}")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    content = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "501PL" in content and "€ 1.314,00" in content and "€ 20.090,00" in content
    assert "Afrondingsregel" in content and str(date.today().year) in content

    public_csv = await new_client().get(f"/tarieven.csv?regio={region.slug}&op=2025-06-01")
    assert public_csv.status_code == 200 and public_csv.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(public_csv.content.decode("utf-8-sig")), delimiter=";"))
    by_code = {r[0]: r for r in rows[1:]}
    assert len(by_code) == 45 and by_code["501PL"][10] == "417000" and by_code["501PL"][9] == "4.170,00"
    assert (await new_client().get(f"/tarieven.csv?regio={region.slug}&op=morgen")).status_code == 422
    assert (await new_client().get("/tarieven.csv?regio=bestaat-niet")).status_code == 404

    year = date.today().year + 1
    token = await csrf(team, "/team/tarieven")
    assert (await team.post("/team/tarieven", data={"year": str(year), "percentage": "1", "_csrf_token": token})
            ).status_code == 403  # team_quality may look, not change  # fmt: skip
    admin = await _logged_in(new_client, world.users["team_contracts"])
    a_token = await csrf(admin, "/team/tarieven")
    await admin.post("/team/tarieven", data={"year": str(year), "percentage": "1", "_csrf_token": a_token})
    xlsx = await team.get(f"/team/tarieven/{year}/tarievenlijst.xlsx")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert values["501AL"][10] == 132_714 and values["501AL"][9] == "1.327,14"
    team_csv = await team.get(f"/team/tarieven/{year}/tarievenlijst.csv")
    csv_rows = {r[0]: r for r in csv.reader(io.StringIO(team_csv.content.decode("utf-8-sig")), delimiter=";")}
    assert csv_rows["506IL"][10] == str(values["506IL"][10])
    team_pdf = await team.get(f"/team/tarieven/{year}/tarievenlijst.pdf")
    text_pdf = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(team_pdf.content)).pages)
    assert f"Tarievenlijst {year}" in text_pdf and "€ 1.327,14" in text_pdf and "1,00 %" in text_pdf


def test_exports_neutralise_formulas() -> None:
    assert exports.neutralise("=SUM(A1)") == "'=SUM(A1)" and exports.neutralise("@x") == "'@x"
    assert exports.neutralise(5) == 5


# ---- access ------------------------------------------------------------------------------------------------


async def test_access_providers_and_other_regions(regions, new_client, maker) -> None:
    region = await regions.create()
    world = await build_world(region)
    await seed_committed(region)
    other = await regions.create()
    await seed_committed(other)
    year = date.today().year + 1
    now = utcnow()
    async with maker() as s:  # the other region has a schedule in consultation
        actor = team_actor(other.id)
        await sched.draft_schedule(s, region_id=other.id, year=year, basis_points=100, actor=actor, now=now)
        await sched.open_consultation(s, region_id=other.id, year=year, until=date.today() + timedelta(days=3),
                                      actor=actor, now=now)  # fmt: skip
        await s.commit()
        other_type = (await s.execute(select(Tariff.arrangement_type_id).where(Tariff.region_id == other.id))).scalar()
    provider = await _logged_in(new_client, world.users["provider"])
    team = await _logged_in(new_client, world.users["team_admin"])
    p_token = await csrf(provider, "/portaal/tarieven")
    assert (await provider.post("/team/tarieven", data={"year": str(year), "percentage": "1",
                                                        "_csrf_token": p_token})).status_code == 403  # fmt: skip
    assert (await provider.post(f"/team/tarieven/{year}/vaststellen", data={"_csrf_token": p_token})).status_code == 403
    assert (await provider.get("/team/tarieven")).status_code == 403
    assert (await provider.post(f"/portaal/tarieven/{year}/reacties", data={"body": "x", "_csrf_token": p_token})
            ).status_code == 404  # fmt: skip
    portal = await provider.get("/portaal/tarieven")
    assert f"Tarieventabel {year}" not in portal.text
    assert (await team.get(f"/team/tarieven/{year}")).status_code == 404
    assert (await team.get(f"/team/tarieven/{year}/tarievenlijst.pdf")).status_code == 404
    assert (await team.get(f"/team/catalogus/{other_type}")).status_code == 404
    t_token = await csrf(team, "/team/tarieven")
    assert (await team.post(f"/team/tarieven/{year}/vaststellen", data={"_csrf_token": t_token})).status_code == 404
    prov_api = await token_for(region, world.users["provider"])
    api = new_client()
    assert (await api.get(f"/api/v1/tariff-schedules/{year}", headers=prov_api)).status_code == 404
    assert (await api.post(f"/api/v1/tariff-schedules/{year}/comments", json={"body": "x"},
                           headers=api_headers(prov_api))).status_code == 404  # fmt: skip
    assert (await api.get("/api/v1/tariffs")).status_code == 401
    async with maker() as s:
        schedule = (await s.execute(select(TariffSchedule).where(TariffSchedule.region_id == other.id))).scalar_one()
        assert schedule.status == "consultation"
