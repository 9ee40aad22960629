"""Seeding a region's catalogue: intensities, settings, the 45 default arrangement types and their first tariffs
(catalogue.defaults documents the code scheme and which amounts are published or illustrative).

Idempotent per region: rows are matched on their natural keys (intensity code, setting code, type code), and a
type gets its first tariff only when it has none, so a second call changes nothing. Never commits."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from catalogue.defaults import DEFAULT_INTENSITIES, DEFAULT_SETTINGS, default_types, product_code, type_code
from catalogue.models import ArrangementType, CareSetting, Intensity, Tariff


async def _insert_new(
    session: AsyncSession, model: Any, region_id: int, rows: list[dict[str, Any]]
) -> tuple[dict[str, int], int]:
    """Insert the rows whose natural key is not there yet; the region's code -> id map and how many were new."""
    count = 0
    if rows:
        created = await session.execute(insert(model).values(rows).on_conflict_do_nothing().returning(model.id))
        count = len(created.all())
    ids = await session.execute(select(model.code, model.id).where(model.region_id == region_id))
    return dict(ids.all()), count


async def _intensities(session: AsyncSession, region_id: int) -> tuple[dict[str, int], int]:
    rows = [
        {"region_id": region_id, "complexity": c, "code": code, "name": name, "payment_model": model, "sort_order": n}
        for c, code, name, model, n in DEFAULT_INTENSITIES
    ]
    return await _insert_new(session, Intensity, region_id, rows)


async def _settings(session: AsyncSession, region_id: int) -> tuple[dict[str, int], int]:
    rows = [{"region_id": region_id, "code": code, "name": name, "sort_order": n} for code, name, n in DEFAULT_SETTINGS]
    return await _insert_new(session, CareSetting, region_id, rows)


async def seed_catalogue(
    session: AsyncSession, *, region_id: int, profile_ids: dict[int, int], valid_from: date
) -> dict[str, int]:
    """Create the region's default catalogue; `profile_ids` maps profile number -> id (types of a missing
    profile are skipped). Tariffs start on `valid_from`, open-ended. Returns how many rows were created."""
    intensity_ids, n_intensities = await _intensities(session, region_id)
    setting_ids, n_settings = await _settings(session, region_id)
    wanted = [t for t in default_types() if t[0] in profile_ids]
    type_rows = [
        {
            "region_id": region_id, "code": type_code(p, i, s), "profile_id": profile_ids[p],
            "intensity_id": intensity_ids[i], "setting_id": setting_ids[s],
            "complexity": "high" if i.startswith("H") else "low", "payment_model": model, "max_months": months,
            "ijw_product_category": "45", "ijw_product_code": product_code(p, i, s), "unit": "82", "active": True,
        }
        for p, i, s, model, months, _cents, _illustrative in wanted
    ]  # fmt: skip
    type_ids, n_types = await _insert_new(session, ArrangementType, region_id, type_rows)
    with_tariff = set(
        (await session.execute(select(Tariff.arrangement_type_id).where(Tariff.region_id == region_id))).scalars()
    )
    tariff_rows = [
        {"region_id": region_id, "arrangement_type_id": type_ids[code], "amount_cents": cents, "valid_from": valid_from,
         "created_at": func.now()}
        for p, i, s, _model, _months, cents, _illustrative in wanted
        if (code := type_code(p, i, s)) in type_ids and type_ids[code] not in with_tariff
    ]
    if tariff_rows:
        await session.execute(insert(Tariff).values(tariff_rows))
    await session.flush()
    return {"intensities": n_intensities, "settings": n_settings, "arrangement_types": n_types,
            "tariffs": len(tariff_rows)}  # fmt: skip
