"""Bulk CSV upload: a 10,000-row file with defects at known rows reports exactly those rows (and columns) and
stores nothing; a clean file is stored whole; encoding, delimiter and column count; start and end lines."""

from __future__ import annotations

import csv
import json
from datetime import date

import pytest
from sqlalchemy import func, select

from invoicing.models import Declaration, DeclarationBatch
from invoicing.services.declaration_import import (
    HEADER,
    ImportFailed,
    import_declarations,
    json_lines,
    prepare_lines,
)
from jeugdregio.errors import ValidationFailed
from tests.support.invoicing_factories import (
    InvoicingWorld,
    add_arrangement,
    add_arrangements_bulk,
    add_declaration,
    arrangement_row,
    at,
    build_invoicing,
    provider_actor_of,
)  # fmt: skip

NOW = at(2026, 11, 5)


async def _import(session, world: InvoicingWorld, content: bytes):  # type: ignore[no-untyped-def]
    return await import_declarations(session, region_id=world.region.id, provider_id=world.provider_id,
                                     content=content, filename="test.csv", channel="csv",
                                     actor=provider_actor_of(world.region.id, world.provider_id), now=NOW)  # fmt: skip


async def _count(session, region_id: int) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    d = (await session.execute(select(func.count()).where(Declaration.region_id == region_id))).scalar_one()
    b = (await session.execute(select(func.count()).where(DeclarationBatch.region_id == region_id))).scalar_one()
    return int(d), int(b)


async def ten_thousand(session, world: InvoicingWorld) -> list[str]:  # type: ignore[no-untyped-def]
    """500 monthly and 500 P×Q arrangements × 10 months (Jan–Oct 2026): 10,000 clean lines (index 0 = row 2)."""
    monthly = await add_arrangements_bulk(session, world, 500, model="monthly", prefix="AR-M", tariff_cents=12_345)
    pxq = await add_arrangements_bulk(session, world, 500, model="pxq", prefix="AR-Q", tariff_cents=1_500)
    lines = []
    for month in range(1, 11):
        lines += [f"{ref};maand;2026-{month:02d};;;;;M{i}" for i, (_, ref) in enumerate(monthly)]
        lines += [f"{ref};pxq;2026-{month:02d}-01;2;;;;Q{i}" for i, (_, ref) in enumerate(pxq)]
    return lines


def csv_bytes(lines: list[str]) -> bytes:
    return ("\n".join([HEADER, *lines]) + "\n").encode()


async def test_a_clean_ten_thousand_row_file_is_stored_whole(session, regions) -> None:
    world = await build_invoicing(session, await regions.create())
    lines = await ten_thousand(session, world)
    result = await _import(session, world, csv_bytes(lines))
    assert result.rows == 10_000 and result.per_kind == {"maand": 5000, "pxq": 5000}
    assert result.total_cents == 5000 * 12_345 + 5000 * 2 * 1_500
    assert await _count(session, world.region.id) == (10_000, 1)
    stored = (await session.execute(select(Declaration).where(Declaration.region_id == world.region.id,
                                                              Declaration.external_ref == "Q0")
                                    .order_by(Declaration.period))).scalars().all()  # fmt: skip
    first = stored[0]
    assert (first.kind, first.period, first.units, first.amount_cents, first.status, first.batch_id) == (
        "pxq", date(2026, 1, 1), 2, 3_000, "accepted", result.batch_id)


