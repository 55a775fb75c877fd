"""The reveal rule: a partner's check-in for a date shows in the list only to a caller
who has checked in for that date too, so nobody anchors on the other's answer. Tested
from both partners' side."""

from datetime import timedelta

import pytest

from tests.checkins.helpers import DAY, check_in, delete, listed, seen


@pytest.mark.parametrize("first_to_check_in", ["first", "second"])
async def test_the_partner_shows_only_once_one_has_checked_in_too(
    client, couple, first_to_check_in
):
    early = getattr(couple, first_to_check_in)
    late = couple.second if early is couple.first else couple.first

    await check_in(client, couple, early, connection=4)
    assert await listed(client, couple, late) == []
    assert seen(await listed(client, couple, early)) == {(early.id, DAY.isoformat())}

    await check_in(client, couple, late, connection=9)
    both = {(early.id, DAY.isoformat()), (late.id, DAY.isoformat())}
    assert seen(await listed(client, couple, late)) == both
    assert seen(await listed(client, couple, early)) == both
    by_partner = {item["partner_id"]: item for item in await listed(client, couple, late)}
    assert by_partner[early.id]["connection"] == 4
    assert by_partner[late.id]["connection"] == 9


@pytest.mark.parametrize("viewer", ["first", "second"])
async def test_other_dates_stay_hidden(client, couple, viewer):
    me = getattr(couple, viewer)
    other = couple.second if me is couple.first else couple.first
    shared, theirs_only = DAY, DAY - timedelta(days=1)
    await check_in(client, couple, other, shared)
    await check_in(client, couple, other, theirs_only)
    await check_in(client, couple, other, DAY + timedelta(days=3))
    await check_in(client, couple, me, shared)
    await check_in(client, couple, me, DAY - timedelta(days=5))

    assert seen(await listed(client, couple, me)) == {
        (me.id, shared.isoformat()),
        (other.id, shared.isoformat()),
        (me.id, (DAY - timedelta(days=5)).isoformat()),
    }
    # Filtering on the partner does not get round the rule.
    assert seen(await listed(client, couple, me, partner_id=other.id)) == {
        (other.id, shared.isoformat())
    }


@pytest.mark.parametrize("deleter", ["first", "second"])
async def test_deleting_ones_own_check_in_hides_the_partners_again(client, couple, deleter):
    me = getattr(couple, deleter)
    other = couple.second if me is couple.first else couple.first
    await check_in(client, couple, me)
    await check_in(client, couple, other)
    assert len(await listed(client, couple, me)) == 2

    assert (await delete(client, couple, me)).status_code == 204
    assert await listed(client, couple, me) == []
    # The other still sees their own, and no longer the deleted one.
    assert seen(await listed(client, couple, other)) == {(other.id, DAY.isoformat())}

    # Checking in again reveals both again.
    await check_in(client, couple, me)
    assert len(await listed(client, couple, me)) == 2
    assert len(await listed(client, couple, other)) == 2


async def test_the_partners_deleted_check_in_is_not_shown(client, couple):
    await check_in(client, couple, couple.first)
    await check_in(client, couple, couple.second)
    assert (await delete(client, couple, couple.second)).status_code == 204
    assert seen(await listed(client, couple, couple.first)) == {(couple.first.id, DAY.isoformat())}
