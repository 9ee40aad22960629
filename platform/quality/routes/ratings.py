"""Rating invitations and the public rating page (one-time links).

- `/beoordelen/{token}` (GET) and `/beoordelen` (POST, token in the form): public, no login, works without JS.
  A dead link gives a friendly 410 page; wrong answers re-render the form with 422.
- `POST /api/v1/ratings`: the same for an app (JSON with the token in the body), public.
- Rating links are throttled per client address (X-Forwarded-For only from trusted proxies, as the public search
  limiter), `RATING_REQUESTS_PER_MINUTE`, env `JEUGDREGIO_RATING_RATE_LIMIT` (0 = off).
- `/kwaliteit/uitnodigingen/{arrangement_id}`: the team or the referrer who confirmed the result sends the
  invitations: by e-mail (outbox) or as a printable letter with a QR code.
- `/team/kwaliteit/opmerkingen`: team_quality moderates free text."""

from __future__ import annotations

import os
import time
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from sqlalchemy.ext.asyncio import AsyncSession

from jeugdregio.auth import Principal
from jeugdregio.clock import utcnow
from jeugdregio.errors import Gone, RateLimited, ValidationFailed
from jeugdregio.settings import get_settings
from jeugdregio.tables import TEAM_ROLES
from jeugdregio.web import PublicRateLimit, client_ip, page, redirect, requires_roles
from quality.services import invitations as inv
from quality.services import ratings as svc

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]

RATING_REQUESTS_PER_MINUTE = int(os.environ.get("JEUGDREGIO_RATING_RATE_LIMIT", "30"))
requires_sender = requires_roles(*TEAM_ROLES, "referrer")
requires_moderator = requires_roles(*svc.MODERATORS)


def _throttle(request: Request[Any, Any, Any]) -> None:
    """Per client address, per worker process; one limiter per app (kept on app.state)."""
    limiter: PublicRateLimit | None = request.app.state.get("rating_rate_limit")
    if limiter is None:
        limiter = PublicRateLimit(RATING_REQUESTS_PER_MINUTE)
        request.app.state.rating_rate_limit = limiter
    if limiter.per_minute:
        wait = limiter.allow(client_ip(request.scope), time.monotonic())
        if wait:
            raise RateLimited("U heeft te vaak geprobeerd een beoordelingslink te openen. Probeer het later opnieuw.",
                              retry_after=wait)  # fmt: skip


def _gone_page(request: Request[Any, Any, Any], exc: Gone) -> Response[str]:
    return page(request, "quality/rating_gone.html", status_code=410, message=exc.message)


def _form_page(
    request: Request[Any, Any, Any], link: svc.OpenLink, token: str, *, status_code: int = 200,
    errors: dict[str, str] | None = None, form: dict[str, Any] | None = None,
) -> Response[str]:  # fmt: skip
    return page(
        request, "quality/rating_form.html", status_code=status_code, link=link, token=token,
        labels=svc.HELP_AGAIN_LABELS, errors=errors or {}, form=form or {}, comment_max=svc.COMMENT_MAX,
    )  # fmt: skip


@get("/beoordelen/{token:str}", include_in_schema=False)
async def rating_page(request: Request[Any, Any, Any], db: AsyncSession, token: str) -> Response[str]:
    _throttle(request)
    try:
        link = await svc.open_link(db, token, now=utcnow())
    except Gone as exc:
        return _gone_page(request, exc)
    return _form_page(request, link, token)


@post("/beoordelen", include_in_schema=False)
async def rating_submit(request: Request[Any, Any, Any], db: AsyncSession, data: Form) -> Response[Any]:
    _throttle(request)
    token = str(data.get("token", ""))
    now = utcnow()
    try:
        await svc.submit_rating(db, token, data, now=now)
    except Gone as exc:
        await db.rollback()
        return _gone_page(request, exc)
    except ValidationFailed as exc:
        await db.rollback()
        link = await svc.open_link(db, token, now=now)
        return _form_page(request, link, token, status_code=422, errors=exc.by_field(), form=data)
    return redirect("/beoordelen/bedankt")


@get("/beoordelen/bedankt", include_in_schema=False)
async def rating_thanks(request: Request[Any, Any, Any]) -> Response[str]:
    return page(request, "quality/rating_thanks.html")


@post("/api/v1/ratings", tags=["ratings"], status_code=201)
async def rating_submit_api(request: Request[Any, Any, Any], db: AsyncSession, data: dict[str, Any]) -> dict[str, Any]:
    """Submit a rating with a one-time link's token (public: the token is the credential). Fields: token,
    usefulness (1-10), help_again ('01' same or heavier, '02' lighter, '03' not now maybe later, '04' no),
    comment (optional, at most 2,000 characters). A used, expired or unknown token: 410."""
    _throttle(request)
    if not isinstance(data, dict):
        raise ValidationFailed.single("body", "Stuur een JSON-object.")
    rating_id = await svc.submit_rating(db, str(data.get("token", "")), data, now=utcnow())
    return {"id": rating_id, "status": "received"}


# ---- sending invitations (team, referrer) ---------------------------------------------------------------------


