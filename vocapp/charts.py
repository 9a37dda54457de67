"""Bar charts for results pages: matplotlib (Figure API, imported lazily) to PNG bytes or SVG text.

SVG keeps its text as text (``svg.fonttype = 'none'``) and is cleaned for
inlining under the app's Content-Security-Policy: no XML prolog, no
``<style>`` element or ``style`` attributes (blocked by ``style-src 'self'``;
they become presentation attributes), no scripts, and ids prefixed so several
charts can share one page.
"""

from __future__ import annotations

import io
import re
import textwrap
import threading
import xml.etree.ElementTree as ET  # noqa: S405 - parses only SVG that matplotlib just wrote
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

__all__ = ["PRIMARY", "INK", "distribution_png", "distribution_svg", "timeline_png", "timeline_svg", "clean_svg"]

PRIMARY = "#005ea2"  # 6.7:1 on white
INK = "#1b1b1b"
MUTED = "#565c65"  # 6.7:1 on white
GRID = "#dfe1e2"
DPI = 100
WIDTH = 6.0
LABEL_WIDTH = 30
_LOCK = threading.Lock()

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
#: CSS properties matplotlib writes that are also SVG presentation attributes.
PRESENTATION = frozenset({
    "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-opacity", "stroke-linecap",
    "stroke-linejoin", "stroke-miterlimit", "stroke-dasharray", "stroke-dashoffset", "opacity",
    "font-family", "font-size", "font-style", "font-weight", "text-anchor", "clip-path", "dominant-baseline",
})

_RC = {
    "svg.fonttype": "none",
    "svg.hashsalt": "vocapp",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
    "font.size": 10,
    "text.color": INK,
    "axes.edgecolor": MUTED,
    "axes.labelcolor": INK,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "xtick.labelcolor": INK,
    "ytick.labelcolor": INK,
}


def _wrap(text: str, width: int = LABEL_WIDTH) -> str:
    """`text` broken into lines of at most `width` characters."""
    return "\n".join(textwrap.wrap(text, width)) or text


def _render(draw: Callable[[Any], None], size: tuple[float, float], fmt: str) -> bytes:
    """Draw on a new Figure of `size` inches and save it as `fmt`.

    Margins are set by the drawing functions from the label lengths: a layout engine
    would triple the rendering time of every chart. rcParams are process-wide, so one
    chart is drawn at a time (threaded servers must not see each other's settings).
    """
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with _LOCK, matplotlib.rc_context(_RC):
        fig = Figure(figsize=size, dpi=DPI)
        FigureCanvasAgg(fig)
        draw(fig)
        buffer = io.BytesIO()
        metadata = {"Date": None} if fmt == "svg" else {"Software": None}
        fig.savefig(buffer, format=fmt, dpi=DPI, metadata=metadata, facecolor="white")
    return buffer.getvalue()


def _style_axes(ax: Any) -> None:
    """Light horizontal grid, whole-number ticks, no box."""
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="y", color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    ax.yaxis.get_major_locator().set_params(integer=True, nbins=5)


def _margins(fig: Any, *, left: float, bottom: float, top: float, right: float = 0.2) -> None:
    """Set the axes margins in inches."""
    width, height = fig.get_size_inches()
    fig.subplots_adjust(left=left / width, right=1 - right / width, bottom=bottom / height, top=1 - top / height)


def _heading(fig: Any, text: str) -> None:
    """The title at the figure's top left (the axes may start far to the right)."""
    fig.text(0.1 / fig.get_size_inches()[0], 1 - 0.1 / fig.get_size_inches()[1], text, ha="left", va="top",
             fontsize=11, color=INK, parse_math=False)


def _distribution(title: str, labels: Sequence[str], counts: Sequence[int], notes: Sequence[str]):
    """A drawing function: one horizontal bar per option, first option on top, labelled "n (p%)" at its end.

    The bars are labelled directly, so there is no value axis to read.
    """
    def draw(fig: Any) -> None:
        ax = fig.add_subplot()
        positions = range(len(labels))
        wrapped = [_wrap(label) for label in labels]
        heading = _wrap(title, 64)
        bars = ax.barh(positions, counts, color=PRIMARY, height=0.6)
        ax.set_yticks(positions, labels=wrapped, parse_math=False)
        ax.tick_params(axis="y", length=0)
        ax.invert_yaxis()
        ax.set_xlim(0, max([*counts, 1]) * 1.3)
        ax.bar_label(bars, labels=list(notes), padding=3, color=INK, fontsize=9, parse_math=False)
        ax.xaxis.set_visible(False)
        for side in ("top", "right", "bottom"):
            ax.spines[side].set_visible(False)
        _heading(fig, heading)
        longest = max((len(line) for label in wrapped for line in label.splitlines()), default=1)
        _margins(fig, left=0.3 + 0.075 * longest, bottom=0.15, top=0.2 + 0.2 * (heading.count("\n") + 1))

    return draw


