"""Errors services raise; views and the API turn them into responses."""

from __future__ import annotations


class ServiceError(Exception):
    status = 400


class ValidationFailed(ServiceError):
    """Bad input, reported per field; nothing has been written."""

    status = 422

    def __init__(self, errors: dict[str, str] | str, field: str = "_form") -> None:
        self.errors = errors if isinstance(errors, dict) else {field: errors}
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


class NotFound(ServiceError):
    """Missing and foreign look the same (DESIGN.md section 2)."""

    status = 404


class Forbidden(ServiceError):
    status = 403


class Conflict(ServiceError):
    status = 409
