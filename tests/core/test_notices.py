"""What a worker has heard of couples' changes (api/core/notices.py): a state read
before a change is never trusted after it, whatever the order of reads, notices,
forgotten couples and lost connections."""

import uuid

from hypothesis import given
from hypothesis import strategies as st

from api.core.notices import ChangeClock

COUPLES = [uuid.UUID(int=number) for number in range(4)]

# ("heard", couple) | ("read", couple) | ("lost",) | ("listening",)
Step = tuple[str, int]
steps = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(["heard", "read"]), st.integers(0, len(COUPLES) - 1)),
        st.tuples(st.sampled_from(["lost", "listening"]), st.just(0)),
    ),
    max_size=60,
)


def test_nothing_is_trusted_until_the_worker_listens() -> None:
    clock = ChangeClock()
    assert clock.mark() is None
    clock.listening(True)
    mark = clock.mark()
    assert mark is not None and clock.unchanged(COUPLES[0], mark)


def test_a_change_heard_after_a_read_untrusts_that_couple_alone() -> None:
    clock = ChangeClock()
    clock.listening(True)
    clock.heard(COUPLES[0])
    mark = clock.mark()
    assert mark is not None
    assert clock.unchanged(COUPLES[0], mark)  # heard before the read: in it
    clock.heard(COUPLES[1])
    assert clock.unchanged(COUPLES[0], mark)
    assert not clock.unchanged(COUPLES[1], mark)
    clock.listening(False)
    assert not clock.unchanged(COUPLES[0], mark)
    clock.listening(True)
    assert not clock.unchanged(COUPLES[0], mark)


@given(steps, st.integers(1, 5))
def test_a_read_is_trusted_only_while_nothing_of_its_couple_came_since(
    script: list[Step], kept: int
) -> None:
    """Against a record of everything that happened: trusted means no notice of the
    couple and no lost connection since the read, and listening all along; with room
    to remember every couple, exactly that."""
    clock = ChangeClock(kept=kept)
    clock.listening(True)
    happened: list[tuple[str, int]] = []
    reads: list[tuple[int, int, int]] = []  # (couple, mark, position in `happened`)
    listening = True
    for action, couple in script:
        if action == "heard":
            clock.heard(COUPLES[couple])
        elif action == "lost":
            clock.listening(False)
            listening = False
        elif action == "listening":
            clock.listening(True)
            listening = True
        else:
            mark = clock.mark()
            if mark is not None:
                reads.append((couple, mark, len(happened)))
        happened.append((action, couple))
        for read_couple, mark, at in reads:
            since = happened[at:]
            fresh = listening and not any(
                step == ("heard", read_couple) or step[0] in ("lost", "listening") for step in since
            )
            trusted = clock.unchanged(COUPLES[read_couple], mark)
            assert not trusted or fresh
            if kept >= len(COUPLES):
                assert trusted == fresh
