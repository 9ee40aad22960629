"""The HTML error page for field errors with and without a row number (the page itself must never fall back to
the bare emergency page)."""

from __future__ import annotations

from litestar import get
from litestar.testing import create_test_client

from jeugdregio.errors import FieldError, ValidationFailed
from jeugdregio.web import handle_exception


@get("/veld")
async def field_errors() -> None:
    raise ValidationFailed([FieldError("naam", "Vul een naam in."), FieldError("datum", "Geen geldige datum.")])


@get("/regels")
async def row_errors() -> None:
    raise ValidationFailed([FieldError("bsn", "Ongeldig BSN.", row=7)], "Het bestand bevat fouten.")


def test_field_errors_without_a_row_render_the_full_page() -> None:
    with create_test_client([field_errors, row_errors], exception_handlers={Exception: handle_exception}) as client:
        r = client.get("/veld", headers={"accept": "text/html"})
        assert r.status_code == 422
        assert '<ul class="errors">' in r.text and "Foutcode 422" in r.text
        assert "naam: Vul een naam in." in r.text and "datum: Geen geldige datum." in r.text
        assert "Regel" not in r.text
        rows = client.get("/regels", headers={"accept": "text/html"})
        assert rows.status_code == 422 and "Regel 7, bsn: Ongeldig BSN." in rows.text

