"""Bulk CSV upload of declarations (docs/declaration-csv.md): all-or-nothing, every error with row, column and a
Dutch explanation (the first 1,000 plus the total).

Set-based by design (target ≥ 100,000 rows/s; bench/RESULTS.md has what it does): Python only checks what
needs the raw bytes (encoding, delimiter, column count) and prefixes each line with its row number; COPY loads
the lines into a temp table; one statement types and joins them with the provider's arrangements; one query
finds every error (formats, codes, dates, tariff, duplicates in the file and against the database, the month cap
and the assigned volume), reading the database only for the file's own arrangements, so its cost follows the
file and not the table; one INSERT … SELECT stores a clean file. Start and end lines go through contracts'
set-based mark_started_many / mark_ended_many."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.public import END_REASONS, mark_ended_many, mark_started_many
from invoicing.models import DeclarationBatch
from invoicing.rules import month_start
from invoicing.services.declarations import euro, parse_outcomes
from jeugdregio import audit
from jeugdregio.audit import Actor
from jeugdregio.clock import today
from jeugdregio.db import sqlstate
from jeugdregio.errors import Conflict, ErrorCollector, FieldError, ValidationFailed

COLUMNS = ("referentie", "soort", "datum", "eenheden", "bedrag_cent", "reden_einde", "resultaten", "eigen_referentie")
HEADER = ";".join(COLUMNS)
MAX_REPORTED = 1000
MAX_ROWS = 1_000_000
DECLARABLE_END_REASONS = [c for c in END_REASONS if c != "change"]


class ImportFailed(ValidationFailed):
    """A refused file: the first 1,000 errors (row, column, Dutch message) and the total count. Nothing stored."""

    def __init__(self, errors: list[FieldError], total: int) -> None:
        shown = f"; de eerste {MAX_REPORTED} staan hieronder" if total > MAX_REPORTED else ""
        super().__init__(errors[:MAX_REPORTED], f"Het bestand bevat {total} fout{'en' if total != 1 else ''}{shown}. "
                                                "Er is niets opgeslagen.")  # fmt: skip
        self.total = total


@dataclass
class ImportResult:
    batch_id: int
    rows: int
    per_kind: dict[str, int] = field(default_factory=dict)
    total_cents: int = 0


def _fail(errors: list[FieldError]) -> ImportFailed:
    errors.sort(key=lambda e: (e.row or 0, COLUMNS.index(e.field) if e.field in COLUMNS else -1))
    return ImportFailed(errors, len(errors))


def prepare_lines(content: bytes, first_row: int = 2) -> tuple[list[str], list[FieldError]]:
    """Encoding, delimiter and column count, per line; returns 'rownumber;line' strings ready for COPY (CSV)
    and the errors. Row 1 is the header; `first_row` numbers the first line after it (1 for JSON lines)."""
    if content.startswith(b"\xef\xbb\xbf"):
        content = content[3:]
    try:
        body = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        row = content.count(b"\n", 0, exc.start) + 1
        return [], [FieldError("bestand", f"Rij {row} is geen geldige UTF-8. Sla het bestand op als 'CSV UTF-8' en "
                                          "probeer het opnieuw.", row)]  # fmt: skip
    if "\x00" in body:
        row = body.count("\n", 0, body.index("\x00")) + 1
        return [], [FieldError("bestand", "Het bestand bevat een NUL-teken: is het wel een CSV-bestand?", row)]
    lines = body.split("\n")
    header = lines[0].rstrip("\r").strip().lower()
    if header != HEADER:
        if ";" not in header and ("," in header or "\t" in header):
            message = "Scheidingsteken: gebruik ; (puntkomma), niet een komma of tab."
        else:
            message = f"Kopregel: verwacht precies '{HEADER}'."
        return [], [FieldError("bestand", message, 1)]
    out: list[str] = []
    errors: list[FieldError] = []
    if len(lines) > MAX_ROWS + 2:
        return [], [FieldError("bestand", f"Te veel rijen: ten hoogste {MAX_ROWS} per bestand.", None)]
    for number, raw in enumerate(lines[1:], start=first_row):
        line = raw[:-1] if raw.endswith("\r") else raw
        if not line.strip():
            continue
        if '"' in line:
            fields = next(csv.reader([line], delimiter=";"))
            if len(fields) == len(COLUMNS):
                buffer = io.StringIO()
                csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="").writerow(fields)
                line = buffer.getvalue()
            count = len(fields)
        else:
            count = line.count(";") + 1
        if count != len(COLUMNS):
            hint = " Gebruik ; (puntkomma) als scheidingsteken." if count == 1 and "," in line else ""
            errors.append(FieldError("bestand", f"Rij {number} heeft {count} kolom{'men' if count != 1 else ''}; "
                                                f"verwacht {len(COLUMNS)}: {HEADER}.{hint}", number))  # fmt: skip
            continue
        out.append(f"{number};{line}")
    return out, errors


API_KIND_TO_CSV = {"start": "start", "end": "einde", "month": "maand", "pxq": "pxq"}


def _json_cell(value: Any) -> str:
    return "" if value is None else str(value)


def _json_csv_line(obj: dict[str, Any]) -> str:
    """One JSON declaration as a line of the CSV upload format; quoted only where a value needs it."""
    outcomes = obj.get("outcomes") or {}
    kind = _json_cell(obj.get("kind"))
    cells = [
        _json_cell(obj.get("arrangement_reference")), API_KIND_TO_CSV.get(kind, kind), _json_cell(obj.get("date")),
        _json_cell(obj.get("units")), _json_cell(obj.get("amount_cents")), _json_cell(obj.get("end_reason")),
        "|".join(f"{k}:{v}" for k, v in outcomes.items()) if isinstance(outcomes, dict) else str(outcomes),
        _json_cell(obj.get("external_ref")),
    ]  # fmt: skip
    line = ";".join(cells)
    if line.count(";") == len(COLUMNS) - 1 and '"' not in line and "\n" not in line and "\r" not in line:
        return line  # no value holds a delimiter, quote or line break: no quoting needed
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="")
    writer.writerow([c.replace("\n", " ").replace("\r", " ") for c in cells])
    return buffer.getvalue()


def json_lines(body: bytes) -> tuple[bytes, list[FieldError]]:
    """JSON lines (one declaration object per line) as the CSV upload format, row n = line n, plus the lines that
    are no JSON object. Each line is parsed on its own: parsing the body as one array would be faster, but would
    accept a body whose objects span lines (the commas between lines joining them) and number its rows wrongly."""
    try:
        text_body = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationFailed.single("body", "De body is geen geldige UTF-8.") from None
    lines = [HEADER]
    errors: list[FieldError] = []
    loads = json.loads
    for number, raw in enumerate(text_body.split("\n"), start=1):
        if not raw.strip():
            lines.append("")  # keeps the numbering; blank lines are skipped by the importer
            continue
        try:
            obj = loads(raw)
        except ValueError:
            obj = None
        if isinstance(obj, dict):
            lines.append(_json_csv_line(obj))
        else:
            errors.append(FieldError("regel", f"Rij {number}: geen geldig JSON-object.", number))
            lines.append("")
    return "\n".join(lines).encode(), errors


_CREATE_RAW = """
CREATE TEMP TABLE tmp_decl_import (row_no integer, referentie text, soort text, datum text, eenheden text,
    bedrag_cent text, reden_einde text, resultaten text, eigen_referentie text) ON COMMIT DROP
