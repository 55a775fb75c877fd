"""The partners' profiles in the couple: each partner sees the other's love languages
and attachment style while that partner shares them (`share_profile` on `PATCH /me`,
shared by default), always their own, and a therapist never sees either."""

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.couples.helpers import COUPLES, create, join, partners_of, read
from tests.factories import Couple, Person, register
from tests.http import assert_problem
from tests.statements import sent_statements
from tests.therapists.helpers import CASELOAD, export_of, grant_both, new_therapist, trends_of
from tests.users.helpers import ME

# A profile no default and no other test field holds: where it shows, it was shared.
ANA_PROFILE = {
    "love_languages": {"give": ["gifts", "acts"], "receive": ["touch"]},
    "attachment_style": "disorganized",
}
BEN_PROFILE = {
    "love_languages": {"give": ["words"], "receive": ["time", "acts"]},
    "attachment_style": "avoidant",
}
HIDDEN = {"love_languages": None, "attachment_style": None}


async def patch_me(client: httpx.AsyncClient, person: Person, **body: Any) -> dict[str, Any]:
    response = await client.patch(ME, json=body, headers=person.headers)
    assert response.status_code == 200, response.text
    return response.json()


def entry(person: Person, profile: dict[str, Any]) -> dict[str, Any]:
    return {"id": person.id, "display_name": person.user["display_name"], **profile}


def second(couple: Couple) -> Person:
    assert couple.second is not None
    return couple.second


async def listed(client: httpx.AsyncClient, person: Person, couple_id: str) -> dict[str, Any]:
    response = await client.get(COUPLES, headers=person.headers)
    assert response.status_code == 200, response.text
    (found,) = [item for item in response.json()["items"] if item["id"] == couple_id]
    return found


async def test_a_partner_sees_the_others_profile_by_default(client, couple):
    ana, ben = couple.first, second(couple)
    assert (await patch_me(client, ana, **ANA_PROFILE))["share_profile"] is True

    seen_by_ben = await read(client, couple, ben)

    assert seen_by_ben["partners"] == [entry(ana, ANA_PROFILE), partners_of(ben)]
    assert (await listed(client, ben, couple.id))["partners"] == seen_by_ben["partners"]
    assert (await read(client, couple, ana))["partners"] == seen_by_ben["partners"]


async def test_turning_sharing_off_hides_the_profile_from_the_partner_at_once(client, couple):
    ana, ben = couple.first, second(couple)
    await patch_me(client, ana, **ANA_PROFILE)
    await patch_me(client, ben, **BEN_PROFILE)
    assert (await read(client, couple, ben))["partners"][0] == entry(ana, ANA_PROFILE)

    assert (await patch_me(client, ana, share_profile=False))["share_profile"] is False

    hidden = [entry(ana, HIDDEN), entry(ben, BEN_PROFILE)]
    assert (await read(client, couple, ben))["partners"] == hidden
    assert (await listed(client, ben, couple.id))["partners"] == hidden
    # Her own entry still shows her profile to her, and Ben's sharing is his own.
    own = [entry(ana, ANA_PROFILE), entry(ben, BEN_PROFILE)]
    assert (await read(client, couple, ana))["partners"] == own
    assert (await listed(client, ana, couple.id))["partners"] == own
    # Not shared is not cleared: /me keeps it.
    me = (await client.get(ME, headers=ana.headers)).json()
    assert {name: me[name] for name in ANA_PROFILE} == ANA_PROFILE


async def test_turning_sharing_back_on_shows_the_profile_again(client, couple):
    ana, ben = couple.first, second(couple)
    await patch_me(client, ana, **ANA_PROFILE, share_profile=False)
    assert (await read(client, couple, ben))["partners"][0] == entry(ana, HIDDEN)

    await patch_me(client, ana, share_profile=True)

    assert (await read(client, couple, ben))["partners"][0] == entry(ana, ANA_PROFILE)
    assert (await listed(client, ben, couple.id))["partners"][0] == entry(ana, ANA_PROFILE)


async def test_a_profile_changed_while_shared_shows_as_changed(client, couple):
    ana, ben = couple.first, second(couple)
    await patch_me(client, ana, **ANA_PROFILE)
    await patch_me(client, ana, attachment_style=None, love_languages={"receive": []})

    expected = {"love_languages": {"give": ["gifts", "acts"], "receive": []}}
    assert (await read(client, couple, ben))["partners"][0] == entry(
        ana, {**expected, "attachment_style": None}
    )


async def test_an_empty_shared_profile_is_empty_lists_not_null(client, couple):
    # A client tells "not shared" by a null `love_languages`: nothing chosen is not that.
    ben_entry = (await read(client, couple, couple.first))["partners"][1]
    assert ben_entry["love_languages"] == {"give": [], "receive": []}
    assert ben_entry["attachment_style"] is None

    await patch_me(client, second(couple), share_profile=False)
    assert (await read(client, couple, couple.first))["partners"][1] == entry(
        second(couple), HIDDEN
    )


