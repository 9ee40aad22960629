"""The application workflow through the pages: apply, portal, team review, intake, decision, letter, access."""

from __future__ import annotations

import html
import io
import re
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select, text

from contracts.models import (
    AdmissionWindow,
    Application,
    ContractLot,
    Evidence,
    FrameworkContract,
    Provider,
    RequirementReview,
)
from jeugdregio.clock import today
from jeugdregio.tables import Membership, OutboxMessage
from tests.support.factories import csrf_from, login
from tests.support.register_helpers import (
    APPLICANT_PASSWORD,
    TINY_PDF,
    TINY_PNG,
    application_fields,
    apply_via_service,
    count_rows,
    decide_via_service,
    evidence_files,
    get_application,
    post_application,
    requirements,
    today_iso,
    user_exists,
)


def pdf_text(content: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


async def audit_actions(region, application_id: int) -> list[str]:  # type: ignore[no-untyped-def]
    async with region.maker() as s:
        rows = await s.execute(
            text(
                "SELECT action FROM jeugdregio_audit_event WHERE object_type = 'application' AND object_id = :i "
                "ORDER BY id"
            ),
            {"i": str(application_id)},
        )
        return [r[0] for r in rows]


async def latest_application(region) -> Application:  # type: ignore[no-untyped-def]
    async with region.maker() as s:
        return (
            (
                await s.execute(
                    select(Application).where(Application.region_id == region.id).order_by(Application.id.desc())
                )
            )
            .scalars()
            .first()
        )


async def post_form(client, path: str, data: dict, page: str):  # type: ignore[no-untyped-def]
    token = csrf_from((await client.get(page)).text)
    return await client.post(path, data={**data, "_csrf_token": token})


# ---- the whole admission workflow ----------------------------------------------------------------------------


async def test_full_admission_workflow(client, new_client, regions) -> None:
    region = await regions.create()
    team_email = await region.user("team_contracts")
    reqs = await requirements(region)
    fields = application_fields(region)

    # apply: the applicant is logged in at once and lands on the portal
    r = await post_application(client, region, fields=fields, reqs=reqs)
    assert r.status_code == 303, r.text[:2000]
    assert r.headers["location"] == "/mijn-aanmelding"
    assert "jr_session=" in r.headers.get("set-cookie", "")
    app = await latest_application(region)
    assert re.fullmatch(rf"AV-{today().year}-0001", app.reference)
    assert app.postcode == "4701 AB" and app.status == "submitted"
    portal = await client.get("/mijn-aanmelding")
    assert portal.status_code == 200
    assert app.reference in portal.text and "Ingediend" in portal.text
    async with region.maker() as s:
        mails = (await s.execute(select(OutboxMessage).where(OutboxMessage.region_id == region.id))).scalars().all()
        assert [m.to_address for m in mails] == [fields["contact_email"]]
        m = (await s.execute(select(Membership).where(Membership.application_id == app.id))).scalar_one()
        assert m.role == "applicant" and m.user_id == app.applicant_user_id

    # the team sees it and starts the review
    team = new_client()
    await login(team, team_email)
    listing = await team.get("/team/aanmeldingen")
    assert listing.status_code == 200 and fields["org_name"].replace("&", "&amp;") in listing.text
    detail_path = f"/team/aanmeldingen/{app.id}"
    r = await post_form(team, f"{detail_path}/in-behandeling", {}, detail_path)
    assert r.status_code == 303
    assert (await get_application(region, app.id)).status == "in_review"

    # information request → applicant answers with new evidence
    r = await post_form(
        team, f"{detail_path}/informatieverzoek", {"message": "Stuur een recente VOG-verklaring."}, detail_path
    )
    assert r.status_code == 303
    assert (await get_application(region, app.id)).status == "info_requested"
    portal = await client.get("/mijn-aanmelding")
    assert "Stuur een recente VOG-verklaring." in portal.text
    vog = next(q for q in reqs if q.code == "vog")
    token = csrf_from(portal.text)
    r = await client.post(
        "/mijn-aanmelding/aanvulling",
        data={"_csrf_token": token, "answer": "Hierbij de nieuwe VOG.", f"valid_until_{vog.id}": today_iso(400)},
        files=[(f"evidence_{vog.id}", ("vog.png", TINY_PNG, "image/png"))],
    )
    assert r.status_code == 303, r.text[:1500]
    assert (await get_application(region, app.id)).status == "in_review"
    async with region.maker() as s:
        vog_rows = (
            (
                await s.execute(
                    select(Evidence)
                    .where(Evidence.application_id == app.id, Evidence.requirement_id == vog.id)
                    .order_by(Evidence.id)
                )
            )
            .scalars()
            .all()
        )
        assert len(vog_rows) == 2 and vog_rows[0].superseded_at is not None and vog_rows[1].superseded_at is None
        assert vog_rows[1].valid_until == today() + timedelta(days=400)

    # reviews (one form), intake, admit
    reviews = {f"verdict_{q.id}": "pass" for q in reqs}
    r = await post_form(team, f"{detail_path}/beoordeling", reviews, detail_path)
    assert r.status_code == 303, r.text[:1500]
    intake = {"held_on": today_iso(), "participants": "Anna Aanbieder, contractmanager", "notes": "GEHEIM-NOTITIE"}
    r = await post_form(team, f"{detail_path}/intake", intake, detail_path)
    assert r.status_code == 303, r.text[:1500]
    r = await post_form(team, f"{detail_path}/besluit", {"decision": "admit", "starts_on": today_iso()}, detail_path)
    assert r.status_code == 303, r.text[:3000]

    app = await get_application(region, app.id)
    assert app.status == "admitted" and app.provider_id is not None and app.decided_at is not None
    async with region.maker() as s:
        provider = await s.get(Provider, app.provider_id)
        assert provider is not None and provider.kvk == fields["kvk"]
        contract = (
            await s.execute(select(FrameworkContract).where(FrameworkContract.provider_id == provider.id))
        ).scalar_one()
        lots = (
            (await s.execute(select(ContractLot.profile_id).where(ContractLot.contract_id == contract.id)))
            .scalars()
            .all()
        )
        assert sorted(lots) == sorted([region.profile_ids[1], region.profile_ids[2]])
        m = (await s.execute(select(Membership).where(Membership.user_id == app.applicant_user_id))).scalar_one()
        assert (m.role, m.provider_id, m.application_id) == ("provider", provider.id, app.id)

    # the applicant, now a provider, sees the decision and downloads the letter
    portal = await client.get("/mijn-aanmelding")
    assert portal.status_code == 200
    assert "Besluit: toegelaten" in portal.text
    assert "GEHEIM-NOTITIE" not in portal.text  # internal intake notes stay with the team
    assert "Intakegesprek" in portal.text
    letter = await client.get(f"/mijn-aanmelding/{app.id}/besluit.pdf")
    assert letter.status_code == 200 and letter.headers["content-type"] == "application/pdf"
    assert (
        "attachment" in letter.headers["content-disposition"]
        and f"besluit-{app.reference}.pdf" in letter.headers["content-disposition"]
    )
    words = pdf_text(letter.content)
    assert fields["org_name"] in words and "toegelaten" in words
    assert contract.number in words and "geen volume- of omzetgarantie" in words
    team_page = await team.get(detail_path)
    assert "GEHEIM-NOTITIE" in team_page.text
    assert (await team.get(f"{detail_path}/besluit.pdf")).status_code == 200

    # one audit event per transition
    actions = await audit_actions(region, app.id)
    for action in ("submit", "start_review", "request_info", "answer_info", "intake", "admit"):
        assert actions.count(action) == 1, (action, actions)
    assert actions.count("review") == 1


async def test_rejection_then_a_new_application_by_the_same_account_is_admitted(client, new_client, regions) -> None:
    region = await regions.create()
    team_email = await region.user("team_admin")
    reqs = await requirements(region)
    fields = application_fields(region)
    assert (await post_application(client, region, fields=fields, reqs=reqs)).status_code == 303
    first = await latest_application(region)
    team = new_client()
    await login(team, team_email)
    path = f"/team/aanmeldingen/{first.id}"
    failed = reqs[1]
    form = {f"verdict_{q.id}": "pass" for q in reqs}
    form[f"verdict_{failed.id}"] = "fail"
    # a fail without a reason is refused (and nothing stored)
    r = await post_form(team, f"{path}/beoordeling", form, path)
    assert r.status_code == 422 and "de reden waarom de eis niet voldoet" in r.text
    async with region.maker() as s:
        assert not (
            await s.execute(select(RequirementReview).where(RequirementReview.application_id == first.id))
        ).first()
    form[f"reason_{failed.id}"] = "Niet alle professionals staan in het SKJ-register."
    assert (await post_form(team, f"{path}/beoordeling", form, path)).status_code == 303
    # admitting is refused while a requirement failed
    r = await post_form(team, f"{path}/besluit", {"decision": "admit", "starts_on": today_iso()}, path)
    assert r.status_code == 422 and "Toelaten kan pas" in r.text
    r = await post_form(team, f"{path}/besluit", {"decision": "reject", "reason": ""}, path)
    assert r.status_code == 303, r.text[:2000]
    first = await get_application(region, first.id)
    assert first.status == "rejected" and first.decision_letter_id is not None

    portal = await client.get("/mijn-aanmelding")
    assert "Besluit: afgewezen" in portal.text and 'href="/aanmelden"' in portal.text
    words = pdf_text((await client.get(f"/mijn-aanmelding/{first.id}/besluit.pdf")).content)
    assert fields["org_name"] in words and "afgewezen" in words
    assert failed.title.split(" (")[0] in words and "SKJ-register" in words and "bezwaar" in words

    # a new application from the same account: no password needed, linked to the previous one
    page = await client.get("/aanmelden")
    assert (
        page.status_code == 200
        and 'name="password"' not in page.text
        and fields["org_name"].replace("&", "&amp;") in page.text
    )
    again = {k: v for k, v in fields.items() if not k.startswith("password")}
    again["contact_email"] = "nieuw-contact@example.org"
    r = await post_application(client, region, fields=again, reqs=reqs)
    assert r.status_code == 303, r.text[:3000]
    second = await latest_application(region)
    assert second.id != first.id and second.previous_application_id == first.id
    assert second.applicant_user_id == first.applicant_user_id and second.reference.endswith("-0002")
    async with region.maker() as s:
        m = (await s.execute(select(Membership).where(Membership.user_id == first.applicant_user_id))).scalar_one()
        assert m.application_id == second.id
    # while it is open, a third one is refused
    page = await client.get("/aanmelden")
    assert "lopende aanmelding" in page.text

    path = f"/team/aanmeldingen/{second.id}"
    assert (
        await post_form(team, f"{path}/beoordeling", {f"verdict_{q.id}": "pass" for q in reqs}, path)
    ).status_code == 303
    r = await post_form(team, f"{path}/besluit", {"decision": "admit", "starts_on": today_iso(1)}, path)
    assert r.status_code == 303, r.text[:2000]
    assert (await get_application(region, second.id)).status == "admitted"
    portal = await client.get("/mijn-aanmelding")
    assert "Besluit: toegelaten" in portal.text and second.reference in portal.text


# ---- validation: all errors at once, nothing stored --------------------------------------------------------------

BIG = b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024)


