"""The exception hierarchy of the vocapp application layer."""

__all__ = ["VocappError", "ConfigError", "ValidationError", "NotFound"]


class VocappError(Exception):
    """Base class of every error vocapp raises on purpose."""


class ConfigError(VocappError):
    """The configuration cannot be used; the message says which setting and why."""


class ValidationError(VocappError):
    """Input a service refuses; `field` names the offending field when there is one."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(VocappError):
    """The object does not exist or is outside the caller's departments."""
