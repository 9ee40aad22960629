"""Framework-free domain errors. One exception handler (jeugdregio.web) maps them to HTTP."""

from __future__ import annotations

from dataclasses import dataclass


class DomainError(Exception):
    status_code = 400
    title = "Ongeldig verzoek"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    status_code = 404
    title = "Niet gevonden"

    def __init__(self, message: str = "Dit bestaat niet of u heeft er geen toegang toe.") -> None:
        super().__init__(message)


class Forbidden(DomainError):
    status_code = 403
    title = "Geen toegang"

    def __init__(self, message: str = "U heeft geen toegang tot deze functie.") -> None:
        super().__init__(message)


class Conflict(DomainError):
    status_code = 409
    title = "Conflict"


class InvalidTransition(Conflict):
    title = "Deze stap is nu niet mogelijk"


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str
    row: int | None = None

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"field": self.field, "message": self.message}
        if self.row is not None:
            out["row"] = self.row
        return out


class ValidationFailed(DomainError):
    status_code = 422
    title = "Controleer de invoer"

    def __init__(self, errors: list[FieldError], message: str = "De invoer bevat fouten.") -> None:
        super().__init__(message)
        self.errors = errors

    @classmethod
    def single(cls, field: str, message: str) -> ValidationFailed:
        return cls([FieldError(field, message)], message)

    def by_field(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for err in self.errors:
            out.setdefault(err.field, err.message)
        return out


class RateLimited(DomainError):
    status_code = 429
    title = "Te veel pogingen"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Gone(DomainError):
    status_code = 410
    title = "Niet meer geldig"


class ErrorCollector:
    """Collects field errors so a form reports all of them at once."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, field: str, message: str, row: int | None = None) -> None:
        self.errors.append(FieldError(field, message, row))

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)