@pytest.mark.parametrize(
    ("case", "field", "message"),
    [
        ("kvk", "kvk", "KvK-nummer moet uit precies 8 cijfers"),
        ("agb", "agb", "AGB-code moet uit precies 8 cijfers"),
        ("missing_evidence", "evidence_", "voeg een bewijsstuk toe (verplicht)"),
        ("wrong_type", "evidence_", "alleen PDF-, PNG- of JPEG-bestanden"),
        ("too_big", "evidence_", "groter dan 10 MB"),
        ("no_profile", "profile_ids", "Kies minstens één zorgprofiel"),
        ("no_municipality", "municipality_ids", "Kies minstens één gemeente"),
        ("postcode", "postcode", "geldige Nederlandse postcode"),
        ("password", "password", "Wachtwoord: kies een wachtwoord van minimaal 12 tekens"),
        ("password_confirm", "password_confirm", "wachtwoorden zijn niet gelijk"),
        ("valid_until_past", "valid_until_", "de datum 'geldig tot' ligt in het verleden"),
        ("email", "contact_email", "geldig e-mailadres"),
    ],
)
async def test_each_validation_error_is_reported_and_nothing_is_stored(client, regions, case, field, message) -> None:
    region = await regions.create()
    reqs = await requirements(region)
    first = reqs[0]
    fields = application_fields(region)
    override: dict = {}
    if case == "kvk":
        fields["kvk"] = "1234567"
    elif case == "agb":
        fields["agb"] = "12345678a"
    elif case == "missing_evidence":
        override[first.id] = None
    elif case == "wrong_type":
        override[first.id] = ("virus.exe", b"MZ\x90\x00 not a pdf")
    elif case == "too_big":
        override[first.id] = ("groot.pdf", BIG)
    elif case == "no_profile":
        fields.pop("profile_ids")
    elif case == "no_municipality":
        fields["municipality_ids"] = []
    elif case == "postcode":
        fields["postcode"] = "12345"
    elif case == "password":
        fields["password"] = fields["password_confirm"] = "kort"
    elif case == "password_confirm":
        fields["password_confirm"] = "iets-heel-anders-123"
    elif case == "valid_until_past":
        fields[f"valid_until_{first.id}"] = today_iso(-1)
    elif case == "email":
        fields["contact_email"] = "geen-adres"
    before = await count_rows(region)
    r = await post_application(client, region, fields=fields, files=evidence_files(reqs, override=override))
    assert r.status_code == 422, r.text[:1000]
    assert message in html.unescape(r.text)
    assert f'id="e-{field}' in r.text  # the message sits at the field
    assert "error-summary" in r.text
    assert await count_rows(region) == before
    if case != "email":
        assert not await user_exists(region, fields["contact_email"])
    # the entered values come back (never the password)
    if case not in ("kvk", "postcode"):
        assert f'value="{fields["kvk"]}"' in r.text
    assert APPLICANT_PASSWORD not in r.text


