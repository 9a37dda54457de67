"""Reading numbers back out of the results page."""

from __future__ import annotations

import html as htmllib
import re


def section(page: str, key: str) -> str:
    """The markup of question `key`'s section."""
    match = re.search(rf'<section id="q-{re.escape(key)}".*?</section>', page, re.S)
    assert match, f"no section for {key}"
    return match.group(0)


def metric(page: str, key: str, label: str) -> str:
    """The text shown for metric `label` of question `key`."""
    match = re.search(rf"<dt[^>]*>{re.escape(label)}</dt><dd[^>]*>(.*?)</dd>", section(page, key), re.S)
    assert match, f"no metric {label!r} for {key}"
    return htmllib.unescape(match.group(1))


def total(page: str) -> int:
    """The number of responses the page counts."""
    match = re.search(r"<strong>(\d+)</strong> response", page)
    assert match, "no total on the page"
    return int(match.group(1))


def row(page: str, key: str, label: str) -> tuple[int, str]:
    """(count, share text) of answer `label` in question `key`'s distribution table."""
    match = re.search(rf'<th scope="row"[^>]*>{re.escape(label)}</th><td[^>]*>(\d+)</td><td[^>]*>(.*?)</td>',
                      section(page, key))
    assert match, f"no row {label!r} for {key}"
    return int(match.group(1)), match.group(2)


def svgs(page: str) -> list[str]:
    """Every inline SVG element of the page."""
    return re.findall(r"<svg.*?</svg>", page, re.S)
