"""Typed errors raised by the use cases; one handler maps them to an HTML page or JSON."""

from __future__ import annotations


class ServiceError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}

    def to_dict(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message, "fields": self.fields}


class NotFound(ServiceError):
    """Also used for things that exist but the actor may not know about."""

    status_code = 404
    code = "not_found"

    def __init__(self, message: str = "Not found.") -> None:
        super().__init__(message)


class Unauthenticated(ServiceError):
    status_code = 401
    code = "unauthenticated"

    def __init__(self, message: str = "Please sign in.") -> None:
        super().__init__(message)


class Forbidden(ServiceError):
    status_code = 403
    code = "forbidden"

    def __init__(self, message: str = "You are not allowed to do that.") -> None:
        super().__init__(message)


class Invalid(ServiceError):
    status_code = 422
    code = "invalid"
    # Right where a form shows each field's error beside it; the error page has no fields to
    # highlight (``web.render.error_page`` words it for a page's address instead).
    DEFAULT_MESSAGE = "Please correct the highlighted fields."

    def __init__(self, fields: dict[str, str], message: str | None = None) -> None:
        super().__init__(message or self.DEFAULT_MESSAGE, fields)


class Conflict(ServiceError):
    status_code = 409
    code = "conflict"


class RateLimited(ServiceError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ServiceUnavailable(ServiceError):
    """Something we depend on (a database, an identity provider) did not answer: try again later."""

    status_code = 503
    code = "unavailable"

    def __init__(self, message: str, retry_after: int = 30) -> None:
        super().__init__(message)
        self.retry_after = retry_after
