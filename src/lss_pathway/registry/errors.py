"""Registry errors, each with the HTTP status it maps to and the field it is about."""

from __future__ import annotations


class RegistryError(Exception):
    status = 400

    def __init__(self, message: str, field: str = ""):
        self.message = message
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)


class InvalidInput(RegistryError):
    """The request is well formed but breaks a rule (a score out of range, a date before the procedure)."""

    status = 422


class NotFound(RegistryError):
    status = 404


class Conflict(RegistryError):
    """The write would duplicate something that must be unique (a follow-up per subject and time point)."""

    status = 409