async def test_all_errors_are_reported_at_once(client, regions) -> None:
    region = await regions.create()
    reqs = await requirements(region)
    fields = application_fields(region, kvk="12", agb="x", postcode="AB", password="kort", password_confirm="kort")
    fields.pop("profile_ids")
    r = await post_application(client, region, fields=fields, files=evidence_files(reqs, override={reqs[0].id: None}))
    assert r.status_code == 422
    for fragment in ("KvK-nummer", "AGB-code", "postcode", "zorgprofiel", "minimaal 12 tekens", "(verplicht)"):
        assert fragment in r.text, fragment


async def test_an_existing_account_must_log_in_first_and_duplicate_kvk_is_refused(client, new_client, regions) -> None:
    region = await regions.create()
    _, email = await apply_via_service(region, kvk="55554444")
    before = await count_rows(region)
    fields = application_fields(region, contact_email=email.upper())
    r = await post_application(client, region, fields=fields)
    assert r.status_code == 422 and "Log eerst in" in r.text
    other = new_client()
    r = await post_application(other, region, fields=application_fields(region, kvk="5555 4444"))
    assert r.status_code == 422 and "Er loopt al een aanmelding voor dit KvK-nummer" in r.text
    assert await count_rows(region) == before


async def test_optional_evidence_and_default_validity(client, regions) -> None:
    region = await regions.create()
    reqs = await requirements(region)
    optional = next(q for q in reqs if not q.evidence_required)
    jpeg = ("kwaliteit.jpg", b"\xff\xd8\xff\xe0" + b"0" * 20, "image/jpeg")
    files = [*evidence_files(reqs), (f"evidence_{optional.id}", jpeg)]
    r = await post_application(client, region, files=files)
    assert r.status_code == 303, r.text[:2000]
    app = await latest_application(region)
    async with region.maker() as s:
        rows = {
            e.requirement_id: e
            for e in (await s.execute(select(Evidence).where(Evidence.application_id == app.id))).scalars()
        }
    assert rows[optional.id].valid_until is None  # this requirement's evidence does not expire
    kvk_req = next(q for q in reqs if q.code == "kvk")
    from contracts.rules import add_months

    assert rows[kvk_req.id].valid_until == add_months(today(), 12)
    download = await client.get(f"/aanmeldingen/{app.id}/bewijs/{rows[optional.id].id}")
    assert download.status_code == 200 and download.headers["content-type"] == "image/jpeg"
    assert f'filename="bewijs-{app.reference}-kwaliteitssysteem.jpg"' in download.headers["content-disposition"]


