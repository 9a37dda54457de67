"""Open311 GeoReport v2 client: poll an endpoint's closed requests into service requests."""

from __future__ import annotations

import click

__all__ = ["open311_group"]


@click.group("open311")
def open311_group():
    """Open311 GeoReport v2 endpoints: poll them for closed requests."""
