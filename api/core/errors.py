"""RFC 9457 problem details for every error the API returns, the framework's own included."""

import logging
import re
from collections.abc import Callable, Sequence
from http import HTTPStatus
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.core.sql import DISCONNECTS

Item = TypeVar("Item")
Built = TypeVar("Built")

logger = logging.getLogger("toward")

PROBLEM_JSON = "application/problem+json"


class FieldError(BaseModel):
    field: str
    message: str
    # For a batch: the position of the item in `items` that the error is about.
    index: int | None = None


class ProblemDetails(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None


class Problem(Exception):
    """An error a handler or service raises; rendered as problem details. A request
    that raises one rolls its transaction back."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        code: str,
        headers: dict[str, str] | None = None,
        errors: list[FieldError] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.code = code
        self.headers = headers
        self.errors = errors


def not_found(what: str = "resource") -> Problem:
    return Problem(404, f"No such {what}.", code="not-found")


def busy(detail: str, retry_after: int = 1) -> Problem:
    """This worker is at a bound it keeps to stay responsive: refused at once, to be
    tried again."""
    return Problem(503, detail, code="busy", headers={"Retry-After": str(retry_after)})


def each_item(
    items: Sequence[Item], build: Callable[[Item], Built]
) -> tuple[list[Built], list[FieldError]]:
    """What `build` makes of each item of a batch, and the errors of the items it
    refuses (a 422 `Problem`), as the batch reports them: each field under
    `items.<index>.`, with the `index`."""
    built: list[Built] = []
    errors: list[FieldError] = []
    for index, item in enumerate(items):
        try:
            built.append(build(item))
        except Problem as problem:
            errors.extend(
                FieldError(field=f"items.{index}.{error.field}", message=error.message, index=index)
                for error in problem.errors or []
            )
    return built, errors


def invalid_items(errors: list[FieldError]) -> Problem:
    """A batch's 422: every bad item's errors at once."""
    fields = ", ".join(dict.fromkeys(error.field for error in errors))
    return Problem(422, f"The request is not valid: {fields}.", code="validation", errors=errors)


def invalid(field: str, message: str) -> Problem:
    """A 422 for one field, as request validation reports it."""
    return Problem(
        422,
        f"The request is not valid: {field}.",
        code="validation",
        errors=[FieldError(field=field, message=message)],
    )


def problem_type(code: str) -> str:
    return f"urn:toward:problem:{code}"


# The framework's own errors, each given a type of ours.
HTTP_CODES = {
    400: "bad-request",
    404: "not-found",
    405: "method-not-allowed",
    413: "body-too-large",
    422: "validation",
}


def problem_response(
    status: int,
    detail: str,
    *,
    code: str,
    headers: dict[str, str] | None = None,
    errors: list[FieldError] | None = None,
) -> JSONResponse:
    body = ProblemDetails(
        type=problem_type(code),
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        errors=errors,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        headers=headers,
        media_type=PROBLEM_JSON,
    )


def field_path(loc: tuple[int | str, ...]) -> str:
    """`("body", "love_languages", "give", 0)` -> `love_languages.give.0`."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    if not parts:
        return "body"
    if loc[0] == "body" and isinstance(parts[0], int):
        return "body"  # a JSON syntax error reports a character offset
    return ".".join(str(part) for part in parts)


def item_index(loc: tuple[int | str, ...]) -> int | None:
    """`("body", "items", 3, "kind")` -> 3: the item of a batch an error is about."""
    if loc[:2] == ("body", "items") and len(loc) > 2 and isinstance(loc[2], int):
        return loc[2]
    return None


def _validation_errors(errors: Any) -> list[FieldError]:
    found = [
        FieldError(
            field=field_path(tuple(err["loc"])),
            message=str(err["msg"]).removeprefix("Value error, "),
            index=item_index(tuple(err["loc"])),
        )
        for err in errors
    ]
    # A path parameter that a dependency also reads is reported once per reader.
    return list({(error.field, error.message): error for error in found}.values())


async def _on_problem(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return problem_response(
        exc.status, exc.detail, code=exc.code, headers=exc.headers, errors=exc.errors
    )


async def _on_validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = _validation_errors(exc.errors())
    fields = ", ".join(dict.fromkeys(err.field for err in errors))
    return problem_response(
        422, f"The request is not valid: {fields}.", code="validation", errors=errors
    )


# What FastAPI turns into a bare 400 while it parses a JSON body: bytes that are not
# UTF-8 (RFC 8259 allows no other encoding), nesting deeper than the parser goes, a
# number with more digits than Python converts. They are bodies that are not JSON this
# API reads, answered like malformed JSON is.
_UNREADABLE_BODY = {
    UnicodeDecodeError: "must be JSON text in UTF-8",
    RecursionError: "is nested too deeply",
}


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    headers = getattr(exc, "headers", None)
    if status == 400 and exc.__cause__ is not None:  # raised only while reading a body
        cause = exc.__cause__
        message = _UNREADABLE_BODY.get(type(cause), f"could not be read as JSON: {cause}")
        return problem_response(
            422,
            "The request is not valid: body.",
            code="validation",
            errors=[FieldError(field="body", message=message[:200])],
        )
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(status).description
    if status == 404 and detail == "Not Found":
        detail = "No such resource."
    elif status == 405 and detail == "Method Not Allowed":
        detail = "This method is not allowed on this path."
        allowed = _allowed_methods(request)
        if allowed:
            headers = {**(headers or {}), "Allow": allowed}
    code = HTTP_CODES.get(status, "http-error")
    return problem_response(status, detail, code=code, headers=headers)


def path_pattern(template: str) -> re.Pattern[str]:
    """`/couples/{couple_id}` as a pattern that matches its paths."""
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile(
        "".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts) + "$"
    )


def _allowed_methods(request: Request) -> str:
    """Every method an operation of the API serves on this path (the router names only
    those of the first route that matched it); a path of literal segments only
    (`/couples/join`) is not also read as a template (`/couples/{couple_id}`). Empty
    for paths outside the API, whose router's own answer stands."""
    matching = [
        (template.count("{"), operations)
        for template, operations in request.app.openapi()["paths"].items()
        if path_pattern(template).match(request.url.path)
    ]
    fewest = min((parameters for parameters, _ in matching), default=0)
    methods = {
        method.upper()
        for parameters, operations in matching
        if parameters == fewest
        for method in operations
    }
    return ", ".join(sorted(methods))


async def _on_database_lost(request: Request, exc: Exception) -> JSONResponse:
    logger.warning("database unavailable on %s %s: %r", request.method, request.url.path, exc)
    return problem_response(
        503,
        "The database is unavailable; try again shortly.",
        code="database-unavailable",
        headers={"Retry-After": "1"},
    )


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(
        500, "Something went wrong on our side; it has been logged.", code="internal"
    )


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    for disconnect in DISCONNECTS:
        app.add_exception_handler(disconnect, _on_database_lost)
    app.add_exception_handler(Exception, _on_unexpected)


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses a route returns."""
    return {
        status: {
            "model": ProblemDetails,
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}},
        }
        for status in statuses
    }