async def test_defects_at_known_rows_are_reported_exactly_and_nothing_is_stored(session, regions) -> None:
    world = await build_invoicing(session, await regions.create())
    lines = await ten_thousand(session, world)
    foreign = await add_arrangement(session, world, model="monthly", status="started", start_date=date(2026, 1, 1),
                                    provider_id=world.other_provider_id, reference="AR-VREEMD")  # fmt: skip
    del foreign
    fifty = await add_arrangement(session, world, status="started", start_date=date(2026, 1, 10), reference="AR-5050")
    del fifty
    from contracts.models import Arrangement

    def at_row(row: int, line: str) -> None:
        lines[row - 2] = line

    def original(row: int) -> list[str]:
        return lines[row - 2].split(";")

    # rows 2–501: monthly January; 502–1001: P×Q January; 1002–1501: monthly February
    taken_ref = original(1200)[0]  # an earlier declaration in the database for row 1200's month
    q = select(Arrangement.id).where(Arrangement.region_id == world.region.id, Arrangement.reference == taken_ref)
    taken = (await session.execute(q)).scalar_one()
    await add_declaration(session, world, taken, kind="month", period=date(2026, 2, 1), amount_cents=12_345)
    gone = original(100)[0]
    at_row(100, "AR-ONBEKEND;maand;2026-01;;;;;x")
    at_row(200, f"{original(200)[0]};jaar;2026-01;;;;;x")
    at_row(300, f"{original(300)[0]};maand;2026-01;;;;x")  # 7 columns
    at_row(400, f"{original(400)[0]};maand;2026-13;;;;;x")
    at_row(600, f"{original(600)[0]};pxq;2026-01-01;2;99;;;x")  # the tariff gives 2 × 1,500 cents
    at_row(700, f"{original(700)[0]};pxq;2026-01;-3;;;;x")
    at_row(800, lines[0])  # the same as row 2
    at_row(900, f"{gone};maand;2025-11;;;;;x")  # before the start
    at_row(1000, "AR-5050;einde;2025-12-01;;;31;1:behaald|2:behaald;x")  # end before start
    at_row(1100, "AR-VREEMD;maand;2026-02;;;;;x")  # another provider's arrangement
    expected = {100: {"referentie"}, 200: {"soort"}, 300: {"bestand"}, 400: {"datum"}, 600: {"bedrag_cent"},
                700: {"eenheden"}, 800: {"referentie"}, 900: {"datum"}, 1000: {"datum"}, 1100: {"referentie"},
                1200: {"referentie"}}  # fmt: skip
    before = await _count(session, world.region.id)
    with pytest.raises(ImportFailed) as exc:
        await _import(session, world, csv_bytes(lines))
    got: dict[int, set[str]] = {}
    for e in exc.value.errors:
        assert e.row is not None and e.message.startswith(f"Rij {e.row}")
        got.setdefault(e.row, set()).add(e.field)
    assert got == expected, exc.value.errors
    assert exc.value.total == len(exc.value.errors) == 11
    messages = {e.row: e.message for e in exc.value.errors}
    assert "onbekend arrangement 'AR-ONBEKEND'" in messages[100] and "'jaar'" in messages[200]
    assert "7 kolommen" in messages[300] and "'2026-13'" in messages[400]
    assert "€ 0,99" in messages[600] and "€ 30,00" in messages[600] and "-3 is negatief" in messages[700]
    assert "rij 2 " in messages[800] and "buiten de looptijd" in messages[900]
    assert "vóór de startdatum 10-01-2026" in messages[1000] and "'AR-VREEMD'" in messages[1100]
    assert "al eerder gedeclareerd" in messages[1200]
    assert await _count(session, world.region.id) == before


async def test_the_first_thousand_errors_and_the_total_are_reported(session, regions) -> None:
    world = await build_invoicing(session, await regions.create())
    content = csv_bytes([f"AR-X{i};maand;2026-01;;;;;" for i in range(1500)])
    with pytest.raises(ImportFailed) as exc:
        await _import(session, world, content)
    assert exc.value.total == 1500 and len(exc.value.errors) == 1000
    assert "1500 fouten" in exc.value.message and exc.value.errors[0].row == 2


async def test_the_total_counts_each_error_once_when_rows_have_several(session, regions) -> None:
    world = await build_invoicing(session, await regions.create())
    two_each = [f"AR-X{i};pxq;2026-01;-2;;;;" for i in range(600)]  # unknown reference and negative units
    with pytest.raises(ImportFailed) as exc:
        await _import(session, world, csv_bytes(["AR-Y;maand;2026-01;;;;;", *two_each]))
    assert exc.value.total == 1 + 1200 and len(exc.value.errors) == 1000
    assert "1201 fouten" in exc.value.message
    assert [(e.row, e.field) for e in exc.value.errors[:3]] == [(2, "referentie"), (3, "referentie"), (3, "eenheden")]
    with pytest.raises(ImportFailed) as small:
        await _import(session, world, csv_bytes(["AR-Y;maand;2026-01;;;;;", "AR-Z;pxq;2026-01;-2;;;;"]))
    assert small.value.total == len(small.value.errors) == 3 and "3 fouten" in small.value.message


@pytest.mark.parametrize(("content", "field", "fragment"), [
    (b"referentie,soort,datum,eenheden,bedrag_cent,reden_einde,resultaten,eigen_referentie\nA,maand,2026-01,,,,,\n"
, "bestand", "puntkomma"),
    (f"{HEADER}\nAR-1;maand;2026-01;;;;;Café\n".encode("latin-1"), "bestand", "UTF-8"),
    (b"naam;datum\nx;y\n", "bestand", "Kopregel"),
    (f"{HEADER}\n".encode(), "bestand", "geen declaraties"),
])  # fmt: skip
async def test_encoding_delimiter_and_header_are_checked_first(session, regions, content, field, fragment) -> None:
    world = await build_invoicing(session, await regions.create())
    with pytest.raises(ImportFailed) as exc:
        await _import(session, world, content)
    assert exc.value.errors[0].field == field and fragment in exc.value.errors[0].message


async def test_start_and_end_lines_move_the_arrangements(session, regions) -> None:
    world = await build_invoicing(session, await regions.create())
    agreed = await add_arrangement(session, world, tariff_cents=100_000, reference="AR-S1")
    started = await add_arrangement(session, world, status="started", start_date=date(2026, 1, 10), reference="AR-E1")
    result = await _import(session, world, csv_bytes(["AR-S1;start;2026-01-12;;50000;;;s",
                                                      "AR-E1;einde;2026-03-01;;;31;1:behaald|2:deels;e"]))
    assert result.per_kind == {"start": 1, "einde": 1}
    assert (await arrangement_row(session, agreed)).status == "started"
    row = await arrangement_row(session, started)
    assert (row.status, row.result, row.end_reason) == ("ended", "partly", "31")


