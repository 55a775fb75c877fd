"""`POST /couples/{couple_id}/invite`: a new code replaces the older one."""

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from tests.couples.helpers import expire_invites, join, new_invite, parse_time
from tests.factories import make_couple, register
from tests.http import assert_problem


async def test_new_invite_replaces_the_older_code(client, settings):
    couple = await make_couple(client, joined=False)
    old_code = couple.data["invite"]["code"]

    response = await new_invite(client, couple)

    assert response.status_code == 201, response.text
    invite = response.json()
    assert set(invite) == {"code", "expires_at"}
    assert invite["code"] != old_code
    expected_expiry = datetime.now(UTC) + timedelta(hours=settings.invite_hours)
    assert abs(parse_time(invite["expires_at"]) - expected_expiry) < timedelta(minutes=1)

    ben = await register(client, "Ben")
    assert_problem(await join(client, ben, old_code), 404)
    joined = await join(client, ben, invite["code"])
    assert joined.status_code == 200, joined.text
    assert [p["id"] for p in joined.json()["partners"]] == [couple.first.id, ben.id]


async def test_new_invite_revives_an_expired_invitation(client, conn: AsyncConnection):
    couple = await make_couple(client, joined=False)
    await expire_invites(conn, couple, ago=timedelta(hours=1))
    code = (await new_invite(client, couple)).json()["code"]
    ben = await register(client, "Ben")
    assert (await join(client, ben, code)).status_code == 200
