"""Fixtures for the request pages: the campaign tests' request builder and importer."""

from tests.vocapp.campaigns.conftest import add_requests  # noqa: F401 - a fixture, shared