# ---- entry windows -----------------------------------------------------------------------------------------------


async def test_entry_windows_closed_refuses_and_open_accepts(client, regions) -> None:
    region = await regions.create(admission_mode="windows")
    async with region.maker() as s:
        s.add(
            AdmissionWindow(
                region_id=region.id, opens_on=today() - timedelta(days=60), closes_on=today() - timedelta(days=30)
            )
        )
        s.add(
            AdmissionWindow(
                region_id=region.id, opens_on=today() + timedelta(days=30), closes_on=today() + timedelta(days=60)
            )
        )
        await s.commit()
    page = await client.get(f"/aanmelden?regio={region.slug}")
    assert page.status_code == 200
    assert "Aanmelden is nu niet mogelijk" in page.text and "Het volgende venster" in page.text
    assert 'action="/aanmelden"' not in page.text
    before = await count_rows(region)
    # the form is not shown, but a crafted POST is refused with the same message
    token = csrf_from((await client.get("/inloggen")).text)
    fields = {**application_fields(region), "_csrf_token": token}
    r = await client.post("/aanmelden", data=fields, files=evidence_files(await requirements(region)))
    assert r.status_code == 409 and "Aanmelden is nu niet mogelijk" in r.text
    assert await count_rows(region) == before

    async with region.maker() as s:
        s.add(
            AdmissionWindow(
                region_id=region.id, opens_on=today() - timedelta(days=1), closes_on=today() + timedelta(days=10)
            )
        )
        await s.commit()
    page = await client.get(f"/aanmelden?regio={region.slug}")
    assert "Het aanmeldvenster is open" in page.text
    r = await post_application(client, region)
    assert r.status_code == 303, r.text[:2000]


