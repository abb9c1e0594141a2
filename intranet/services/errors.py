"""Domain errors that services raise and views translate into pages and messages."""


class DomainError(Exception):
    """Base: carries a message fit to show the user (already translated)."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class PermissionDenied(DomainError):
    pass


class NotFound(DomainError):
    pass


class InvalidTransition(DomainError):
    pass


class Conflict(DomainError):
    pass


class ValidationFailed(DomainError):
    """Bad input that a form could not catch; `field` names the form field, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
