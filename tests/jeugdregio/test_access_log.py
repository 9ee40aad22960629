"""The access log never shows a one-time link's token."""

from __future__ import annotations

import logging

from jeugdregio.asgi import RedactSecretPaths


def test_the_access_log_never_shows_a_rating_links_token() -> None:
    token = "hyTt-IJRR0IZe63mBRfFmCD75QBRRLVObFvyFC3EgdA"
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", "GET", f"/beoordelen/{token}?x=1", "1.1", 200), None)  # fmt: skip
    assert RedactSecretPaths().filter(record)
    message = record.getMessage()
    assert token not in message and "/beoordelen/[verborgen]?x=1" in message
    thanks = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, "%s", ("/beoordelen/bedankt",), None)
    RedactSecretPaths().filter(thanks)
    assert thanks.getMessage() == "/beoordelen/bedankt"


def test_the_app_factory_installs_the_filter(app) -> None:
    assert any(isinstance(f, RedactSecretPaths) for f in logging.getLogger("uvicorn.access").filters)
