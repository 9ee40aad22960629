"""Specifications over HTTP: the PDF's text matches the ledger, approval and paid flow (paid_at on the
declarations), provider scoping, downloads, and PDFs for a month from the process pool."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime

import httpx
from pypdf import PdfReader
from sqlalchemy import func, select

from invoicing.models import Declaration, Specification
from invoicing.services.specifications import build_specifications, make_period_pdfs
from jeugdregio.audit import Actor
from jeugdregio.tables import AuditEvent, Document
from jeugdregio.templating import euro
from tests.invoicing.money_world import NOW, arrangement, build, declaration, ledger
from tests.support.factories import TestRegion, csrf, login

MARCH = date(2026, 3, 1)


@dataclass
class Setup:
    region: TestRegion
    p1: int
    p2: int
    spec1: int
    spec2: int
    decl_ids: list[int]
    pseudonym: str
    by_municipality: dict[int, int]
    total: int


async def _setup(region: TestRegion) -> Setup:
    async with region.maker() as s:
        w = await build(s, region, providers=2)
        p1, p2 = w.providers
        m1, m2 = region.municipality_ids[:2]
        a1 = await arrangement(s, w, provider_id=p1, municipality_id=m1, pseudonym="abcdef0123456789")
        a2 = await arrangement(s, w, provider_id=p1, municipality_id=m2, payment_model="monthly")
        d1 = await declaration(s, w, arrangement_id=a1, provider_id=p1, municipality_id=m1, amount_cents=123_456)
        d2 = await declaration(s, w, arrangement_id=a2, provider_id=p1, municipality_id=m2, kind="month",
                               amount_cents=45_000)  # fmt: skip
        await ledger(s, w, provider_id=p1, municipality_id=m1, amount_cents=123_456, arrangement_id=a1,
                     declaration_id=d1)  # fmt: skip
        await ledger(s, w, provider_id=p1, municipality_id=m2, amount_cents=45_000, kind="month", arrangement_id=a2,
                     declaration_id=d2)  # fmt: skip
        await ledger(s, w, provider_id=p1, municipality_id=m2, amount_cents=-5_000, kind="month", arrangement_id=a2,
                     reason="te veel")  # fmt: skip
        a3 = await arrangement(s, w, provider_id=p2, municipality_id=m1)
        await ledger(s, w, provider_id=p2, municipality_id=m1, amount_cents=77_700, arrangement_id=a3)
        await build_specifications(s, region_id=region.id, period=MARCH, run_id=None, now=NOW)
        ids = dict(
            (await s.execute(select(Specification.provider_id, Specification.id).where(
                Specification.region_id == region.id))).all()
        )
        await s.commit()
    return Setup(region, p1, p2, ids[p1], ids[p2], [d1, d2], "abcdef01", {m1: 123_456, m2: 40_000}, 163_456)


def _pdf_text(content: bytes) -> str:
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return " ".join(text.split())  # the lines are fixed-width text: runs of spaces become one


async def test_pdf_text_matches_the_ledger_totals(client: httpx.AsyncClient, regions) -> None:  # type: ignore[no-untyped-def]
    region = await regions.create()
    st = await _setup(region)
    await login(client, await region.user("team_finance"))

    response = await client.get(f"/team/specificaties/{st.spec1}/pdf")

    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"].startswith("application/pdf")
    text = _pdf_text(response.content)
    assert "SP-2026-03-" in text and "maart 2026" in text
    for subtotal in st.by_municipality.values():
        assert euro(subtotal) in text
    assert f"Totaal {euro(st.total)}" in text
    assert st.pseudonym in text
    assert "123456782" not in text and "Geheime Naam" not in text  # never the BSN or the name
    assert "eerste 50 %" in text and "correctie" not in text and "maand" in text
    # the stored document is reused on the next download, and every download is audited
    again = await client.get(f"/team/specificaties/{st.spec1}/pdf")
    assert again.content == response.content
    async with region.maker() as s:
        docs = (await s.execute(select(func.count()).where(Document.region_id == region.id,
                                                           Document.kind == "specification"))).scalar_one()  # fmt: skip
        reads = (await s.execute(select(func.count()).where(
            AuditEvent.region_id == region.id, AuditEvent.object_type == "specification",
            AuditEvent.action == "download"))).scalar_one()  # fmt: skip
    assert docs == 1 and reads == 2


async def test_csv_has_lines_subtotals_and_total(client: httpx.AsyncClient, regions) -> None:  # type: ignore[no-untyped-def]
    region = await regions.create()
    st = await _setup(region)
    await login(client, await region.user("team_contracts"))

    response = await client.get(f"/team/specificaties/{st.spec1}/csv")

    assert response.status_code == 200
    lines = response.content.decode("utf-8-sig").splitlines()
    assert len(lines) == 1 + 3 + 2 + 1  # header, three ledger lines, two subtotals, total
    assert lines[-1].endswith(f";Totaal;;;;1634,56;{st.total}")
    assert any(";-50,00;-5000" in ln and ";'-" not in ln for ln in lines)  # a number, not text
    xlsx = await client.get(f"/team/specificaties/{st.spec1}/xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


async def test_approve_then_paid_sets_paid_at_and_refuses_other_orders(
    client: httpx.AsyncClient, regions  # type: ignore[no-untyped-def]
) -> None:
    region = await regions.create()
    st = await _setup(region)
    await login(client, await region.user("team_finance"))
    token = await csrf(client, f"/team/specificaties/{st.spec1}")
    base = f"/team/specificaties/{st.spec1}"

    early = await client.post(f"{base}/betaald", data={"_csrf_token": token, "paid_on": "2026-04-10"})
    assert early.status_code == 409

    approved = await client.post(f"{base}/goedkeuren", data={"_csrf_token": token})
    assert approved.status_code == 303
    twice = await client.post(f"{base}/goedkeuren", data={"_csrf_token": token})
    assert twice.status_code == 409

    bad = await client.post(f"{base}/betaald", data={"_csrf_token": token, "paid_on": "10-04-2026"})
    assert bad.status_code == 422 and "betaaldatum" in bad.text

    paid = await client.post(f"{base}/betaald", data={"_csrf_token": token, "paid_on": date.today().isoformat()})
    assert paid.status_code == 303
    again = await client.post(f"{base}/betaald", data={"_csrf_token": token, "paid_on": date.today().isoformat()})
    assert again.status_code == 409

    async with region.maker() as s:
        spec = await s.get(Specification, st.spec1)
        other = await s.get(Specification, st.spec2)
        paid_at = dict((await s.execute(select(Declaration.id, Declaration.paid_at).where(
            Declaration.region_id == region.id))).all())  # fmt: skip
        statuses = set((await s.execute(select(Declaration.status).where(
            Declaration.region_id == region.id))).scalars())  # fmt: skip
        actions = list((await s.execute(select(AuditEvent.action).where(
            AuditEvent.region_id == region.id, AuditEvent.object_type == "specification",
            AuditEvent.object_id == str(st.spec1)).order_by(AuditEvent.id))).scalars())  # fmt: skip
    assert spec is not None and other is not None
    assert (spec.status, spec.paid_on) == ("paid", date.today())
    assert spec.approved_by is not None and spec.approved_at is not None
    assert other.status == "draft"  # the other provider's specification is untouched
    assert all(paid_at[d] is not None for d in st.decl_ids)
    assert statuses == {"paid"}
    assert paid_at[st.decl_ids[0]].date() == date.today()  # type: ignore[union-attr]
    assert "approve" in actions and "paid" in actions
    page = await client.get(base)
    assert page.status_code == 200 and "Dagen tot betaling" in page.text and "Betaald" in page.text


async def test_only_finance_approves(client: httpx.AsyncClient, regions) -> None:  # type: ignore[no-untyped-def]
    region = await regions.create()
    st = await _setup(region)
    await login(client, await region.user("team_quality"))
    token = await csrf(client, f"/team/specificaties/{st.spec1}")
    response = await client.post(f"/team/specificaties/{st.spec1}/goedkeuren", data={"_csrf_token": token})
    assert response.status_code == 403


async def test_provider_sees_only_its_own_specifications(client: httpx.AsyncClient, regions) -> None:  # type: ignore[no-untyped-def]
    region = await regions.create()
    st = await _setup(region)
    await login(client, await region.user("provider", provider_id=st.p1))

    listing = await client.get("/portaal/specificaties")
    own = await client.get(f"/portaal/specificaties/{st.spec1}")
    own_csv = await client.get(f"/portaal/specificaties/{st.spec1}/csv")
    other = await client.get(f"/portaal/specificaties/{st.spec2}")
    other_pdf = await client.get(f"/portaal/specificaties/{st.spec2}/pdf")
    team_page = await client.get(f"/team/specificaties/{st.spec1}")

    assert listing.status_code == 200
    assert f"/portaal/specificaties/{st.spec1}" in listing.text
    assert f"/portaal/specificaties/{st.spec2}" not in listing.text
    assert own.status_code == 200 and euro(st.total) in own.text
    assert own_csv.status_code == 200
    assert other.status_code == 404 and other_pdf.status_code == 404
    assert team_page.status_code == 403


async def test_team_list_filters_and_payment_speed(client: httpx.AsyncClient, regions) -> None:  # type: ignore[no-untyped-def]
    region = await regions.create()
    st = await _setup(region)
    async with region.maker() as s:  # one declaration paid 10 days after it was received
        d = await s.get(Declaration, st.decl_ids[0])
        assert d is not None
        d.paid_at = datetime(2026, 3, 13, 10, 0, tzinfo=UTC)
        await s.commit()
    await login(client, await region.user("team_finance"))

    everything = await client.get("/team/specificaties?periode=2026-03")
    default = await client.get("/team/specificaties")
    assert default.status_code == 200 and 'value="2026-03"' in default.text  # opens on the latest month
    assert f"/team/specificaties/{st.spec1}" in default.text
    one = await client.get(f"/team/specificaties?aanbieder={st.p2}&status=draft")
    wrong = await client.get("/team/specificaties?periode=maart")

    assert everything.status_code == 200
    assert f"/team/specificaties/{st.spec1}" in everything.text and f"/team/specificaties/{st.spec2}" in everything.text
    assert f"/team/specificaties/{st.spec1}\"" not in one.text and f"/team/specificaties/{st.spec2}\"" in one.text
    assert wrong.status_code == 422 and "JJJJ-MM" in wrong.text
    assert f'action="/team/specificaties/{st.spec1}/goedkeuren"' in everything.text  # approve from the list
    assert "10,0" in everything.text  # days to pay for the first municipality
    speed = await client.get("/team/specificaties/betaalsnelheid.csv")
    assert speed.status_code == 200 and ";1;10,0" in speed.content.decode("utf-8-sig")


async def test_period_pdfs_in_a_process_pool(regions) -> None:  # type: ignore[no-untyped-def]
    region = await regions.create()
    st = await _setup(region)
    actor = Actor(user_id=None, label="test", role="team_finance", region_id=region.id)
    async with region.maker() as s:
        made = await make_period_pdfs(s, region_id=region.id, period=MARCH, actor=actor, now=NOW, workers=2)
        await s.commit()
        again = await make_period_pdfs(s, region_id=region.id, period=MARCH, actor=actor, now=NOW, workers=2)
        spec = await s.get(Specification, st.spec2)
        assert spec is not None and spec.document_id is not None
        doc = await s.get(Document, spec.document_id)
    assert (made, again) == (2, 0)
    assert doc is not None and euro(77_700) in _pdf_text(doc.content)
