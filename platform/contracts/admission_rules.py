"""Pure rules of the application workflow (aanmelding): field checks, entry windows, admission blockers and
history lines. No session, no I/O, no clock: `today` is always an argument."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from contracts.rules import EIGHT_DIGITS, EMAIL, POSTCODE, add_months, next_window, normalise_postcode
from contracts.schemas import ApplicationInput, EvidenceFile
from jeugdregio.documents import check_upload
from jeugdregio.errors import ErrorCollector, ValidationFailed
from jeugdregio.security import password_problems
from jeugdregio.tables import TEAM_ROLES
from jeugdregio.templating import datum, status_label

MAX_TEXT = 5000
PHONE = re.compile(r"^\+?[0-9 ()-]{6,20}$")
DECISIONS = ("admit", "reject")
INTAKE_MAX_DAYS_AHEAD = 365


@dataclass(frozen=True)
class RequirementInfo:
    """What the rules need to know about a requirement."""

    id: int
    code: str
    title: str
    evidence_required: bool
    validity_months: int | None


@dataclass(frozen=True)
class CleanApplication:
    org_name: str
    kvk: str
    agb: str
    street: str
    postcode: str
    city: str
    contact_name: str
    contact_email: str
    contact_phone: str
    vision: str
    profile_ids: tuple[int, ...]
    municipality_ids: tuple[int, ...]


@dataclass(frozen=True)
class CheckedEvidence:
    file: EvidenceFile
    content_type: str
    valid_until: date | None


# ---- entry windows -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WindowStatus:
    mode: str  # "open" (all year) | "windows"
    is_open: bool
    current: tuple[date, date] | None
    upcoming: tuple[date, date] | None

    @property
    def message(self) -> str:
        if self.mode != "windows":
            return "Aanmelden kan het hele jaar door (open house)."
        if self.is_open and self.current:
            return f"Het aanmeldvenster is open van {datum(self.current[0])} tot en met {datum(self.current[1])}."
        text = "Aanmelden is nu niet mogelijk: deze regio werkt met aanmeldvensters."
        if self.upcoming:
            opens, closes = self.upcoming
            return text + f" Het volgende venster is open van {datum(opens)} tot en met {datum(closes)}."
        return text + " Er is nog geen volgend aanmeldvenster vastgesteld."


def window_status(mode: str, windows: list[tuple[date, date]], today: date) -> WindowStatus:
    if mode != "windows":
        return WindowStatus("open", True, None, None)
    current = next((w for w in sorted(windows) if w[0] <= today <= w[1]), None)
    return WindowStatus("windows", current is not None, current, next_window(windows, today))


# ---- the application form ------------------------------------------------------------------------------


def parse_date(text: str) -> date:
    """An ISO date (2026-01-31) or a Dutch one (31-01-2026); ValueError otherwise."""
    text = text.strip()
    if re.fullmatch(r"\d{1,2}-\d{1,2}-\d{4}", text):
        day, month, year = (int(p) for p in text.split("-"))
        return date(year, month, day)
    return date.fromisoformat(text)


def _required(errors: ErrorCollector, name: str, value: str, message: str, max_len: int) -> str:
    value = value.strip()
    if not value:
        errors.add(name, message)
    elif len(value) > max_len:
        errors.add(name, f"{message.rstrip('.')} (maximaal {max_len} tekens).")
    return value


def _ids(values: tuple[str, ...], allowed: set[int]) -> tuple[int, ...]:
    out: list[int] = []
    for v in values:
        if str(v).strip().isdigit() and int(v) in allowed and int(v) not in out:
            out.append(int(v))
    return tuple(out)


def check_application(
    data: ApplicationInput,
    errors: ErrorCollector,
    *,
    profile_ids: set[int],
    municipality_ids: set[int],
    new_account: bool,
) -> CleanApplication:
    """Check every field of the form; errors are collected (all at once), cleaned values returned."""
    org_name = _required(errors, "org_name", data.org_name, "Vul de naam van de organisatie in.", 200)
    kvk = re.sub(r"[\s.]", "", data.kvk)
    if not EIGHT_DIGITS.match(kvk):
        errors.add("kvk", "Het KvK-nummer moet uit precies 8 cijfers bestaan.")
    agb = re.sub(r"[\s.]", "", data.agb)
    if not EIGHT_DIGITS.match(agb):
        errors.add("agb", "De AGB-code moet uit precies 8 cijfers bestaan.")
    street = _required(errors, "street", data.street, "Vul straat en huisnummer in.", 200)
    postcode = normalise_postcode(data.postcode)
    if not POSTCODE.match(postcode) or len(postcode) != 7:
        errors.add("postcode", "Vul een geldige Nederlandse postcode in, zoals 1234 AB.")
    city = _required(errors, "city", data.city, "Vul de plaats in.", 100)
    contact_name = _required(errors, "contact_name", data.contact_name, "Vul de naam van de contactpersoon in.", 200)
    email = data.contact_email.strip().lower()
    if not EMAIL.match(email) or len(email) > 254:
        errors.add("contact_email", "Vul een geldig e-mailadres van de contactpersoon in, zoals naam@organisatie.nl.")
    phone = data.contact_phone.strip()
    if phone and not PHONE.match(phone):
        errors.add("contact_phone", "Vul een geldig telefoonnummer in (cijfers, spaties, + en -) of laat het leeg.")
    vision = _required(errors, "vision", data.vision, "Beschrijf uw visie op zorg.", MAX_TEXT)
    profiles = _ids(data.profile_ids, profile_ids)
    if not profiles:
        errors.add("profile_ids", "Kies minstens één zorgprofiel waarvoor u zich aanmeldt.")
    municipalities = _ids(data.municipality_ids, municipality_ids)
    if not municipalities:
        errors.add("municipality_ids", "Kies minstens één gemeente waar u zorg wilt leveren.")
    if new_account:
        if problem := password_problems(data.password):
            errors.add("password", "Wachtwoord: " + problem[0].lower() + problem[1:])
        elif data.password != data.password_confirm:
            errors.add("password_confirm", "De twee wachtwoorden zijn niet gelijk.")
    return CleanApplication(
        org_name, kvk, agb, street, postcode, city, contact_name, email, phone, vision, profiles, municipalities
    )


def default_valid_until(uploaded_on: date, validity_months: int | None) -> date | None:
    return add_months(uploaded_on, validity_months) if validity_months is not None else None


def check_evidence_file(
    requirement: RequirementInfo, file: EvidenceFile, today: date, errors: ErrorCollector
) -> CheckedEvidence | None:
    """Type and size of one upload, and its validity date (default: upload day + the requirement's months)."""
    ok = True
    content_type = ""
    if not file.content and not file.original_name:
        errors.add(file.field, f"{requirement.title}: kies een bestand (PDF, PNG of JPEG).")
        return None
    try:
        content_type = check_upload(file.field, file.content)
    except ValidationFailed as exc:
        for err in exc.errors:
            errors.add(err.field, f"{requirement.title}: {err.message[0].lower()}{err.message[1:]}")
        ok = False
    valid_until = default_valid_until(today, requirement.validity_months)
    if file.valid_until.strip():
        try:
            valid_until = parse_date(file.valid_until)
        except ValueError:
            errors.add(file.date_field, f"{requirement.title}: vul de datum 'geldig tot' in als 2027-01-31.")
            return None
        if valid_until < today:
            errors.add(file.date_field, f"{requirement.title}: de datum 'geldig tot' ligt in het verleden.")
            return None
    return CheckedEvidence(file, content_type, valid_until) if ok else None


def check_evidence(
    requirements: list[RequirementInfo],
    files: tuple[EvidenceFile, ...],
    today: date,
    errors: ErrorCollector,
    *,
    all_required: bool,
) -> list[tuple[RequirementInfo, CheckedEvidence]]:
    """Every upload is checked; with `all_required`, each requirement needing evidence must have a file."""
    by_id = {r.id: r for r in requirements}
    given = {f.requirement_id for f in files}
    out: list[tuple[RequirementInfo, CheckedEvidence]] = []
    if all_required:
        for r in requirements:
            if r.evidence_required and r.id not in given:
                errors.add(f"evidence_{r.id}", f"{r.title}: voeg een bewijsstuk toe (verplicht).")
    for f in files:
        requirement = by_id.get(f.requirement_id)
        if requirement is None:
            errors.add("requirement_id", "Kies bij het bewijsstuk een bestaande eis.")
            continue
        checked = check_evidence_file(requirement, f, today, errors)
        if checked is not None:
            out.append((requirement, checked))
    return out


def check_text(errors: ErrorCollector, name: str, value: str, message: str, *, required: bool = True) -> str:
    value = value.strip()
    if required and not value:
        errors.add(name, message)
    elif len(value) > MAX_TEXT:
        errors.add(name, f"De tekst is te lang (maximaal {MAX_TEXT} tekens).")
    return value


def _required_date(errors: ErrorCollector, field: str, text: str, *, missing: str, malformed: str) -> date | None:
    """A filled-in date (ISO or Dutch) or None, with the field's error when it is empty or not a date."""
    if not text.strip():
        errors.add(field, missing)
        return None
    try:
        return parse_date(text)
    except ValueError:
        errors.add(field, malformed)
        return None


def check_intake_date(errors: ErrorCollector, text: str, *, submitted_on: date, today: date) -> date | None:
    """An intake may be recorded afterwards or planned ahead (up to a year), never before the application."""
    held_on = _required_date(
        errors, "held_on", text, missing="Vul de datum van het intakegesprek in.",
        malformed="Vul de datum van het intakegesprek in als 2026-01-31.",
    )  # fmt: skip
    if held_on is None:
        return None
    if held_on < submitted_on:
        errors.add("held_on", "Het intakegesprek kan niet vóór de aanmelding liggen.")
    elif held_on > today + timedelta(days=INTAKE_MAX_DAYS_AHEAD):
        errors.add("held_on", "Een gepland intakegesprek ligt hooguit een jaar vooruit.")
    return held_on


def check_starts_on(errors: ErrorCollector, text: str, *, today: date) -> date | None:
    starts_on = _required_date(
        errors, "starts_on", text, missing="Vul de ingangsdatum van de raamovereenkomst in.",
        malformed="Vul de ingangsdatum in als 2026-01-31.",
    )  # fmt: skip
    if starts_on is None:
        return None
    if starts_on < today:
        errors.add("starts_on", "De ingangsdatum van de raamovereenkomst ligt in het verleden.")
    elif starts_on > add_months(today, 12):
        errors.add("starts_on", "De ingangsdatum ligt hooguit een jaar vooruit.")
    return starts_on


# ---- admission ------------------------------------------------------------------------------------------


def admission_blockers(
    requirements: list[RequirementInfo], reviews: dict[int, bool], evidence_states: dict[int, str]
) -> list[str]:
    """Why a provider cannot be admitted yet: each evidence-required requirement needs a pass and valid
    evidence; no requirement may have failed. Empty list: admission is allowed."""
    out: list[str] = []
    for r in requirements:
        verdict = reviews.get(r.id)
        if verdict is False:
            out.append(f"'{r.title}' voldoet niet")
        elif r.evidence_required and verdict is None:
            out.append(f"'{r.title}' is nog niet beoordeeld")
        elif r.evidence_required and evidence_states.get(r.id, "missing") in ("missing", "expired"):
            out.append(f"'{r.title}' heeft geen geldig bewijsstuk")
    return out


def admit_refusal(blockers: list[str]) -> str:
    return (
        "Toelaten kan pas als elke verplichte eis voldoet en geen eis onvoldoende is. Nog open: "
        + "; ".join(blockers)
        + "."
    )


# ---- history ----------------------------------------------------------------------------------------------

ACTION_LABELS = {
    "submit": "Aanmelding ingediend",
    "start_review": "In behandeling genomen",
    "request_info": "Aanvullende informatie gevraagd",
    "answer_info": "Aanvulling gegeven",
    "add_evidence": "Bewijsstuk toegevoegd",
    "review": "Eisen beoordeeld",
    "intake": "Intakegesprek vastgelegd",
    "admit": "Besluit: toegelaten",
    "reject": "Besluit: afgewezen",
    "withdraw": "Aanmelding ingetrokken",
}
# what the applicant may see of each event's summary (the team sees everything, incl. internal notes)
PUBLIC_KEYS = {
    "submit": {"referentie"},
    "start_review": {"status"},
    "request_info": {"status", "bericht"},
    "answer_info": {"status", "bewijsstukken"},
    "add_evidence": {"eis", "geldig_tot"},
    "intake": {"datum"},
    "admit": {"status", "reden", "raamovereenkomst"},
    "reject": {"status", "reden"},
    "withdraw": {"status", "reden"},
}
KEY_LABELS = {
    "status": "Status", "referentie": "Kenmerk", "bericht": "Vraag", "antwoord": "Antwoord",
    "bewijsstukken": "Bewijsstukken", "eis": "Eis", "geldig_tot": "Geldig tot", "datum": "Datum",
    "deelnemers": "Deelnemers", "notities": "Notities (intern)", "reden": "Reden",
    "raamovereenkomst": "Raamovereenkomst", "organisatie": "Organisatie", "kvk": "KvK-nummer",
    "vorige_aanmelding": "Vorige aanmelding", "oordelen": "Oordelen", "ingang": "Ingangsdatum",
}  # fmt: skip


def _text(key: str, value: Any) -> str:
    if isinstance(value, dict) and "na" in value:
        before, after = value.get("voor"), value.get("na")
        if key == "status":
            return f"{status_label(before) if before else '–'} → {status_label(after)}"
        return f"{before or '–'} → {after}"
    if key == "status" and isinstance(value, str):
        return status_label(value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_text(k, v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "–"
    return str(value)


def history_lines(action: str, summary: dict[str, Any], *, public: bool) -> list[str]:
    keys = [k for k in summary if not public or k in PUBLIC_KEYS.get(action, set())]
    return [f"{KEY_LABELS.get(k, k)}: {_text(k, summary[k])}" for k in keys]


def who_label(actor_role: str, actor_label: str, *, public: bool) -> str:
    if not public:
        return actor_label
    if actor_role in TEAM_ROLES:
        return "Regioteam"
    if actor_role in ("applicant", "provider"):
        return "Aanvrager"
    return "Systeem"
