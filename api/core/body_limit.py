"""Request bodies are read up to `MAX_BODY_BYTES` (a batch's up to
`MAX_BATCH_BODY_BYTES`): a larger one is refused with a 413
problem, from its declared `Content-Length` before a byte of it is read, or as soon as
what arrives passes the limit. Only routes that read a body ever answer 413."""

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.core.errors import problem_response

# Paths that take many items at once (`POST /couples/{id}/bids:batch`) and their limit.
BATCH_SUFFIX = ":batch"


def _too_large(limit: int) -> HTTPException:
    # FastAPI passes an HTTPException raised while it reads the body on to the app's
    # handlers (any other error there becomes a 400), which answer with our problem.
    return HTTPException(413, f"The request body may be at most {limit} bytes.")


class BodyLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        settings = scope["app"].state.settings
        batch = scope["path"].endswith(BATCH_SUFFIX)
        limit: int = settings.max_batch_body_bytes if batch else settings.max_body_bytes
        declared = _content_length(scope)
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            if declared is not None and declared > limit:
                raise _too_large(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _too_large(limit)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except HTTPException as error:
            if error.status_code != 413 or started:
                raise
            response = problem_response(413, str(error.detail), code="body-too-large")
            await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None
