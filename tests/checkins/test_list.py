"""`GET /couples/{couple_id}/checkins`: order, filters and paging."""

from datetime import timedelta

from tests.checkins.helpers import DAY, check_in, checkins_of, list_page, listed


async def test_newest_date_first_then_by_partner(client, couple):
    for back in (2, 0, 1):
        await check_in(client, couple, couple.first, DAY - timedelta(days=back))
        await check_in(client, couple, couple.second, DAY - timedelta(days=back))
    items = await listed(client, couple, couple.first)
    order = [(item["date"], item["partner_id"]) for item in items]
    partners = sorted([couple.first.id, couple.second.id], reverse=True)
    assert order == [
        ((DAY - timedelta(days=back)).isoformat(), partner)
        for back in (0, 1, 2)
        for partner in partners
    ]


async def test_since_is_inclusive_and_until_exclusive(client, couple):
    for back in range(5):
        await check_in(client, couple, couple.first, DAY - timedelta(days=back))
    items = await listed(
        client,
        couple,
        couple.first,
        since=(DAY - timedelta(days=3)).isoformat(),
        until=(DAY - timedelta(days=1)).isoformat(),
    )
    assert [item["date"] for item in items] == [
        (DAY - timedelta(days=2)).isoformat(),
        (DAY - timedelta(days=3)).isoformat(),
    ]
    assert (
        await listed(client, couple, couple.first, since=DAY.isoformat(), until=DAY.isoformat())
        == []
    )


async def test_partner_id_keeps_one_partner(client, couple):
    await check_in(client, couple, couple.first)
    await check_in(client, couple, couple.second)
    only_ben = await listed(client, couple, couple.first, partner_id=couple.second.id)
    assert [item["partner_id"] for item in only_ben] == [couple.second.id]
    only_ana = await listed(client, couple, couple.first, partner_id=couple.first.id)
    assert [item["partner_id"] for item in only_ana] == [couple.first.id]


async def test_the_list_is_private_to_the_caller(client, couple):
    response = await client.get(checkins_of(couple), headers=couple.first.headers)
    assert response.status_code == 200
    assert response.json() == {"items": [], "next_cursor": None}
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert response.headers["Vary"] == "Authorization"


async def test_pages_cover_everything_once(client, couple):
    # Ana every day; Ben every other day, which the reveal rule shows to Ana; Ben's
    # other days hidden from her.
    expected = set()
    for back in range(7):
        day = DAY - timedelta(days=back)
        expected.add((couple.first.id, day.isoformat()))
        await check_in(client, couple, couple.first, day)
        if back % 2 == 0:
            await check_in(client, couple, couple.second, day)
            expected.add((couple.second.id, day.isoformat()))
    for back in range(8, 11):
        await check_in(client, couple, couple.second, DAY - timedelta(days=back))

    for limit in (1, 2, 3, 4, 50):
        seen_items = []
        cursor = None
        pages = 0
        while True:
            params = {"limit": limit} | ({"cursor": cursor} if cursor else {})
            page = await list_page(client, couple, couple.first, **params)
            pages += 1
            assert len(page["items"]) <= limit
            seen_items += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        pairs = [(item["partner_id"], item["date"]) for item in seen_items]
        assert len(pairs) == len(set(pairs)) == 11, limit
        assert set(pairs) == expected
        assert pages == -(-11 // limit)  # no empty last page
        assert seen_items == await listed(client, couple, couple.first)


async def test_paging_keeps_the_filters(client, couple):
    for back in range(6):
        await check_in(client, couple, couple.first, DAY - timedelta(days=back))
    since = (DAY - timedelta(days=4)).isoformat()
    first = await list_page(client, couple, couple.first, since=since, limit=2)
    second = await list_page(
        client, couple, couple.first, since=since, limit=2, cursor=first["next_cursor"]
    )
    third = await list_page(
        client, couple, couple.first, since=since, limit=2, cursor=second["next_cursor"]
    )
    dates = [item["date"] for page in (first, second, third) for item in page["items"]]
    assert dates == [(DAY - timedelta(days=back)).isoformat() for back in range(5)]
    assert third["next_cursor"] is None
