"""New ids made many at a time (api/core/ids.py): as many as asked, each a random
version 4 UUID, none the same."""

import os
import uuid

import pytest

from api.core.ids import new_ids


@pytest.mark.parametrize("count", [0, 1, 2, 500])
def test_as_many_ids_as_asked_each_version_4_none_the_same(count: int) -> None:
    ids = new_ids(count)
    assert len(ids) == count
    assert len(set(ids)) == count
    for each in ids:
        assert isinstance(each, uuid.UUID)
        assert each.version == 4
        assert each.variant == uuid.RFC_4122


def test_the_ids_come_from_one_read_of_the_random_source(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reads: list[int] = []
    read = os.urandom

    def urandom(size: int) -> bytes:
        reads.append(size)
        return read(size)

    monkeypatch.setattr(os, "urandom", urandom)
    new_ids(3)
    assert reads == [48]


def test_a_second_call_makes_other_ids() -> None:
    assert not set(new_ids(100)) & set(new_ids(100))
