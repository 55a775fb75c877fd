"""New ids made many at a time (api/core/ids.py): as many as asked, each a version 7
UUID (the time it was made, then random bits), none the same, later calls' after
earlier ones'."""

import os
import time
import uuid

import pytest

from api.core.ids import new_ids


@pytest.mark.parametrize("count", [0, 1, 2, 500])
def test_as_many_ids_as_asked_each_version_7_none_the_same(count: int) -> None:
    ids = new_ids(count)
    assert len(ids) == count
    assert len(set(ids)) == count
    for each in ids:
        assert isinstance(each, uuid.UUID)
        assert each.version == 7
        assert each.variant == uuid.RFC_4122


def test_an_id_holds_the_millisecond_it_was_made() -> None:
    before = time.time_ns() // 1_000_000
    (made,) = new_ids(1)
    after = time.time_ns() // 1_000_000
    assert before <= made.int >> 80 <= after


def test_later_ids_sort_after_earlier_ones() -> None:
    earlier = new_ids(50)
    time.sleep(0.002)
    later = new_ids(50)
    assert max(earlier) < min(later)


def test_the_random_bits_differ_from_id_to_id() -> None:
    ids = new_ids(200)
    random_bits = {each.int & ((1 << 62) - 1) for each in ids}
    high_random = {(each.int >> 64) & 0xFFF for each in ids}
    assert len(random_bits) == 200
    assert len(high_random) > 100


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
    assert reads == [30]


def test_a_second_call_makes_other_ids() -> None:
    assert not set(new_ids(100)) & set(new_ids(100))
