"""Security headers sent with every response: pages, static files, originals, feeds and errors."""

from __future__ import annotations

from flask import Response

# Pages of our origin may load scripts, styles and images from our origin only, and may not be
# framed. Originals get a stricter policy (see views.original), which this one does not replace.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def security_headers(response: Response) -> Response:
    """Add the headers to ``response`` (an ``after_request`` hook), keeping a stricter policy a
    view already set."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "same-origin"
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    return response