"""

# typed and joined with the provider's own arrangements (another provider's reference is simply unknown)
_CREATE_CHECKED = """
CREATE TEMP TABLE tmp_decl_checked ON COMMIT DROP AS
WITH x AS (
    SELECT r.row_no, coalesce(trim(r.referentie), '') AS reference, coalesce(trim(r.soort), '') AS raw_kind,
           CASE lower(trim(r.soort)) WHEN 'start' THEN 'start' WHEN 'einde' THEN 'end' WHEN 'maand' THEN 'month'
                WHEN 'pxq' THEN 'pxq' END AS kind,
           coalesce(trim(r.datum), '') AS raw_date,
           CASE WHEN trim(r.datum) ~ '^\\d{4}-\\d{2}-\\d{2}$' AND pg_input_is_valid(trim(r.datum), 'date')
                     THEN CAST(trim(r.datum) AS date)
                WHEN trim(r.datum) ~ '^\\d{4}-\\d{2}$' AND pg_input_is_valid(trim(r.datum) || '-01', 'date')
                     THEN CAST(trim(r.datum) || '-01' AS date) END AS day,
           coalesce(trim(r.datum) ~ '^\\d{4}-\\d{2}$', false) AS month_only,
           coalesce(trim(r.eenheden), '') AS raw_units,
           CASE WHEN trim(r.eenheden) ~ '^-?\\d{1,9}$' THEN CAST(trim(r.eenheden) AS integer) END AS units,
           coalesce(trim(r.bedrag_cent), '') AS raw_amount,
           CASE WHEN trim(r.bedrag_cent) ~ '^-?\\d{1,15}$' THEN CAST(trim(r.bedrag_cent) AS bigint) END AS amount,
           coalesce(trim(r.reden_einde), '') AS end_reason, coalesce(trim(r.resultaten), '') AS outcomes,
           left(coalesce(trim(r.eigen_referentie), ''), 40) AS external_ref
    FROM tmp_decl_import r
    OFFSET 0  -- computed once per row: inlined, every use of x.day or x.kind below would repeat its expression
)
SELECT x.*,
       CASE WHEN x.kind IN ('month', 'pxq') THEN CAST(date_trunc('month', x.day) AS date) ELSE x.day END AS period,
       coalesce(x.kind, '?') AS kind_key,  -- what a duplicate is: one start and one end, one month or P×Q per month
       CASE WHEN x.kind IN ('month', 'pxq') THEN coalesce(CAST(date_trunc('month', x.day) AS date), DATE '0001-01-01')
            ELSE DATE '0001-01-01' END AS period_key,
       a.id AS arr_id, a.payment_model, a.status AS arr_status, a.start_date, a.end_date, a.tariff_cents,
       a.max_months, a.assigned_units, a.paying_municipality_id,
       CASE x.kind
            WHEN 'start' THEN CASE WHEN a.payment_model = 'result_50_50' THEN a.tariff_cents / 2 ELSE 0 END
            WHEN 'end' THEN CASE WHEN a.payment_model = 'result_50_50' THEN a.tariff_cents - a.tariff_cents / 2
                                 ELSE 0 END
            WHEN 'month' THEN CASE WHEN a.payment_model = 'monthly' THEN a.tariff_cents ELSE 0 END
            WHEN 'pxq' THEN CASE WHEN a.payment_model = 'pxq' AND x.units >= 0 THEN x.units * a.tariff_cents
                                 ELSE 0 END
       END AS expected
