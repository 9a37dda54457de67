"""QR codes of public survey links (segno: pure Python, SVG and PNG without other dependencies)."""

from __future__ import annotations

import io

import segno
from flask import Response
from markupsafe import Markup

__all__ = ["svg", "download"]


def _code(url: str) -> segno.QRCode:
    # Error correction "M" survives a bit of glare or a crease on a printed poster.
    return segno.make(url, error="m", micro=False)


def svg(url: str) -> Markup:
    """Inline SVG markup of the QR code (no XML declaration), titled with the link."""
    out = io.BytesIO()
    _code(url).save(out, kind="svg", scale=8, border=2, xmldecl=False, svgns=True, title=url,
                    svgclass="qr", lineclass=None)
    return Markup(out.getvalue().decode("utf-8"))  # noqa: S704  (segno output, URL escaped by segno)


def download(url: str, fmt: str, stem: str) -> Response:
    """The QR code as an SVG or PNG attachment."""
    out = io.BytesIO()
    if fmt == "png":
        _code(url).save(out, kind="png", scale=12, border=3)
        mimetype = "image/png"
    else:
        _code(url).save(out, kind="svg", scale=12, border=3, title=url)
        mimetype = "image/svg+xml"
    return Response(out.getvalue(), mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{stem}.{fmt}"'})
