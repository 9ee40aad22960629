"""Pure rules of the conversation model (DOMAIN.md §2): the arrangement's transition table, iJw code lists,
the residence rule and the overall result. No session, no I/O, no clock."""

from __future__ import annotations

from datetime import date

from contracts.rules import next_status

# arrangement: (from status, action) -> to status
ARRANGEMENT_TRANSITIONS: dict[tuple[str, str], str] = {
    ("proposed", "agree"): "proposed",  # one party agrees; the last of three makes it "agreed" (see agreed_status)
    ("proposed", "reject"): "rejected",  # the referrer refuses the proposal (reason recorded)
    ("proposed", "cancel"): "cancelled",
    ("agreed", "cancel"): "cancelled",  # cancelled before the start
    ("agreed", "start"): "started",
    ("started", "end"): "ended",  # the provider reports end date, reason and results per goal
    ("ended", "confirm"): "confirmed",  # referrer and family confirm the result
    ("ended", "dispute"): "disputed",
    ("disputed", "resolve"): "confirmed",  # the team resolves the dispute (result may be corrected)
}
ARRANGEMENT_ACTION_LABELS = {
    "agree": "akkoord geven",
    "reject": "afwijzen",
    "cancel": "annuleren",
    "start": "start melden",
    "end": "einde melden",
    "confirm": "resultaat bevestigen",
    "dispute": "resultaat betwisten",
    "resolve": "geschil afhandelen",
}
OPEN_STATUSES = ("proposed", "agreed", "started")
FINAL_STATUSES = ("confirmed", "cancelled", "rejected")

# iJw COD327 (referrer types)
REFERRER_TYPES: dict[str, str] = {
    "01": "Gemeente (jeugdprofessional)",
    "02": "Huisarts",
    "03": "Jeugdarts",
    "04": "Gecertificeerde instelling",
    "05": "Medisch specialist",
    "06": "Geen verwijzer",
    "08": "Rechter, Officier van Justitie of justitiële jeugdinrichting",
}
# iJw JZ588 end reasons used here, plus the internal 'change' (a change of arrangement mid-way)
END_REASONS: dict[str, str] = {
    "31": "Beëindigd volgens plan",
    "32": "Voortijdig afgesloten door de cliënt",
    "33": "Voortijdig afgesloten door de aanbieder",
    "34": "Voortijdig afgesloten in overleg",
    "35": "Externe omstandigheden",
    "38": "Overgang naar een andere aanbieder",
    "change": "Wijziging van het arrangement",
}
EARLY_END_REASONS = ("32", "33", "38")  # early by the family, by the provider, transfer
GOAL_OUTCOMES: dict[str, str] = {"achieved": "behaald", "partly": "deels behaald", "not": "niet behaald"}
RESIDENCE_BASES: dict[str, str] = {
    "registered_address": "Woonadres (BRP)",
    "before_stay": "Woonadres vlak voor het verblijf",
}


ARRANGEMENT_STATUS_LABELS: dict[str, str] = {
    "proposed": "Voorgesteld",
    "agreed": "Akkoord",
    "started": "Gestart",
    "ended": "Beëindigd",
    "confirmed": "Afgesloten",
    "disputed": "Betwist",
    "cancelled": "Geannuleerd",
    "rejected": "Afgewezen",
}
# how early a start may be reported against the agreement date (crisis care may begin a little before the
# paperwork is agreed), and how far ahead of today at most
START_BEFORE_AGREED_DAYS = 31
START_AHEAD_DAYS = 365


def arrangement_next(current: str, action: str) -> str:
    if (current, action) not in ARRANGEMENT_TRANSITIONS:
        from jeugdregio.errors import InvalidTransition

        raise InvalidTransition(
            f"'{ARRANGEMENT_ACTION_LABELS.get(action, action)}' kan niet bij status "
            f"'{ARRANGEMENT_STATUS_LABELS.get(current, current)}'."
        )
    return next_status(ARRANGEMENT_TRANSITIONS, current, action, ARRANGEMENT_ACTION_LABELS)


def start_date_problem(start: date, agreed_on: date, today: date) -> str | None:
    """A reported start date must lie between the agreement date minus a month and a year from today."""
    from datetime import timedelta

    if start < agreed_on - timedelta(days=START_BEFORE_AGREED_DAYS):
        return f"De startdatum ligt meer dan {START_BEFORE_AGREED_DAYS} dagen vóór de akkoorddatum."
    if start > today + timedelta(days=START_AHEAD_DAYS):
        return "De startdatum ligt meer dan een jaar in de toekomst."
    return None


def mask_bsn(bsn: str) -> str:
    """******123: enough to recognise, never enough to identify."""
    return "******" + bsn[-3:] if len(bsn) >= 3 else "*********"


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


YOUTH_MAX_AGE = 23  # youth care (with extension) ends at 23


def agreed_status(referrer: bool, family: bool, provider: bool) -> str:
    """Agreed once referrer, family and provider have each agreed (DOMAIN.md §2 step 4)."""
    return "agreed" if referrer and family and provider else "proposed"


def overall_result(outcomes: list[str]) -> str:
    """All goals achieved → achieved; none achieved (all 'not') → not; anything else → partly."""
    if not outcomes:
        raise ValueError("an end report needs an outcome for every goal")
    if all(o == "achieved" for o in outcomes):
        return "achieved"
    if all(o == "not" for o in outcomes):
        return "not"
    return "partly"


def paying_municipality_code(registered_code: str, before_stay_code: str | None, residential: bool) -> str:
    """The residence rule (woonplaatsbeginsel, 2022): the registered address pays; for residential care the
    address just before the stay pays."""
    if residential and before_stay_code:
        return before_stay_code
    return registered_code


def months_between(start: date, end: date) -> int:
    """Calendar months touched from start to end inclusive (care in March and April → 2)."""
    return (end.year - start.year) * 12 + end.month - start.month + 1
