"""PDFs: the same Jinja templates rendered to HTML, then WeasyPrint with no network access."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jeugdregio.templating import render_template, templates_dir


@lru_cache(maxsize=1)
def local_fetcher() -> Any:
    """A WeasyPrint URL fetcher that only reads files under the templates folder (and data: URIs)."""
    from weasyprint.urls import URLFetcher

    base = templates_dir().resolve().as_uri()

    class LocalOnlyFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            if not (url.startswith(base + "/") or url.startswith("data:")):
                raise ValueError(f"refused to fetch {url!r}: PDFs use local resources only")
            return super().fetch(url, headers)

    return LocalOnlyFetcher(allowed_protocols={"file", "data"})


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML  # lazy: importing WeasyPrint is slow

    base_url = templates_dir().resolve().as_uri() + "/"
    return bytes(HTML(string=html, base_url=base_url, url_fetcher=local_fetcher()).write_pdf())


def render_pdf(template: str, **context: Any) -> bytes:
    return html_to_pdf(render_template(template, **context))
