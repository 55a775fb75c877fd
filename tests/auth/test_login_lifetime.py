"""A login ends: refreshing renews its token, never past `login_days`; and the rows
that nothing can use any more are deleted."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import sqlalchemy as sa

from api.auth.housekeeping import prune
from api.auth.ratelimit import FAILURES, REGISTRATIONS
from api.core.settings import get_settings
from api.main import create_app
from models.token import RefreshToken
from tests.factories import PASSWORD, register

TOKENS: sa.Table = RefreshToken.__table__  # type: ignore[attr-defined]
REFRESH = "/api/v1/auth/refresh"
DAY = 24 * 3600


async def _refresh(client, token: str) -> httpx.Response:
    return await client.post(REFRESH, json={"refresh_token": token})


async def test_refreshing_never_outlives_the_login(client, configure, clock):
    configure(login_days=3, refresh_token_days=2)
    person = await register(client)
    token, statuses = person.tokens["refresh_token"], []
    for _ in range(5):  # every 0.7 days: each token is spent well before it expires
        clock.advance(0.7 * DAY)
        refreshed = await _refresh(client, token)
        statuses.append(refreshed.status_code)
        if refreshed.status_code == 200:
            token = refreshed.json()["refresh_token"]
    # At 3.5 days the login has ended, although its last token was issued at 2.8.
    assert statuses == [200, 200, 200, 200, 401]
    again = await client.post(
        "/api/v1/auth/login", json={"email": person.user["email"], "password": PASSWORD}
    )
    assert again.status_code == 200


async def test_the_last_token_of_a_login_expires_with_it(client, conn, configure, clock):
    settings = configure(login_days=3, refresh_token_days=2)
    started = clock.now
    person = await register(client)
    clock.advance(1.5 * DAY)
    renewed = await _refresh(client, person.tokens["refresh_token"])
    assert renewed.status_code == 200
    expires = await conn.scalar(
        sa.select(TOKENS.c.expires_at)
        .where(TOKENS.c.used_at.is_(None))
        .where(TOKENS.c.user_id == uuid.UUID(person.id))
    )
    assert abs(expires - (started + timedelta(days=settings.login_days))) < timedelta(seconds=5)


async def test_expired_tokens_of_an_account_go_as_it_logs_in(client, conn, configure, clock):
    configure(refresh_token_days=1)
    person = await register(client)
    clock.advance(2 * DAY)
    login = await client.post(
        "/api/v1/auth/login", json={"email": person.user["email"], "password": PASSWORD}
    )
    assert login.status_code == 200
    rows = await conn.scalar(
        sa.select(sa.func.count()).where(TOKENS.c.user_id == uuid.UUID(person.id))
    )
    assert rows == 1  # only the new login's token


async def test_housekeeping_deletes_only_what_nothing_can_use(client, conn, settings):
    person = await register(client)
    now = datetime.now(UTC)
    user = uuid.UUID(person.id)
    live_family = await conn.scalar(sa.select(TOKENS.c.family_id).where(TOKENS.c.user_id == user))
    for hours, used in ((-1, True), (-1, False), (5, True)):
        await conn.execute(
            sa.insert(TOKENS).values(
                user_id=user,
                family_id=uuid.uuid4(),
                token_hash=uuid.uuid4().hex,
                expires_at=now + timedelta(hours=hours),
                login_expires_at=now + timedelta(days=1),
                used_at=now if used else None,
            )
        )
    # Rows of this test's own client only, whatever else the database holds.
    client_name = f"c-{uuid.uuid4().hex[:8]}"
    old = now - timedelta(seconds=settings.login_window_seconds + 1)
    await conn.execute(
        sa.insert(FAILURES),
        [
            {"id": uuid.uuid4(), "email": f"{n}@x.org", "client": client_name, "at": old}
            for n in range(3)
        ]
        + [{"id": uuid.uuid4(), "email": "new@x.org", "client": client_name, "at": now}],
    )
    stale = now - timedelta(seconds=settings.registration_window_seconds + 1)
    await conn.execute(
        sa.insert(REGISTRATIONS),
        [{"id": uuid.uuid4(), "client": client_name, "at": at} for at in (stale, stale, now)],
    )

    await prune(conn, now, settings)

    kept = (
        await conn.execute(
            sa.select(TOKENS.c.expires_at, TOKENS.c.family_id).where(TOKENS.c.user_id == user)
        )
    ).all()
    assert all(row.expires_at > now for row in kept)
    assert live_family in {row.family_id for row in kept}
    assert len(kept) == 2  # the login's own token, and the spent one not yet expired
    emails = await conn.scalars(sa.select(FAILURES.c.email).where(FAILURES.c.client == client_name))
    assert emails.all() == ["new@x.org"]
    registrations = await conn.scalars(
        sa.select(REGISTRATIONS.c.at).where(REGISTRATIONS.c.client == client_name)
    )
    assert registrations.all() == [now]
    # The live login still refreshes.
    assert (await _refresh(client, person.tokens["refresh_token"])).status_code == 200


async def test_each_worker_keeps_house_on_its_own(database_url):
    """The app's lifespan runs housekeeping every `housekeeping_seconds`."""
    settings = get_settings().model_copy(
        update={"database_url": database_url, "housekeeping_seconds": 1}
    )
    app = create_app(settings)
    client_name = f"housekeeping-{uuid.uuid4().hex[:8]}"
    async with app.router.lifespan_context(app):
        database = app.state.database
        async with database.transaction() as conn:
            await conn.execute(
                sa.insert(REGISTRATIONS).values(
                    id=uuid.uuid4(), client=client_name, at=datetime(2000, 1, 1, tzinfo=UTC)
                )
            )

        async def left() -> int:
            async with database.transaction() as conn:
                return int(
                    await conn.scalar(
                        sa.select(sa.func.count()).where(REGISTRATIONS.c.client == client_name)
                    )
                )

        for _ in range(50):
            if await left() == 0:
                break
            await asyncio.sleep(0.1)
        assert await left() == 0
