"""One entry point for the arrangement actions of the pages and the API: which role may do what, and the
service call for it. A role that may not do an action on an arrangement it can see gets 403; an arrangement it
cannot see is 404 (the services scope every lookup)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.models import Arrangement
from contracts.services import arrangements as svc
from jeugdregio.auth import Principal
from jeugdregio.errors import Forbidden, NotFound

# action -> the roles that may take it
ACTION_ROLES: dict[str, tuple[str, ...]] = {
    "agree": ("referrer", "provider"),
    "family_consent": ("referrer",),
    "reject": ("referrer",),
    "cancel": ("referrer", "provider"),
    "confirm": ("referrer",),
    "dispute": ("referrer",),
    "change": ("referrer",),
    "resolve": ("team_admin", "team_contracts"),
}
PAGE_SLUGS = {
    "akkoord": "agree", "gezin": "family_consent", "afwijzen": "reject", "annuleren": "cancel",
    "bevestigen": "confirm", "betwisten": "dispute", "wijzigen": "change", "geschil": "resolve",
}  # fmt: skip
API_SLUGS = {
    "agree": "agree", "family-consent": "family_consent", "reject": "reject", "cancel": "cancel",
    "confirm": "confirm", "dispute": "dispute", "change": "change", "resolve": "resolve",
}  # fmt: skip
FLASH = {
    "agree": "Uw akkoord is vastgelegd.",
    "family_consent": "Het akkoord van het gezin is vastgelegd.",
    "reject": "Het voorstel is afgewezen.",
    "cancel": "Het arrangement is geannuleerd.",
    "confirm": "Het resultaat is bevestigd.",
    "dispute": "Het resultaat is betwist; het regioteam handelt het geschil af.",
    "change": "De wijziging is voorgesteld aan de aanbieder.",
    "resolve": "Het geschil is afgehandeld.",
}


def _text(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name, "")
    if isinstance(value, list):
        value = value[0] if value else ""
    return "" if value is None else str(value)


def lines(value: Any) -> tuple[str, ...]:
    """A textarea with one item per line, or a list (API), as a tuple of non-empty stripped strings."""
    if isinstance(value, list | tuple):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return tuple(s.strip() for s in str(value or "").splitlines() if s.strip())


def proposal_from(data: Mapping[str, Any]) -> svc.ProposalInput:
    return svc.ProposalInput(
        arrangement_type_id=_text(data, "arrangement_type_id"), planned_start=_text(data, "planned_start"),
        subcontractors=lines(data.get("subcontractors")), assigned_units=_text(data, "assigned_units"),
    )  # fmt: skip


async def apply_action(
    session: AsyncSession, principal: Principal, arrangement_id: int, action: str, data: Mapping[str, Any], *,
    now: datetime,
) -> Arrangement:  # fmt: skip
    if action not in ACTION_ROLES:
        raise NotFound()
    if principal.role not in ACTION_ROLES[action]:
        raise Forbidden()
    actor = principal.actor()
    region = principal.region_id
    if principal.role == "referrer":
        mid = principal.membership_id
        common: dict[str, Any] = dict(region_id=region, referrer_membership_id=mid, arrangement_id=arrangement_id,
                                      actor=actor, now=now)  # fmt: skip
        if action == "agree":
            return await svc.agree_as_referrer(session, **common)
        if action == "family_consent":
            return await svc.record_family_consent(session, note=_text(data, "note"), **common)
        if action == "reject":
            return await svc.reject_arrangement(session, reason=_text(data, "reason"), **common)
        if action == "cancel":
            return await svc.cancel_arrangement(session, reason=_text(data, "reason"), **common)
        if action == "confirm":
            return await svc.confirm_result(session, **common)
        if action == "dispute":
            return await svc.dispute_result(session, reason=_text(data, "reason"), **common)
        return await svc.propose_change(session, data=proposal_from(data), **common)
    if principal.role == "provider":
        if principal.provider_id is None:
            raise NotFound()
        if action == "agree":
            return await svc.agree_as_provider(session, region_id=region, provider_id=principal.provider_id,
                                               arrangement_id=arrangement_id, actor=actor, now=now)  # fmt: skip
        return await svc.cancel_arrangement(session, region_id=region, provider_id=principal.provider_id,
                                            arrangement_id=arrangement_id, reason=_text(data, "reason"),
                                            actor=actor, now=now)  # fmt: skip
    return await svc.resolve_dispute(session, region_id=region, arrangement_id=arrangement_id,
                                     resolution=_text(data, "resolution"), result=_text(data, "result"),
                                     actor=actor, now=now)  # fmt: skip
