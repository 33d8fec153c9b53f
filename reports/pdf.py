"""PDF rendering with WeasyPrint, from the same Django templates as the screens.

The print stylesheet is read through the static files finders, so the PDF looks the same in
development, in the test suite and in production (where ``collectstatic`` copies it).
"""

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

ALLOWED_PROTOCOLS = ("file", "data")


def _url_fetcher():
    """Refuse network URLs: a report must never make the server fetch anything remote."""
    try:
        from weasyprint import URLFetcher
    except ImportError:  # WeasyPrint < 70 takes a function
        from weasyprint import default_url_fetcher

        def fetch(url, *args, **kwargs):
            if not url.lower().startswith(tuple(f"{p}:" for p in ALLOWED_PROTOCOLS)):
                raise ValueError("Only local resources are allowed in PDF reports.")
            return default_url_fetcher(url, *args, **kwargs)

        return fetch
    return URLFetcher(allowed_protocols=set(ALLOWED_PROTOCOLS))


def _print_css():
    # Imported lazily so that Pango is loaded only by the processes that make PDFs.
    from weasyprint import CSS

    return CSS(filename=finders.find("css/print.css"))


def render_pdf(template: str, context: dict, *, request=None) -> bytes:
    from weasyprint import HTML

    html = render_to_string(template, context, request=request)
    document = HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=_url_fetcher())
    return document.write_pdf(stylesheets=[_print_css()])