FROM x
LEFT JOIN contracts_arrangement a ON a.region_id = :region_id AND a.provider_id = :provider_id
     AND a.reference = x.reference
"""

# every error as 'column\x1fcode\x1fa\x1fb' per row (an array of CASEs: cheap per row; only failing rows are
# unnested); the Dutch messages are made in Python (_message)
_ERRORS = """
-- what is already declared for the file's arrangements: one index lookup per arrangement, so the cost follows
-- the file, not the table
WITH existing AS MATERIALIZED (
    SELECT d.arrangement_id, d.kind, d.period, d.units
    FROM (SELECT DISTINCT arr_id FROM tmp_decl_checked WHERE arr_id IS NOT NULL) AS f
    CROSS JOIN LATERAL (
        SELECT d.arrangement_id, d.kind, d.period, d.units FROM invoicing_declaration d
        WHERE d.region_id = :region_id AND d.arrangement_id = f.arr_id AND NOT d.withdrawn
        OFFSET 0  -- stays a lookup per arrangement (pulled up, it becomes a scan of the region's declarations)
    ) AS d
), dup AS (  -- duplicates within the file: a hash aggregate, usually empty
    SELECT reference, kind_key, period_key, min(row_no) AS first_row
    FROM tmp_decl_checked GROUP BY reference, kind_key, period_key HAVING count(*) > 1
), ex AS (
    SELECT arrangement_id, kind, count(*) AS n, coalesce(sum(units), 0) AS units
    FROM existing GROUP BY arrangement_id, kind
), per_arrangement AS MATERIALIZED (  -- the file's months and units per capped arrangement
    SELECT c.arr_id, c.kind, c.max_months, c.assigned_units, count(*) AS n,
           sum(greatest(coalesce(c.units, 0), 0)) AS units
    FROM tmp_decl_checked c
    WHERE c.arr_id IS NOT NULL AND ((c.kind = 'month' AND c.max_months IS NOT NULL)
                                    OR (c.kind = 'pxq' AND c.assigned_units IS NOT NULL))
    GROUP BY c.arr_id, c.kind, c.max_months, c.assigned_units
), cap AS MATERIALIZED (  -- arrangements whose months (file + database) pass the cap, or units the volume
    SELECT p.arr_id, p.kind, coalesce(ex.n, 0) AS prior_n, coalesce(ex.units, 0) AS prior_units
    FROM per_arrangement p
    LEFT JOIN ex ON ex.arrangement_id = p.arr_id AND ex.kind = p.kind
    WHERE (p.kind = 'month' AND coalesce(ex.n, 0) + p.n > p.max_months)
       OR (p.kind = 'pxq' AND coalesce(ex.units, 0) + p.units > p.assigned_units)
), ranked AS (  -- only for those: which rows pass it (in order of month, then row)
    SELECT c.row_no, cap.prior_n + count(*) OVER r AS months_total,
           cap.prior_units + sum(greatest(coalesce(c.units, 0), 0)) OVER r AS units_total
    FROM tmp_decl_checked c JOIN cap ON cap.arr_id = c.arr_id AND cap.kind = c.kind
    WINDOW r AS (PARTITION BY c.arr_id, c.kind ORDER BY c.period, c.row_no ROWS UNBOUNDED PRECEDING)
), dup_db AS (
    SELECT DISTINCT c.row_no
    FROM tmp_decl_checked c
    JOIN existing d ON d.arrangement_id = c.arr_id AND d.kind = c.kind
         AND (c.kind IN ('start', 'end') OR d.period = c.period)
), failing AS MATERIALIZED (  -- only the rows with errors (usually none) are sorted below
    SELECT x.row_no, x.errs FROM (
        SELECT c.row_no, array_remove(ARRAY[
            CASE WHEN c.reference = ''
                 THEN format(E'%s\x1f%s\x1f%s\x1f%s', 'referentie', 'ref_empty', NULL, NULL) END,
            CASE WHEN c.reference <> '' AND c.arr_id IS NULL
                 THEN format(E'%s\x1f%s\x1f%s\x1f%s', 'referentie', 'unknown', c.reference, NULL) END,
            CASE WHEN c.kind IS NULL
                 THEN format(E'%s\x1f%s\x1f%s\x1f%s', 'soort', 'kind', c.raw_kind, NULL) END,
            CASE WHEN c.day IS NULL
                 THEN format(E'%s\x1f%s\x1f%s\x1f%s', 'datum', 'date', c.raw_date, NULL) END,
            CASE WHEN c.kind IN ('start', 'end') AND c.month_only
                 THEN format(E'%s\x1f%s\x1f%s\x1f%s', 'datum', 'date_full', c.raw_date, NULL) END,
            CASE WHEN c.raw_units <> '' AND c.units IS NULL
                 THEN format(E'%s\x1f%s\x1f%s\x1f%s', 'eenheden', 'units_format', c.raw_units, NULL) END,
            CASE WHEN c.units < 0
                 THEN format(E'%s\x1f%s\x1f%s\x1f%s', 'eenheden', 'units_negative', c.raw_units, NULL) END,
            CASE WHEN c.kind = 'pxq' AND c.raw_units = ''
                 THEN format(E'%s\x1f%s\x1f%s\x1f%s', 'eenheden', 'units_missing', NULL, NULL) END,
            CASE WHEN c.raw_amount <> '' AND c.amount IS NULL
                 THEN format(E'%s\x1f%s\x1f%s\x1f%s', 'bedrag_cent', 'amount_format', c.raw_amount, NULL) END,
            CASE WHEN c.amount < 0
                 THEN format(E'%s\x1f%s\x1f%s\x1f%s', 'bedrag_cent', 'amount_negative', c.raw_amount, NULL) END,
            CASE WHEN c.kind = 'end' AND c.end_reason <> ALL(CAST(:reasons AS text[]))
                 THEN format(E'%s\x1f%s\x1f%s\x1f%s', 'reden_einde', 'reason', c.end_reason, NULL) END,
            CASE WHEN c.kind = 'end' AND c.outcomes = ''
                 THEN format(E'%s\x1f%s\x1f%s\x1f%s', 'resultaten', 'outcomes_missing', NULL, NULL) END,
            CASE WHEN c.payment_model NOT IN ('result_50_50', 'monthly', 'pxq')
                 THEN format(E'%s\x1f%s\x1f%s\x1f%s', 'referentie', 'not_declarable', c.reference, NULL) END,
            CASE WHEN c.kind = 'month' AND c.payment_model IN ('result_50_50', 'pxq')
                 THEN format(E'%s\x1f%s\x1f%s\x1f%s', 'soort', 'not_monthly', c.reference, NULL) END,
            CASE WHEN c.kind = 'pxq' AND c.payment_model IN ('result_50_50', 'monthly')
                 THEN format(E'%s\x1f%s\x1f%s\x1f%s', 'soort', 'not_pxq', c.reference, NULL) END,
            CASE WHEN c.kind = 'start' AND c.arr_status <> 'agreed'
                      AND c.payment_model IN ('result_50_50', 'monthly', 'pxq')
                 THEN format(E'%s\x1f%s\x1f%s\x1f%s', 'referentie', 'start_state', c.reference, c.arr_status) END,
            CASE WHEN c.kind = 'end' AND c.arr_status <> 'started'
                      AND c.payment_model IN ('result_50_50', 'monthly', 'pxq')
                 THEN format(E'%s\x1f%s\x1f%s\x1f%s', 'referentie', 'end_state', c.reference, c.arr_status) END,
            CASE WHEN c.kind IN ('month', 'pxq') AND c.arr_id IS NOT NULL AND c.start_date IS NULL
                      AND c.payment_model IN ('monthly', 'pxq')
                 THEN format(E'%s\x1f%s\x1f%s\x1f%s', 'referentie', 'not_started', c.reference, NULL) END,
            CASE WHEN c.kind = 'end' AND c.day < c.start_date
                 THEN format(E'%s\x1f%s\x1f%s\x1f%s', 'datum', 'end_before_start',
                             CAST(c.day AS text),
                             CAST(c.start_date AS text)) END,
            CASE WHEN c.kind IN ('month', 'pxq')
                      AND (c.period < date_trunc('month', c.start_date) OR c.period > date_trunc('month', c.end_date))
                 THEN format(E'%s\x1f%s\x1f%s\x1f%s', 'datum', 'outside',
                             CAST(c.period AS text),
                             CAST(c.start_date AS text) || '/' || coalesce(CAST(c.end_date AS text), '')) END,
            CASE WHEN c.kind IN ('month', 'pxq') AND c.period > :this_month
                 THEN format(E'%s\x1f%s\x1f%s\x1f%s', 'datum', 'future', CAST(c.period AS text), NULL) END,
            CASE WHEN dup.first_row < c.row_no
                 THEN format(E'%s\x1f%s\x1f%s\x1f%s', 'referentie', 'dup_file', CAST(dup.first_row AS text), NULL) END,
            CASE WHEN dup_db.row_no IS NOT NULL
                 THEN format(E'%s\x1f%s\x1f%s\x1f%s', 'referentie', 'dup_db', c.reference, CAST(c.period AS text)) END,
            CASE WHEN c.kind = 'month' AND c.payment_model = 'monthly' AND coalesce(dup.first_row, c.row_no) = c.row_no
                      AND ranked.months_total > c.max_months
                 THEN format(E'%s\x1f%s\x1f%s\x1f%s', 'datum', 'max_months', CAST(c.max_months AS text), NULL) END,
            CASE WHEN c.kind = 'pxq' AND c.payment_model = 'pxq' AND c.units >= 0
                      AND ranked.units_total > c.assigned_units
                 THEN format(E'%s\x1f%s\x1f%s\x1f%s', 'eenheden', 'assigned',
                             CAST(ranked.units_total AS text),
                             CAST(c.assigned_units AS text)) END,
            CASE WHEN c.amount >= 0 AND c.expected IS NOT NULL AND c.amount <> c.expected
                      AND c.payment_model IN ('result_50_50', 'monthly', 'pxq')
                 THEN format(E'%s\x1f%s\x1f%s\x1f%s', 'bedrag_cent', 'amount',
                             CAST(c.amount AS text),
                             CAST(c.expected AS text)) END
        ], NULL) AS errs
        FROM tmp_decl_checked c
        LEFT JOIN dup ON dup.reference = c.reference AND dup.kind_key = c.kind_key AND dup.period_key = c.period_key
        LEFT JOIN ranked ON ranked.row_no = c.row_no
        LEFT JOIN dup_db ON dup_db.row_no = c.row_no
    ) AS x
    WHERE cardinality(x.errs) > 0
)
SELECT f.row_no, e.err, count(*) OVER () AS total  -- every error, counted before the LIMIT
FROM failing f
CROSS JOIN LATERAL unnest(f.errs) AS e(err)
ORDER BY f.row_no, e.err
LIMIT :limit
"""

_INSERT = """
INSERT INTO invoicing_declaration (region_id, provider_id, arrangement_id, municipality_id, kind, period, units,
    amount_cents, status, status_reason, channel, batch_id, external_ref, received_at, checked_at, created_by)
SELECT :region_id, :provider_id, c.arr_id, c.paying_municipality_id, c.kind, c.period,
       CASE WHEN c.kind = 'pxq' THEN c.units END, c.expected, 'accepted',
       CASE c.kind
            WHEN 'start' THEN CASE WHEN c.payment_model = 'result_50_50'
                                   THEN 'Start geaccepteerd: de eerste 50 % wordt bij de volgende afrekening betaald.'
                                   ELSE 'Start geaccepteerd; betaling volgt per maand of per levering.' END
            WHEN 'end' THEN CASE WHEN c.payment_model = 'result_50_50'
                                 THEN 'Einde geaccepteerd: de tweede 50 % volgt als verwijzer en gezin het resultaat '
                                      || 'bevestigen en het beleid van de regio dit resultaat betaalt.'
                                 ELSE 'Einde geaccepteerd; bij deze bekostiging hoort geen resultaatbetaling.' END
            WHEN 'month' THEN 'Maand geaccepteerd: wordt bij de afrekening van deze maand betaald.'
            ELSE c.units || ' eenheden geaccepteerd: wordt bij de afrekening betaald.'
       END,
       :channel, :batch_id, c.external_ref, :now, :now, NULL  -- who: the batch's created_by
FROM tmp_decl_checked c
"""

_LABELS = {"start": "start", "end": "einde", "month": "maand", "pxq": "pxq"}


def _nl(iso: str | None) -> str:
    if not iso:
        return ""
    y, m, d = iso.split("-")
    return f"{d}-{m}-{y}"


ARRANGEMENT_STATUS_NL = {
    "proposed": "nog niet akkoord", "agreed": "nog niet gestart", "started": "al gestart", "ended": "al beëindigd",
    "confirmed": "al beëindigd en bevestigd", "disputed": "al beëindigd (resultaat betwist)",
    "cancelled": "geannuleerd", "rejected": "afgewezen",
}  # fmt: skip


def _status(status: str | None) -> str:
    return ARRANGEMENT_STATUS_NL.get(status or "", status or "onbekend")


def _message(code: str, a: str | None, b: str | None) -> str:
    """The Dutch explanation of one error code from _ERRORS."""
    messages: dict[str, Callable[[], str]] = {
        "ref_empty": lambda: "Referentie: vul de referentie van het arrangement in.",
        "unknown": lambda: f"Referentie: onbekend arrangement '{a}' (of niet van uw organisatie).",
        "kind": lambda: f"Soort: onbekende soort '{a}'. Kies start, einde, maand of pxq.",
        "date": lambda: f"Datum: '{a}' is geen geldige datum; schrijf JJJJ-MM-DD (bij maand en pxq mag ook JJJJ-MM).",
        "date_full": lambda: f"Datum: bij start en einde hoort een volledige datum JJJJ-MM-DD, niet '{a}'.",
        "units_format": lambda: f"Eenheden: '{a}' is geen geheel getal.",
        "units_negative": lambda: f"Eenheden: {a} is negatief; declareer nul of meer eenheden.",
        "units_missing": lambda: "Eenheden: vul bij pxq het aantal geleverde eenheden in.",
        "amount_format": lambda: f"Bedrag: '{a}' is geen bedrag in hele centen (bijvoorbeeld 12345 voor € 123,45).",
        "amount_negative": lambda: f"Bedrag: {a} is negatief.",
        "reason": lambda: f"Reden einde: '{a}' is geen iJw-reden; kies uit {', '.join(DECLARABLE_END_REASONS)}.",
        "outcomes_missing": lambda: "Resultaten: geef per doel de uitkomst, bijvoorbeeld 1:behaald|2:deels.",
        "not_declarable": lambda: f"Referentie: arrangement {a} wordt niet per kind betaald (lumpsum of populatie).",
        "not_monthly": lambda: f"Soort: arrangement {a} wordt niet per maand betaald.",
        "not_pxq": lambda: f"Soort: arrangement {a} wordt niet per eenheid (P×Q) betaald.",
        "start_state": lambda: f"Referentie: arrangement {a} kan niet starten: het is {_status(b)}.",
        "end_state": lambda: f"Referentie: het einde van arrangement {a} kan niet worden gemeld: het is {_status(b)}.",
        "not_started": lambda: f"Referentie: arrangement {a} is nog niet gestart; declareer eerst de start.",
        "end_before_start": lambda: f"Datum: de einddatum {_nl(a)} ligt vóór de startdatum {_nl(b)}.",
        "future": lambda: f"Datum: de maand {_nl(a)[3:]} ligt in de toekomst; declareer na afloop van de zorg.",
        "dup_file": lambda: f"Dubbel: deze declaratie staat ook in rij {a} van dit bestand.",
        "dup_db": lambda: f"Dubbel: voor arrangement {a} is dit al eerder gedeclareerd.",
        "max_months": lambda: f"Datum: het maximum van {a} maanden voor dit arrangement wordt overschreden.",
        "assigned": lambda: f"Eenheden: het totaal komt op {a}, meer dan de toegewezen {b}.",
    }
    if code == "outside":
        start, _, end = (b or "/").partition("/")
        until = f" tot en met {_nl(end)}" if end else ""
        return f"Datum: de maand {_nl(a)[3:]} valt buiten de looptijd (vanaf {_nl(start)}{until})."
    if code == "amount":
        return (f"Bedrag: u declareert {euro(int(a or 0))}, maar het tarief van dit arrangement geeft "
                f"{euro(int(b or 0))}.")  # fmt: skip
    return messages[code]() if code in messages else code


async def _driver(session: AsyncSession) -> Any:
    conn = await session.connection()
    raw = await conn.get_raw_connection()
    return raw.driver_connection


async def import_declarations(
    session: AsyncSession,
    *,
    region_id: int,
    provider_id: int,
    content: bytes,
    filename: str,
    channel: str,
    actor: Actor,
    now: datetime,
    first_row: int = 2,
    errors: list[FieldError] | None = None,
) -> ImportResult:
    """Check and store a whole CSV file, or raise ImportFailed (nothing stored: the caller rolls back).
    `errors`: problems the caller already found (e.g. unreadable JSON lines), reported together."""
    lines, found_early = prepare_lines(content, first_row)
    errors = [*(errors or []), *found_early]
    if not lines and not errors:
        raise ImportFailed([FieldError("bestand", "Het bestand bevat geen declaraties (alleen de kopregel).", 1)], 1)
    if errors and not lines:
        raise _fail(errors)
    await session.execute(text("DROP TABLE IF EXISTS tmp_decl_import, tmp_decl_checked"))
    await session.execute(text("SET LOCAL work_mem = '64MB'"))  # the checks' sorts and hashes stay in memory
    await session.execute(text(_CREATE_RAW))
    driver = await _driver(session)
    await driver.copy_to_table("tmp_decl_import", source=io.BytesIO("\n".join(lines).encode()), format="csv",
                               delimiter=";", columns=["row_no", *COLUMNS])  # fmt: skip
    params = {"region_id": region_id, "provider_id": provider_id}
    await session.execute(text(_CREATE_CHECKED), params)
    # temp tables have no statistics otherwise; a small sample of the columns the checks join on will do
    await session.execute(text("SET LOCAL default_statistics_target = 10"))
    await session.execute(text("ANALYZE tmp_decl_checked (row_no, reference, kind, period, arr_id, kind_key)"))
    await session.execute(text("SET LOCAL default_statistics_target TO DEFAULT"))
    found = (await session.execute(text(_ERRORS), {
        **params, "reasons": DECLARABLE_END_REASONS, "this_month": month_start(today(now)), "limit": MAX_REPORTED,
    })).all()  # fmt: skip
    sql_total = int(found[0].total) if found else 0
    for row, err, _ in found:
        col, code, a, b = err.split("\x1f")
        errors.append(FieldError(col, f"Rij {row}: {_message(code, a or None, b or None)}", int(row)))
    end_rows = (await session.execute(text(
        "SELECT row_no, arr_id, day, end_reason, outcomes FROM tmp_decl_checked WHERE kind = 'end'"))).all()
    outcome_errors = ErrorCollector()
    ends: list[tuple[int, date, str, dict[int, str]]] = []
    end_row_of: dict[int, int] = {}
    for row, arr_id, day, reason, raw in end_rows:
        parsed = parse_outcomes(raw, outcome_errors, "resultaten", int(row))
        if arr_id is not None and day is not None:
            ends.append((int(arr_id), day, reason, parsed))
            end_row_of[int(arr_id)] = int(row)
    for e in outcome_errors.errors:
        errors.append(FieldError(e.field, f"Rij {e.row}: {e.message}", e.row))
    total = sql_total + len(errors) - len(found)
    if errors:
        failed = _fail(errors)
        failed.total = total
        raise ImportFailed(failed.errors, total)
    batch = DeclarationBatch(region_id=region_id, provider_id=provider_id, channel=channel, filename=filename[:200],
                             row_count=len(lines), created_by=actor.user_id, created_at=now)  # fmt: skip
    session.add(batch)
    await session.flush()
    try:
        await session.execute(text(_INSERT), {**params, "channel": channel, "batch_id": batch.id, "now": now})
    except IntegrityError as exc:  # another upload or request won the race for the same declaration
        if sqlstate(exc) == "23505":
            raise Conflict("Een of meer declaraties in dit bestand zijn intussen al gedeclareerd; er is niets "
                           "opgeslagen. Controleer het overzicht en stuur het bestand opnieuw.") from exc  # fmt: skip
        raise
    starts = (await session.execute(text(
        "SELECT arr_id, day, row_no FROM tmp_decl_checked WHERE kind = 'start'"))).all()  # fmt: skip
    refused: list[FieldError] = []
    if starts:
        start_row_of = {int(a): int(r) for a, _, r in starts}
        for aid in await mark_started_many(session, region_id=region_id, provider_id=provider_id,
                                           rows=[(int(a), d) for a, d, _ in starts], actor=actor, now=now):  # fmt: skip
            row = start_row_of[aid]
            message = ("de startdatum valt buiten de toegestane periode rond de akkoorddatum, of het arrangement is "
                       "intussen gewijzigd.")
            refused.append(FieldError("datum", f"Rij {row}: {message}", row))
    if ends:
        for aid in await mark_ended_many(session, region_id=region_id, provider_id=provider_id, rows=ends,
                                         actor=actor, now=now):  # fmt: skip
            row = end_row_of[aid]
            message = "het einde is geweigerd: geef voor elk doel van het gezinsplan precies één uitkomst."
            refused.append(FieldError("resultaten", f"Rij {row}: {message}", row))
    if refused:
        raise _fail(refused)
    summary = (await session.execute(text(
        "SELECT kind, count(*), coalesce(sum(expected), 0) FROM tmp_decl_checked GROUP BY kind"))).all()  # fmt: skip
    per_kind = {_LABELS.get(str(k), str(k)): int(n) for k, n, _ in summary}
    total_cents = sum(int(c) for _, _, c in summary)
    await audit.record(session, actor, object_type="declaration_batch", object_id=batch.id, action="import", now=now,
                       summary={"bestand": filename[:200], "rijen": len(lines), "per_soort": per_kind,
                                "bedrag_cent": total_cents, "kanaal": channel})  # fmt: skip
    assert batch.id is not None
    return ImportResult(batch.id, len(lines), per_kind, total_cents)