async def test_public_page_lists_the_requirements_and_serves_a_region_by_default(client, regions) -> None:
    region = await regions.create()
    page = await client.get(f"/aanmelden?regio={region.slug}")
    assert page.status_code == 200
    assert "Beleid verklaring omtrent het gedrag (VOG)" in page.text and "36 maanden" in page.text
    assert 'enctype="multipart/form-data"' in page.text and 'name="_csrf_token"' in page.text
    assert (await client.get("/aanmelden")).status_code == 200
    assert (await client.get("/aanmelden?regio=bestaat-niet")).status_code == 404


# ---- portal actions ----------------------------------------------------------------------------------------------


async def test_applicant_adds_evidence_and_withdraws(client, regions) -> None:
    region = await regions.create()
    reqs = await requirements(region)
    assert (await post_application(client, region, reqs=reqs)).status_code == 303
    app = await latest_application(region)
    portal = await client.get("/mijn-aanmelding")
    token = csrf_from(portal.text)
    r = await client.post(
        "/mijn-aanmelding/bewijs",
        data={"_csrf_token": token, "requirement_id": str(reqs[0].id)},
        files={"evidence": ("x.txt", b"hallo", "text/plain")},
    )
    assert r.status_code == 422 and "alleen PDF-, PNG- of JPEG-bestanden zijn toegestaan" in r.text
    r = await client.post(
        "/mijn-aanmelding/bewijs",
        data={"_csrf_token": token, "requirement_id": str(reqs[0].id)},
        files={"evidence": ("nieuw.pdf", TINY_PDF, "application/pdf")},
    )
    assert r.status_code == 303
    async with region.maker() as s:
        rows = (
            (
                await s.execute(
                    select(Evidence).where(Evidence.application_id == app.id, Evidence.requirement_id == reqs[0].id)
                )
            )
            .scalars()
            .all()
        )
        assert sorted(e.superseded_at is None for e in rows) == [False, True]
    r = await client.post("/mijn-aanmelding/intrekken", data={"_csrf_token": token, "reason": "Toch niet."})
    assert r.status_code == 303
    assert (await get_application(region, app.id)).status == "withdrawn"
    portal = await client.get("/mijn-aanmelding")
    assert "Ingetrokken" in portal.text and 'href="/aanmelden"' in portal.text
    # no more changes to a closed application
    r = await client.post("/mijn-aanmelding/intrekken", data={"_csrf_token": token})
    assert r.status_code == 409
    assert (await audit_actions(region, app.id)).count("withdraw") == 1