def _base_url(request: Request[Any, Any, Any]) -> str:
    return get_settings().base_url


def _list_page(
    request: Request[Any, Any, Any], principal: Principal, rows: list[inv.InvitationRow], settings: inv.Settings,
    *, status_code: int = 200, errors: dict[str, str] | None = None, form: dict[str, Any] | None = None,
) -> Response[str]:  # fmt: skip
    return page(
        request, "quality/invitation_list.html", status_code=status_code, rows=rows, settings=settings,
        may_edit=principal.role in inv.SETTINGS_EDITORS, errors=errors or {}, form=form or {},
    )  # fmt: skip


@get("/kwaliteit/uitnodigingen", guards=[requires_sender], include_in_schema=False)
async def invitations_list(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> Response[str]:
    rows = await inv.invitation_list(db, principal, now=utcnow())
    return _list_page(request, principal, rows, await inv.rating_settings(db, principal.region_id))


@post("/kwaliteit/uitnodigingen/instellingen", guards=[requires_roles(*inv.SETTINGS_EDITORS)],
      include_in_schema=False)  # fmt: skip
async def invitation_settings(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, data: Form
) -> Response[Any]:
    try:
        await inv.save_rating_settings(
            db, principal, link_valid_days=str(data.get("link_valid_days", "")),
            youth_min_age=str(data.get("youth_min_age", "")), actor=principal.actor(), now=utcnow(),
        )  # fmt: skip
    except ValidationFailed as exc:
        await db.rollback()
        rows = await inv.invitation_list(db, principal, now=utcnow())
        settings = await inv.rating_settings(db, principal.region_id)
        return _list_page(request, principal, rows, settings, status_code=422, errors=exc.by_field(), form=data)
    return redirect("/kwaliteit/uitnodigingen", "De instellingen voor beoordelingslinks zijn opgeslagen.")


@get("/kwaliteit/uitnodigingen/{arrangement_id:int}", guards=[requires_sender], include_in_schema=False)
async def invitations_page(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, arrangement_id: int
) -> Response[str]:
    view = await inv.invitations_for(db, principal, arrangement_id)
    return page(request, "quality/invitation_detail.html", view=view, now=utcnow())


@post("/kwaliteit/uitnodigingen/{arrangement_id:int}/email", guards=[requires_sender], include_in_schema=False)
async def invitation_email(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, arrangement_id: int, data: Form
) -> Response[Any]:
    try:
        await inv.send_invitation_email(
            db, principal, arrangement_id, informant=str(data.get("informant", "")), email=str(data.get("email", "")),
            base_url=_base_url(request), actor=principal.actor(), now=utcnow(),
        )  # fmt: skip
    except ValidationFailed as exc:
        await db.rollback()
        view = await inv.invitations_for(db, principal, arrangement_id)
        return page(request, "quality/invitation_detail.html", status_code=422, view=view, now=utcnow(),
                    errors=exc.by_field(), form=data)  # fmt: skip
    return redirect(f"/kwaliteit/uitnodigingen/{arrangement_id}", "De uitnodiging staat klaar om te worden verstuurd.")


@post(
    "/kwaliteit/uitnodigingen/{arrangement_id:int}/brief", guards=[requires_sender], include_in_schema=False,
    status_code=200,
)
async def invitation_letter(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, arrangement_id: int, data: Form
) -> Response[bytes]:
    informant = str(data.get("informant", ""))
    pdf = await inv.invitation_letter(
        db, principal, arrangement_id, informant=informant, base_url=_base_url(request), actor=principal.actor(),
        now=utcnow(),
    )  # fmt: skip
    disposition = f'attachment; filename="uitnodiging-{arrangement_id}.pdf"'
    return Response(pdf, media_type="application/pdf", headers={"content-disposition": disposition})


# ---- moderation (team_quality) ----------------------------------------------------------------------------------


@get("/team/kwaliteit/opmerkingen", guards=[requires_moderator], include_in_schema=False)
async def comments_page(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> Response[str]:
    pending = await svc.pending_comments(db, principal, now=utcnow())
    return page(request, "quality/rating_moderation.html", pending=pending, labels=svc.HELP_AGAIN_LABELS)


@post("/team/kwaliteit/opmerkingen", guards=[requires_moderator], include_in_schema=False)
async def comments_moderate(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, data: Form
) -> Response[Any]:
    try:
        rating_id = int(str(data.get("rating_id", "")))
    except ValueError:
        raise ValidationFailed.single("rating_id", "Kies een opmerking.") from None
    decision = str(data.get("decision", ""))
    await svc.moderate_comment(db, principal, rating_id, decision, actor=principal.actor(), now=utcnow())
    done = "De opmerking is goedgekeurd." if decision == "approve" else "De opmerking is afgewezen."
    return redirect("/team/kwaliteit/opmerkingen", done)


ROUTES: list[Any] = [
    rating_page, rating_submit, rating_thanks, rating_submit_api, invitations_list, invitation_settings,
    invitations_page, invitation_email,
    invitation_letter, comments_page, comments_moderate,
]  # fmt: skip
