"""The operator's branding on the console: the accent colour as a stylesheet and the logo as an image.

Both are served by us from our own origin, so the Content-Security-Policy stays `'self'` with no inline
style: the accent colour is a custom property in `/console/brand.css`, not a `style` attribute.
"""

from __future__ import annotations

import mimetypes

from django.http import FileResponse, Http404, HttpResponse
from django.utils.cache import patch_cache_control

from billing import conf

BRAND_MAX_AGE = 300  # seconds: a changed setting shows within minutes, pages do not refetch it each time


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def luminance(colour: str) -> float:
    """WCAG relative luminance of #rrggbb."""
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def darkened(colour: str, *, against: str = "#ffffff", ratio: float = 4.5) -> str:
    """The colour, darkened step by step until text in it reads on `against` (WCAG AA: 4.5:1).

    An operator may choose a light accent; links and the current page's marker are drawn in this
    darker shade so they stay readable, and the accent itself stays on fills."""
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    while contrast(f"#{r:02x}{g:02x}{b:02x}", against) < ratio and (r, g, b) != (0, 0, 0):
        r, g, b = (int(c * 0.9) for c in (r, g, b))
    return f"#{r:02x}{g:02x}{b:02x}"


def accent_palette(accent: str) -> dict[str, str]:
    accent = accent.lower()
    ink = "#ffffff" if contrast(accent, "#ffffff") >= contrast(accent, "#000000") else "#000000"
    fill = accent if contrast(accent, ink) >= 4.5 else darkened(accent, against=ink)
    return {"accent": fill, "accent-ink": ink, "accent-text": darkened(accent)}


def brand_css(request):
    palette = accent_palette(conf.settings.OPERATOR_ACCENT_COLOR)
    body = ":root{" + "".join(f"--{name}:{value};" for name, value in palette.items()) + "}\n"
    response = HttpResponse(body, content_type="text/css; charset=utf-8")
    patch_cache_control(response, public=True, max_age=BRAND_MAX_AGE)
    return response


def logo_file():
    """The OPERATOR_LOGO file (the one the PDFs draw), or None."""
    logo = conf.settings.OPERATOR_LOGO
    if not logo:
        return None
    path = conf.logo_path(logo)
    return path if path.is_file() else None


def brand_logo(request):
    path = logo_file()
    content_type = mimetypes.guess_type(path.name)[0] if path else None
    if path is None or not (content_type or "").startswith("image/"):
        raise Http404("No logo")
    response = FileResponse(path.open("rb"), content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    patch_cache_control(response, public=True, max_age=BRAND_MAX_AGE)
    return response
