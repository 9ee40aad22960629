"""Imported only by the PDF pool's forkserver (invoicing.services.specifications._pool_context): import
WeasyPrint and render one page once, so every worker forked from it starts with fonts and stylesheets
loaded. Nothing else imports this module."""

from __future__ import annotations

from jeugdregio.pdf import html_to_pdf

WARM_UP = "<!doctype html><html lang='nl'><head><meta charset='utf-8'><title>.</title></head><body>.</body></html>"
html_to_pdf(WARM_UP)
