"""One page of a longer list, shaped like Flask-SQLAlchemy's pagination (what `_pager.html` reads)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = ["Page"]


@dataclass(frozen=True)
class Page:
    """The rows of page `page` (from 1) of `total`, `per_page` at a time."""

    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @staticmethod
    def clamp(page: int, total: int, per_page: int) -> int:
        """`page` moved into 1..the last page of `total` rows (a stale or hand-typed number still shows rows)."""
        return min(max(1, page), max(1, math.ceil(total / per_page)))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages
