"""CSV exports of 311 systems (LA, NYC, Boston, or any with a column mapping) into service requests."""

from __future__ import annotations

import click

__all__ = ["requests_group"]


@click.group("requests")
def requests_group():
    """311 service requests: import them from CSV exports."""
