"""A clock the tests move by hand."""

from datetime import UTC, datetime, timedelta


class Clock:
    """The auth service's idea of now, moved by hand."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