# ---- access --------------------------------------------------------------------------------------------------------


async def test_an_applicant_never_sees_another_applicants_files(client, new_client, regions) -> None:
    region = await regions.create()
    team_email = await region.user("team_contracts")
    other_id, _ = await apply_via_service(region)
    await decide_via_service(region, other_id, team_email, "reject", "Onvoldoende onderbouwd.")
    async with region.maker() as s:
        other_evidence = (
            (await s.execute(select(Evidence.id).where(Evidence.application_id == other_id))).scalars().first()
        )
    assert (await post_application(client, region)).status_code == 303
    mine = await latest_application(region)
    for path in (
        f"/aanmeldingen/{other_id}/bewijs/{other_evidence}",
        f"/aanmeldingen/{mine.id}/bewijs/{other_evidence}",
        f"/mijn-aanmelding/{other_id}/besluit.pdf",
        f"/team/aanmeldingen/{other_id}",
    ):
        r = await client.get(path)
        assert r.status_code in (403, 404), path
        if not path.startswith("/team"):
            assert r.status_code == 404, path
    # a region's team never sees another region's application
    elsewhere = await regions.create()
    outsider = new_client()
    await login(outsider, await elsewhere.user("team_admin"))
    assert (await outsider.get(f"/team/aanmeldingen/{other_id}")).status_code == 404
    assert (await outsider.get(f"/aanmeldingen/{other_id}/bewijs/{other_evidence}")).status_code == 404


@pytest.mark.parametrize("role", ["municipality", "referrer"])
async def test_municipality_and_referrer_are_refused_on_team_pages(client, regions, role) -> None:
    region = await regions.create()
    app_id, _ = await apply_via_service(region)
    await login(client, await region.user(role))
    for path in ("/team/aanmeldingen", f"/team/aanmeldingen/{app_id}", f"/team/aanmeldingen/{app_id}/besluit.pdf"):
        assert (await client.get(path)).status_code == 403, path
    assert (await client.get("/mijn-aanmelding")).status_code == 403


async def test_team_roles_without_contracts_may_look_but_not_act(client, regions) -> None:
    region = await regions.create()
    app_id, _ = await apply_via_service(region)
    await login(client, await region.user("team_finance"))
    path = f"/team/aanmeldingen/{app_id}"
    page = await client.get(path)
    assert page.status_code == 200 and "Besluit vastleggen" not in page.text
    r = await post_form(client, f"{path}/in-behandeling", {}, path)
    assert r.status_code == 403
    assert (await get_application(region, app_id)).status == "submitted"