async def test_each_couple_in_the_list_shows_its_own_partners_sharing(client):
    ana = await register(client, "Ana")
    await patch_me(client, ana, **ANA_PROFILE, share_profile=False)
    ben, carl = await register(client, "Ben"), await register(client, "Carl")
    await patch_me(client, ben, **BEN_PROFILE, share_profile=False)
    carl_profile = {"love_languages": {"give": ["time"], "receive": []}, "attachment_style": None}
    await patch_me(client, carl, **carl_profile)
    with_ben = (await create(client, ana, name="With Ben")).json()
    with_carl = (await create(client, ana, name="With Carl")).json()
    assert (await join(client, ben, with_ben["invite"]["code"])).status_code == 200
    assert (await join(client, carl, with_carl["invite"]["code"])).status_code == 200

    items = (await client.get(COUPLES, headers=ana.headers)).json()["items"]

    assert [item["partners"] for item in items] == [
        [entry(ana, ANA_PROFILE), entry(ben, HIDDEN)],
        [entry(ana, ANA_PROFILE), entry(carl, carl_profile)],
    ]
    # Carl sees Ana as she shares with everyone: not at all.
    carls = (await client.get(COUPLES, headers=carl.headers)).json()["items"]
    assert [item["partners"] for item in carls] == [[entry(ana, HIDDEN), entry(carl, carl_profile)]]


async def test_the_list_reads_every_partner_in_the_same_statements(client, app: FastAPI):
    ana = await register(client, "Ana")

    async def statements_of_the_list() -> tuple[int, list[str]]:
        with sent_statements(app) as seen:
            response = await client.get(COUPLES, headers=ana.headers)
        assert response.status_code == 200, response.text
        return len(response.json()["items"]), seen

    async def add_couple(shares: bool) -> None:
        created = (await create(client, ana)).json()
        partner = await register(client, "Ben")
        await patch_me(client, partner, **BEN_PROFILE, share_profile=shares)
        assert (await join(client, partner, created["invite"]["code"])).status_code == 200

    await add_couple(shares=True)
    few, first = await statements_of_the_list()
    for shares in (False, True, False):
        await add_couple(shares)
    many, second = await statements_of_the_list()

    assert (few, many) == (1, 4)
    assert len(first) == len(second), (first, second)


async def test_every_couple_answer_follows_the_same_rule(client):
    ana = await register(client, "Ana")
    await patch_me(client, ana, **ANA_PROFILE, share_profile=False)
    created = await create(client, ana)
    assert created.status_code == 201, created.text
    # Her own entry shows her profile even though she does not share it.
    assert created.json()["partners"] == [entry(ana, ANA_PROFILE)]

    ben = await register(client, "Ben")
    await patch_me(client, ben, **BEN_PROFILE)
    joined = await join(client, ben, created.json()["invite"]["code"])
    assert joined.status_code == 200, joined.text
    assert joined.json()["partners"] == [entry(ana, HIDDEN), entry(ben, BEN_PROFILE)]

    couple = Couple(created.json(), ana, ben)
    for person, partners in (
        (ana, [entry(ana, ANA_PROFILE), entry(ben, BEN_PROFILE)]),
        (ben, [entry(ana, HIDDEN), entry(ben, BEN_PROFILE)]),
    ):
        changed = await client.patch(couple.path, json={"name": "Us"}, headers=person.headers)
        assert changed.status_code == 200, changed.text
        assert changed.json()["partners"] == partners
        unchanged = await client.patch(couple.path, json={}, headers=person.headers)
        assert unchanged.json()["partners"] == partners


async def test_a_partner_of_another_couple_sees_no_profile(client, couple, stranger):
    await patch_me(client, couple.first, **ANA_PROFILE)

    assert_problem(await client.get(couple.path, headers=stranger.headers), 404)
    theirs = (await client.get(COUPLES, headers=stranger.headers)).text
    assert "disorganized" not in theirs
    assert couple.first.id not in theirs


def assert_no_profile(text: str) -> None:
    for hidden in ("love_languages", "attachment_style", "disorganized", "share_profile"):
        assert hidden not in text


@pytest.mark.parametrize("shared", [True, False], ids=["shared", "not-shared"])
async def test_a_therapist_sees_no_profile_anywhere(client, couple, shared):
    ana, ben = couple.first, second(couple)
    await patch_me(client, ana, **ANA_PROFILE, share_profile=shared)
    await patch_me(client, ben, **BEN_PROFILE, share_profile=shared)
    therapist = await new_therapist(client)
    # The therapist's own profile is no partner's business either.
    await patch_me(client, therapist, **ANA_PROFILE)
    await grant_both(client, couple, therapist)
    # The search below would find the profile where a partner sees it.
    assert "disorganized" in (await client.get(couple.path, headers=ana.headers)).text

    answers: list[httpx.Response] = [
        await client.get(CASELOAD, headers=therapist.headers),
        await client.get(trends_of(couple), headers=therapist.headers),
        await client.get(export_of(couple), headers=therapist.headers),
        await client.get(f"{couple.path}/therapists", headers=ana.headers),
    ]

    for response in answers:
        assert response.status_code == 200, response.text
        assert_no_profile(response.text)
    caseload = answers[0].json()["items"]
    assert [couple_seen["partners"] for couple_seen in caseload] == [
        [
            {"id": ana.id, "display_name": ana.user["display_name"]},
            {"id": ben.id, "display_name": ben.user["display_name"]},
        ]
    ]
    grants = answers[3].json()["items"]
    assert [grant["therapist_id"] for grant in grants] == [therapist.id]
    # And the couple itself, where the profiles are, is not the therapist's.
    assert_problem(await client.get(couple.path, headers=therapist.headers), 404)
    assert therapist.id not in (await client.get(COUPLES, headers=therapist.headers)).text