def _timeline(title: str, labels: Sequence[str], counts: Sequence[int]):
    """A drawing function: one vertical bar per period, at most about 12 tick labels."""
    def draw(fig: Any) -> None:
        ax = fig.add_subplot()
        positions = list(range(len(labels)))
        ax.bar(positions, counts, color=PRIMARY, width=0.8)
        step = max(1, -(-len(labels) // 12))
        ax.set_xticks(positions[::step], labels=list(labels)[::step], rotation=45, ha="right",
                      parse_math=False)
        ax.set_ylim(0, max([*counts, 1]) * 1.1)
        ax.set_ylabel("Responses")
        _heading(fig, _wrap(title, 90))
        _style_axes(ax)
        _margins(fig, left=0.7, bottom=1.0, top=0.4)

    return draw


def _distribution_size(n: int) -> tuple[float, float]:
    return WIDTH, 0.4 * max(n, 1) + 1.4


@lru_cache(maxsize=256)
def _distribution_chart(title: str, labels: tuple[str, ...], counts: tuple[int, ...], notes: tuple[str, ...],
                        fmt: str) -> bytes:
    """Rendered once per distinct chart: paging through comments or reloading a page redraws nothing."""
    return _render(_distribution(title, labels, counts, notes), (WIDTH, 0.4 * max(len(labels), 1) + 0.9), fmt)


@lru_cache(maxsize=64)
def _timeline_chart(title: str, labels: tuple[str, ...], counts: tuple[int, ...], fmt: str) -> bytes:
    """Rendered once per distinct timeline."""
    return _render(_timeline(title, labels, counts), (8.0, 3.2), fmt)


def distribution_png(title: str, labels: Sequence[str], counts: Sequence[int], notes: Sequence[str]) -> bytes:
    """The distribution of one question's answers as a PNG."""
    return _distribution_chart(title, tuple(labels), tuple(counts), tuple(notes), "png")


def distribution_svg(title: str, labels: Sequence[str], counts: Sequence[int], notes: Sequence[str], *,
                     id_prefix: str = "chart", standalone: bool = False) -> str:
    """The distribution of one question's answers as SVG (inline markup, or a standalone file)."""
    raw = _distribution_chart(title, tuple(labels), tuple(counts), tuple(notes), "svg")
    return clean_svg(raw, title, id_prefix, standalone=standalone)


def timeline_png(title: str, labels: Sequence[str], counts: Sequence[int]) -> bytes:
    """Responses per period as a PNG."""
    return _timeline_chart(title, tuple(labels), tuple(counts), "png")


def timeline_svg(title: str, labels: Sequence[str], counts: Sequence[int], *, id_prefix: str = "timeline",
                 standalone: bool = False) -> str:
    """Responses per period as SVG."""
    return clean_svg(_timeline_chart(title, tuple(labels), tuple(counts), "svg"), title, id_prefix,
                     standalone=standalone)


# --- SVG clean-up --------------------------------------------------------------------------------

_URL_REF = re.compile(r"url\(#([^)]+)\)")


def _style_to_attributes(element: ET.Element) -> None:
    """Move a style attribute's declarations into presentation attributes (which CSP does not block)."""
    style = element.attrib.pop("style", "")
    for declaration in style.split(";"):
        name, _, value = declaration.partition(":")
        name, value = name.strip(), value.strip()
        if name in PRESENTATION and value:
            element.set(name, value)


def clean_svg(raw: bytes, title: str, id_prefix: str, *, standalone: bool = False) -> str:
    """matplotlib's SVG made safe to inline: titled, no prolog/metadata/styles/scripts, ids prefixed."""
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)
    root = ET.fromstring(raw)  # noqa: S314 - our own matplotlib output, not user-supplied XML
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag in (f"{{{SVG_NS}}}metadata", f"{{{SVG_NS}}}style", f"{{{SVG_NS}}}script"):
                parent.remove(child)
    href = f"{{{XLINK_NS}}}href"
    for element in root.iter():
        _style_to_attributes(element)
        for name in [n for n in element.attrib if n.startswith("on")]:
            del element.attrib[name]
        if "id" in element.attrib:
            element.set("id", f"{id_prefix}-{element.get('id')}")
        if element.get(href, "").startswith("#"):
            element.set(href, f"#{id_prefix}-{element.get(href)[1:]}")
        for name, value in list(element.attrib.items()):
            if "url(#" in value:
                element.set(name, _URL_REF.sub(lambda m: f"url(#{id_prefix}-{m.group(1)})", value))
    root.set("stroke-linejoin", "round")
    root.set("stroke-linecap", "butt")
    root.set("role", "img")
    root.set("aria-labelledby", f"{id_prefix}-title")
    root.set("class", "results-chart img-fluid")
    heading = ET.Element(f"{{{SVG_NS}}}title", {"id": f"{id_prefix}-title"})
    heading.text = title
    root.insert(0, heading)
    markup = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="utf-8"?>\n{markup}\n' if standalone else markup