async def test_anonymous_is_sent_to_login(client, regions) -> None:
    region = await regions.create()
    app_id, _ = await apply_via_service(region)
    for path in (
        "/mijn-aanmelding",
        "/team/aanmeldingen",
        f"/team/aanmeldingen/{app_id}",
        f"/aanmeldingen/{app_id}/bewijs/1",
        f"/mijn-aanmelding/{app_id}/besluit.pdf",
    ):
        r = await client.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/inloggen"), path


async def test_forms_refuse_a_missing_csrf_token(client, new_client, regions) -> None:
    region = await regions.create()
    before = await count_rows(region)
    r = await post_application(client, region, with_csrf=False)
    assert r.status_code == 403 and "CSRF" in r.text
    assert await count_rows(region) == before
    app_id, _ = await apply_via_service(region)
    team = new_client()
    await login(team, await region.user("team_contracts"))
    r = await team.post(f"/team/aanmeldingen/{app_id}/in-behandeling", data={})
    assert r.status_code == 403
    assert (await get_application(region, app_id)).status == "submitted"


# ---- the team's list and the other team forms -----------------------------------------------------------------


async def test_team_list_filters_and_counts(client, regions) -> None:
    region = await regions.create()
    team_email = await region.user("team_quality")
    first, _ = await apply_via_service(region, org_name="Alfa Jeugdzorg")
    second, _ = await apply_via_service(region, org_name="Beta Gezinshulp", kvk="77778888")
    await decide_via_service(region, first, await region.user("team_admin"), "reject", "Geen onderbouwing.")
    await login(client, team_email)
    page = await client.get("/team/aanmeldingen")
    assert page.text.index("Beta Gezinshulp") < page.text.index("Alfa Jeugdzorg")  # newest first
    assert "Afgewezen</a> (1)" in page.text and "Ingediend</a> (1)" in page.text
    page = await client.get("/team/aanmeldingen?status=rejected")
    assert "Alfa Jeugdzorg" in page.text and "Beta Gezinshulp" not in page.text
    page = await client.get("/team/aanmeldingen?q=7777")
    assert "Beta Gezinshulp" in page.text and "Alfa Jeugdzorg" not in page.text
    second_ref = (await get_application(region, second)).reference
    page = await client.get(f"/team/aanmeldingen?q={second_ref}")
    assert "Beta Gezinshulp" in page.text


async def test_team_form_errors_are_shown_at_the_field(client, regions) -> None:
    region = await regions.create()
    app_id, _ = await apply_via_service(region)
    await login(client, await region.user("team_contracts"))
    path = f"/team/aanmeldingen/{app_id}"
    r = await post_form(client, f"{path}/informatieverzoek", {"message": "  "}, path)
    assert r.status_code == 422 and 'id="e-message"' in r.text
    r = await post_form(client, f"{path}/intake", {"held_on": today_iso(), "participants": ""}, path)
    assert r.status_code == 422 and "Vul in wie aan het gesprek deelnemen" in r.text
    r = await post_form(client, f"{path}/intake", {"held_on": today_iso(400), "participants": "Jan"}, path)
    assert r.status_code == 422 and "hooguit een jaar vooruit" in r.text
    r = await post_form(client, f"{path}/intake", {"held_on": today_iso(14), "participants": "Jan, Piet"}, path)
    assert r.status_code == 303  # a planned intake
    r = await post_form(client, f"{path}/besluit", {"decision": "reject"}, path)
    assert r.status_code == 422 and "Geef een reden voor de afwijzing" in r.text
    r = await post_form(client, f"{path}/besluit", {"decision": "admit"}, path)
    assert r.status_code == 422 and "ingangsdatum" in r.text and "Toelaten kan pas" in r.text
    r = await post_form(client, f"{path}/besluit", {"decision": "maybe"}, path)
    assert r.status_code == 422 and "Kies een besluit" in r.text
    assert (await get_application(region, app_id)).status == "submitted"
    async with region.maker() as s:
        assert (await s.execute(select(Provider).where(Provider.region_id == region.id))).first() is None


