"""Printing HTML to PDF (WeasyPrint) for the documents fireline hands to
people outside it: the evidence report, the post-mortem, the plan."""

from __future__ import annotations

from typing import Any


def html_to_pdf(html: str) -> bytes:
    """The PDF of ``html``, which must carry everything it shows: nothing is
    fetched from any URL, so a document can never make the server call out."""
    import weasyprint  # imported here: it loads Pango, which only printing needs

    return bytes(weasyprint.HTML(string=html, url_fetcher=_no_fetching()).write_pdf())


def _no_fetching() -> Any:
    import weasyprint

    fetcher_class = getattr(weasyprint, "URLFetcher", None)
    if fetcher_class is not None:  # WeasyPrint 66 and later
        return fetcher_class(allowed_protocols=())

    def refuse(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        raise ValueError(f"documents load nothing from outside ({url})")

    return refuse
