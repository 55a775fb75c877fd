"""The collector, tuned for a worker whose requests make many short-lived objects.

A worker's modules, models and routes are about a hundred thousand objects that live
as long as it does, and each full collection walks all of them (some 60 ms on the
machine `make bench` ran on). A trends or caseload read that computes makes thousands
of rows and tallies that live as long as the request: at the default threshold (700
objects) they set off young collections every few hundred rows, and these passed
objects on to older collections. Measured on a loop of computed caseload reads of 200
couples: a third of the time went to collections; with the startup objects frozen and
a young generation of YOUNG_OBJECTS, under a tenth."""

import gc
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG_OBJECTS = 10_000


@contextmanager
def tuned_for_requests() -> Iterator[None]:
    """For the block: every object alive now frozen out of the collector's walks, and
    the young generation collected every YOUNG_OBJECTS objects. On leaving, both as
    they were (a test process starts and stops many apps)."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(YOUNG_OBJECTS, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