async def test_other_roles_cannot_apply_while_logged_in(client, regions) -> None:
    region = await regions.create()
    await login(client, await region.user("team_contracts"))
    page = await client.get("/aanmelden")
    assert page.status_code == 200 and "Log uit om uw organisatie aan te melden" in page.text
    before = await count_rows(region)
    r = await post_application(client, region)
    assert r.status_code == 409
    assert await count_rows(region) == before


async def test_the_applicant_history_shows_the_question_but_not_internal_details(client, new_client, regions) -> None:
    region = await regions.create()
    assert (await post_application(client, region)).status_code == 303
    app = await latest_application(region)
    team = new_client()
    await login(team, await region.user("team_contracts"))
    path = f"/team/aanmeldingen/{app.id}"
    reqs = await requirements(region)
    form = {f"verdict_{reqs[0].id}": "fail", f"reason_{reqs[0].id}": "INTERNE-AFWEGING"}
    assert (await post_form(team, f"{path}/beoordeling", form, path)).status_code == 303
    r = await post_form(team, f"{path}/informatieverzoek", {"message": "Welke polis heeft u?"}, path)
    assert r.status_code == 303
    portal = (await client.get("/mijn-aanmelding")).text
    assert "Aanvullende informatie gevraagd" in portal and "Welke polis heeft u?" in portal
    assert "INTERNE-AFWEGING" not in portal and team_email_fragment(portal)
    assert "INTERNE-AFWEGING" in (await team.get(path)).text


def team_email_fragment(html_text: str) -> bool:
    """The applicant sees 'Regioteam', never the team member's e-mail address."""
    return "Regioteam" in html_text and "team_contracts-" not in html_text


# ---- pure rules --------------------------------------------------------------------------------------------------


def test_window_status_and_admission_blockers() -> None:
    from datetime import date

    from contracts import admission_rules as ar

    windows = [(date(2026, 3, 1), date(2026, 3, 31)), (date(2026, 9, 1), date(2026, 9, 30))]
    assert ar.window_status("open", windows, date(2026, 5, 1)).is_open
    closed = ar.window_status("windows", windows, date(2026, 5, 1))
    assert not closed.is_open and closed.upcoming == windows[1] and "1 september 2026" in closed.message
    inside = ar.window_status("windows", windows, date(2026, 3, 31))
    assert inside.is_open and inside.current == windows[0]
    assert "geen volgend" in ar.window_status("windows", windows, date(2026, 12, 1)).message

    reqs = [ar.RequirementInfo(1, "a", "A", True, 12), ar.RequirementInfo(2, "b", "B", False, None)]
    assert ar.admission_blockers(reqs, {1: True}, {1: "valid"}) == []
    assert ar.admission_blockers(reqs, {}, {1: "valid"}) == ["'A' is nog niet beoordeeld"]
    assert ar.admission_blockers(reqs, {1: True, 2: False}, {1: "valid"}) == ["'B' voldoet niet"]
    assert ar.admission_blockers(reqs, {1: True}, {1: "expired"}) == ["'A' heeft geen geldig bewijsstuk"]
    assert ar.parse_date("31-01-2027") == date(2027, 1, 31) == ar.parse_date("2027-01-31")
    assert ar.default_valid_until(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert ar.default_valid_until(date(2026, 1, 31), None) is None
    summary = {"datum": "2026-01-02", "deelnemers": "Jan", "notities": "geheim"}
    assert ar.history_lines("intake", summary, public=True) == ["Datum: 2026-01-02"]
    assert "Notities (intern): geheim" in ar.history_lines("intake", summary, public=False)
