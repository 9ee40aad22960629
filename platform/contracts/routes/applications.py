"""Application workflow pages: the public form, the applicant's portal, downloads, and the team's review and
decision. Thin handlers, one service call each; the JSON API is in `applications_api`."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import Cookie, FormMultiDict, UploadFile
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.models import APPLICATION_STATUSES
from contracts.routes import applications_api
from contracts.routes.common import Form, document_download, requires_applicant_or_provider
from contracts.schemas import ApplicationInput, DecisionInput, EvidenceFile, IntakeInput, ReviewVerdict
from contracts.services import application_dossier as dossiers
from contracts.services import application_portal as applicant
from contracts.services import application_review as review
from contracts.services import applications
from jeugdregio.auth import SESSION_COOKIE, Principal
from jeugdregio.clock import utcnow
from jeugdregio.documents import MAX_UPLOAD_BYTES
from jeugdregio.errors import ValidationFailed
from jeugdregio.settings import get_settings
from jeugdregio.web import (
    page,
    redirect,
    request_id_of,
    requires_login,
    requires_team,
    requires_team_contracts,
)

MAX_APPLICATION_BODY = 12 * MAX_UPLOAD_BYTES  # a file per requirement, each at most 10 MB
MAX_EVIDENCE_BODY = 4 * MAX_UPLOAD_BYTES
TEXT_FIELDS = ("org_name", "kvk", "agb", "street", "postcode", "city", "contact_name", "contact_email",
               "contact_phone", "vision")  # fmt: skip


# ---- form helpers ------------------------------------------------------------------------------------------


def _text(form: FormMultiDict | dict[str, Any], name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


async def _evidence_files(form: FormMultiDict) -> tuple[EvidenceFile, ...]:
    """One file input per requirement (`evidence_<id>`) with an optional `valid_until_<id>`."""
    out = []
    for key, value in form.multi_items():
        rid = key.removeprefix("evidence_")
        if key.startswith("evidence_") and rid.isdigit() and isinstance(value, UploadFile) and value.filename:
            out.append(EvidenceFile(
                int(rid), await value.read(), value.filename, _text(form, f"valid_until_{rid}"),
                field=key, date_field=f"valid_until_{rid}",
            ))  # fmt: skip
    return tuple(out)


def _form_values(form: FormMultiDict) -> dict[str, Any]:
    """What the applicant typed, to re-render the form (never passwords or files)."""
    values: dict[str, Any] = {
        k: v for k, v in form.items() if isinstance(v, str) and not k.startswith(("password", "_"))
    }
    values["profile_ids"] = [v for v in form.getall("profile_ids", []) if isinstance(v, str)]
    values["municipality_ids"] = [v for v in form.getall("municipality_ids", []) if isinstance(v, str)]
    return values


def _session_cookie(value: str) -> Cookie:
    settings = get_settings()
    return Cookie(
        key=SESSION_COOKIE, value=value, httponly=True, secure=settings.cookie_secure, samesite="lax", path="/",
        max_age=settings.session_hours * 3600,
    )  # fmt: skip


# ---- public: apply -------------------------------------------------------------------------------------------


def _prefill(data: applications.ApplyPage) -> dict[str, Any]:
    prev = data.previous
    if prev is None:
        return {"profile_ids": [], "municipality_ids": []}
    return {**{name: str(getattr(prev, name)) for name in TEXT_FIELDS}, "profile_ids": [], "municipality_ids": []}


def _apply_page(request: Request[Any, Any, Any], data: applications.ApplyPage, **context: Any) -> Response[str]:
    return page(request, "contracts/application_apply.html", data=data, **context)


@get("/aanmelden", include_in_schema=False)
async def apply_form(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal | None, regio: str = ""
) -> Response[str]:
    data = await applications.apply_page(db, slug=regio or None, principal=principal, now=utcnow())
    return _apply_page(request, data, form=_prefill(data), slug=regio)


@post("/aanmelden", include_in_schema=False, request_max_body_size=MAX_APPLICATION_BODY)
async def apply_submit(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal | None) -> Response[Any]:
    form = await request.form()
    slug = _text(form, "regio") or request.query_params.get("regio") or None
    data = ApplicationInput(
        **{name: _text(form, name) for name in TEXT_FIELDS},
        profile_ids=tuple(str(v) for v in form.getall("profile_ids", [])),
        municipality_ids=tuple(str(v) for v in form.getall("municipality_ids", [])),
        password=_text(form, "password"), password_confirm=_text(form, "password_confirm"),
        evidence=await _evidence_files(form),
    )  # fmt: skip
    try:
        result = await applications.submit_application(
            db, data, slug=slug, principal=principal, now=utcnow(), session_hours=get_settings().session_hours,
            request_id=request_id_of(request.scope),
        )  # fmt: skip
    except ValidationFailed as exc:
        await db.rollback()
        page_data = await applications.apply_page(db, slug=slug, principal=principal, now=utcnow())
        return _apply_page(request, page_data, status_code=422, errors=exc.by_field(), form=_form_values(form),
                           slug=slug or "")  # fmt: skip
    response = redirect(
        "/mijn-aanmelding",
        f"Uw aanmelding is ontvangen onder kenmerk {result.application.reference}. "
        "U krijgt een bevestiging per e-mail.",
    )
    if result.session_cookie:
        response.set_cookie(_session_cookie(result.session_cookie))
    return response


# ---- the applicant's portal ---------------------------------------------------------------------------------


async def _portal(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, *, status_code: int = 200,
    errors: dict[str, str] | None = None, form: dict[str, Any] | None = None,
) -> Response[str]:  # fmt: skip
    dossier = await dossiers.portal_dossier(db, principal, now=utcnow())
    return page(request, "contracts/application_portal.html", status_code=status_code, dossier=dossier,
                errors=errors or {}, form=form or {})  # fmt: skip


@get("/mijn-aanmelding", guards=[requires_applicant_or_provider], include_in_schema=False)
async def portal(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> Response[str]:
    return await _portal(request, db, principal)


@post("/mijn-aanmelding/aanvulling", guards=[requires_applicant_or_provider], include_in_schema=False,
      request_max_body_size=MAX_APPLICATION_BODY)  # fmt: skip
async def portal_answer(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> Response[Any]:
    form = await request.form()
    try:
        await applicant.answer_info_request(
            db, principal, _text(form, "answer"), await _evidence_files(form), actor=principal.actor(), now=utcnow()
        )
    except ValidationFailed as exc:
        await db.rollback()
        return await _portal(request, db, principal, status_code=422, errors=exc.by_field(), form=_form_values(form))
    return redirect("/mijn-aanmelding", "Uw aanvulling is verstuurd. Het regioteam beoordeelt uw aanmelding verder.")


@post("/mijn-aanmelding/bewijs", guards=[requires_applicant_or_provider], include_in_schema=False,
      request_max_body_size=MAX_EVIDENCE_BODY)  # fmt: skip
async def portal_evidence(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> Response[Any]:
    form = await request.form()
    upload = form.get("evidence")
    rid = _text(form, "requirement_id")
    file = EvidenceFile(
        int(rid) if rid.isdigit() else 0,
        await upload.read() if isinstance(upload, UploadFile) else b"",
        upload.filename if isinstance(upload, UploadFile) else "",
        _text(form, "valid_until"),
    )  # fmt: skip
    try:
        await applicant.add_evidence(db, principal, file, actor=principal.actor(), now=utcnow())
    except ValidationFailed as exc:
        await db.rollback()
        return await _portal(request, db, principal, status_code=422, errors=exc.by_field(), form=_form_values(form))
    return redirect("/mijn-aanmelding", "Het bewijsstuk is toegevoegd.")


@post("/mijn-aanmelding/intrekken", guards=[requires_applicant_or_provider], include_in_schema=False)
async def portal_withdraw(db: AsyncSession, principal: Principal, data: Form) -> Response[Any]:
    await applicant.withdraw_application(db, principal, _text(data, "reason"), actor=principal.actor(), now=utcnow())
    return redirect("/mijn-aanmelding", "Uw aanmelding is ingetrokken.")


@get("/mijn-aanmelding/{application_id:int}/besluit.pdf", guards=[requires_applicant_or_provider],
     include_in_schema=False)  # fmt: skip
async def portal_letter(db: AsyncSession, principal: Principal, application_id: int) -> Response[bytes]:
    return document_download(await dossiers.decision_letter_document(db, principal, application_id, now=utcnow()))


@get("/aanmeldingen/{application_id:int}/bewijs/{evidence_id:int}", guards=[requires_login], include_in_schema=False)
async def evidence_download(
    db: AsyncSession, principal: Principal, application_id: int, evidence_id: int
) -> Response[bytes]:
    doc = await dossiers.evidence_document(db, principal, application_id, evidence_id, now=utcnow())
    return document_download(doc)


# ---- the team ----------------------------------------------------------------------------------------------------


@get("/team/aanmeldingen", guards=[requires_team], include_in_schema=False)
async def team_list(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, status: str = "", q: str = "",
    page_nr: int = 1,
) -> Response[str]:  # fmt: skip
    result = await review.list_applications(db, principal, status=status, search=q, page_nr=page_nr)
    return page(request, "contracts/application_list.html", result=result, statuses=APPLICATION_STATUSES,
                form={"status": status, "q": q})  # fmt: skip


async def _team_page(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, application_id: int, *,
    status_code: int = 200, errors: dict[str, str] | None = None, form: dict[str, Any] | None = None,
) -> Response[str]:  # fmt: skip
    dossier = await dossiers.application_dossier(db, principal, application_id, now=utcnow())
    return page(
        request, "contracts/application_team.html", status_code=status_code, dossier=dossier,
        can_act=principal.role in ("team_admin", "team_contracts"), errors=errors or {}, form=form or {},
    )  # fmt: skip


async def _team_refused(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, application_id: int,
    exc: ValidationFailed, data: dict[str, Any],
) -> Response[str]:  # fmt: skip
    await db.rollback()
    return await _team_page(request, db, principal, application_id, status_code=422, errors=exc.by_field(), form=data)


@get("/team/aanmeldingen/{application_id:int}", guards=[requires_team], include_in_schema=False)
async def team_detail(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, application_id: int
) -> Response[str]:
    return await _team_page(request, db, principal, application_id)


@get("/team/aanmeldingen/{application_id:int}/besluit.pdf", guards=[requires_team], include_in_schema=False)
async def team_letter(db: AsyncSession, principal: Principal, application_id: int) -> Response[bytes]:
    return document_download(await dossiers.decision_letter_document(db, principal, application_id, now=utcnow()))


@post("/team/aanmeldingen/{application_id:int}/in-behandeling", guards=[requires_team_contracts],
      include_in_schema=False)  # fmt: skip
async def team_start_review(db: AsyncSession, principal: Principal, application_id: int) -> Response[Any]:
    await review.start_review(db, principal, application_id, actor=principal.actor(), now=utcnow())
    return redirect(f"/team/aanmeldingen/{application_id}", "De aanmelding is in behandeling genomen.")


def _verdicts(data: dict[str, Any]) -> list[ReviewVerdict]:
    out = []
    for key, value in data.items():
        rid = key.removeprefix("verdict_")
        if key.startswith("verdict_") and rid.isdigit():
            passed = {"pass": True, "fail": False}.get(str(value))
            out.append(ReviewVerdict(int(rid), passed, _text(data, f"reason_{rid}"), field=key,
                                     reason_field=f"reason_{rid}"))  # fmt: skip
    return out


@post("/team/aanmeldingen/{application_id:int}/beoordeling", guards=[requires_team_contracts],
      include_in_schema=False)  # fmt: skip
async def team_review(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, application_id: int, data: Form
) -> Response[Any]:
    try:
        await review.record_reviews(
            db, principal, application_id, _verdicts(data), partial=True, actor=principal.actor(), now=utcnow()
        )
    except ValidationFailed as exc:
        return await _team_refused(request, db, principal, application_id, exc, data)
    return redirect(f"/team/aanmeldingen/{application_id}#eisen", "De beoordeling is opgeslagen.")


@post("/team/aanmeldingen/{application_id:int}/intake", guards=[requires_team_contracts], include_in_schema=False)
async def team_intake(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, application_id: int, data: Form
) -> Response[Any]:
    intake = IntakeInput(_text(data, "held_on"), _text(data, "participants"), _text(data, "notes"))
    try:
        await review.record_intake(db, principal, application_id, intake, actor=principal.actor(), now=utcnow())
    except ValidationFailed as exc:
        return await _team_refused(request, db, principal, application_id, exc, data)
    return redirect(f"/team/aanmeldingen/{application_id}#intake", "Het intakegesprek is vastgelegd.")


@post("/team/aanmeldingen/{application_id:int}/informatieverzoek", guards=[requires_team_contracts],
      include_in_schema=False)  # fmt: skip
async def team_request_info(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, application_id: int, data: Form
) -> Response[Any]:
    try:
        await review.request_info(
            db, principal, application_id, _text(data, "message"), actor=principal.actor(), now=utcnow()
        )
    except ValidationFailed as exc:
        return await _team_refused(request, db, principal, application_id, exc, data)
    return redirect(f"/team/aanmeldingen/{application_id}", "Het verzoek om aanvulling is verstuurd naar de aanvrager.")


@post("/team/aanmeldingen/{application_id:int}/besluit", guards=[requires_team_contracts], include_in_schema=False)
async def team_decide(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, application_id: int, data: Form
) -> Response[Any]:
    decision = DecisionInput(_text(data, "decision"), _text(data, "reason"), _text(data, "starts_on"))
    try:
        app = await review.decide_application(
            db, principal, application_id, decision, actor=principal.actor(), now=utcnow()
        )
    except ValidationFailed as exc:
        return await _team_refused(request, db, principal, application_id, exc, data)
    word = "toegelaten" if app.status == "admitted" else "afgewezen"
    flash = f"Besluit vastgelegd: {word}. De besluitbrief is verstuurd."
    return redirect(f"/team/aanmeldingen/{application_id}", flash)


ROUTES: list[Any] = [
    apply_form, apply_submit, portal, portal_answer, portal_evidence, portal_withdraw, portal_letter,
    evidence_download, team_list, team_detail, team_letter, team_start_review, team_review, team_intake,
    team_request_info, team_decide, *applications_api.ROUTES,
]  # fmt: skip