async def test_quoted_fields_and_in_file_duplicates(session, regions) -> None:
    world = await build_invoicing(session, await regions.create())
    await add_arrangement(session, world, tariff_cents=100_000, reference="AR-S2")
    with pytest.raises(ImportFailed) as exc:
        await _import(session, world, csv_bytes(['"AR-S2";"start";"2026-01-12";;;;;"eigen; met puntkomma"',
                                                 "AR-S2;start;2026-01-13;;;;;"]))  # fmt: skip
    assert [(e.row, e.field) for e in exc.value.errors] == [(3, "referentie")]
    assert "rij 2" in exc.value.errors[0].message


async def test_the_month_cap_and_the_assigned_volume_count_the_file_and_the_database(session, regions) -> None:
    world = await build_invoicing(session, await regions.create())
    monthly = await add_arrangement(session, world, model="monthly", status="started", start_date=date(2026, 1, 1),
                                    max_months=3, reference="AR-CAP")  # fmt: skip
    await add_declaration(session, world, monthly, kind="month", period=date(2026, 1, 1), amount_cents=100_000)
    await add_arrangement(session, world, model="pxq", status="started", start_date=date(2026, 1, 1),
                          tariff_cents=1_500, assigned_units=20, reference="AR-VOL")  # fmt: skip
    with pytest.raises(ImportFailed) as exc:
        await _import(session, world, csv_bytes([
            "AR-CAP;maand;2026-03;;;;;", "AR-VOL;pxq;2026-01;12;;;;", "AR-CAP;maand;2026-02;;;;;",
            "AR-CAP;maand;2026-04;;;;;", "AR-VOL;pxq;2026-02;9;;;;",
        ]))  # fmt: skip
    assert [(e.row, e.field) for e in exc.value.errors] == [(5, "datum"), (6, "eenheden")]
    assert "maximum van 3 maanden" in exc.value.errors[0].message and "21" in exc.value.errors[1].message


# ---- JSON lines → the CSV format ------------------------------------------------------------------------------


def _json_rows(body: str) -> tuple[list[list[str]], list[tuple[int | None, str]]]:
    content, errors = json_lines(body.encode())
    lines, early = prepare_lines(content, first_row=1)
    assert not early, early
    rows = [next(csv.reader([line], delimiter=";")) for line in lines]
    return rows, [(e.row, e.message) for e in errors]


def test_json_lines_keep_their_line_numbers_and_quote_only_what_needs_it() -> None:
    body = "\n".join([
        json.dumps({"arrangement_reference": "AR-1", "kind": "month", "date": "2026-01"}),
        "",
        json.dumps({"arrangement_reference": "AR-2", "kind": "end", "date": "2026-02-03", "end_reason": "31",
                    "outcomes": {"1": "behaald", "2": "deels"}, "external_ref": 'a;b "c"\nd'}),
        json.dumps({"arrangement_reference": "AR-3", "kind": "pxq", "date": "2026-01", "units": 4,
                    "amount_cents": 6000}),
        json.dumps({"arrangement_reference": None, "kind": "jaar"}),
    ])  # fmt: skip
    rows, errors = _json_rows(body)
    assert errors == []
    assert rows == [
        ["1", "AR-1", "maand", "2026-01", "", "", "", "", ""],
        ["3", "AR-2", "einde", "2026-02-03", "", "", "31", "1:behaald|2:deels", 'a;b "c" d'],
        ["4", "AR-3", "pxq", "2026-01", "4", "6000", "", "", ""],
        ["5", "", "jaar", "", "", "", "", "", ""],  # the import reports these (empty reference, unknown kind)
    ]  # fmt: skip


def test_objects_spanning_lines_are_refused_line_by_line() -> None:
    """Joined with commas, these three lines would parse as an array of three objects."""
    rows, errors = _json_rows('{"arrangement_reference": "AR-1"\n"kind": "month"}\n{"kind": "maand"},{"date": "x"}')
    assert rows == [] and [row for row, _ in errors] == [1, 2, 3]


@pytest.mark.parametrize("bad", ["not json", '{"kind": "month"}, {"kind": "start"}', "null", "[1, 2]", '"text"'])
def test_a_line_that_is_not_one_json_object_is_reported_at_its_row(bad: str) -> None:
    good = json.dumps({"arrangement_reference": "AR-1", "kind": "month", "date": "2026-01"})
    rows, errors = _json_rows("\n".join([good, bad, good]))
    assert [r[0] for r in rows] == ["1", "3"] and [r[1] for r in rows] == ["AR-1", "AR-1"]
    assert errors == [(2, "Rij 2: geen geldig JSON-object.")]


def test_a_json_body_that_is_not_utf8_is_refused() -> None:
    with pytest.raises(ValidationFailed) as exc:
        json_lines(b'{"kind": "m\xe4and"}')
    assert exc.value.errors[0].field == "body"
