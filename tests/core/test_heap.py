"""The collector while the app runs (api/core/heap.py): what started with the app is
out of its walks and young collections are rarer; after the app stops, both are as
they were, so a process that starts and stops apps (this suite) keeps collecting."""

import gc

from fastapi import FastAPI

from api.core.heap import YOUNG_OBJECTS
from api.core.settings import Settings
from api.main import create_app


async def test_the_app_tunes_the_collector_while_it_runs_and_restores_it(
    settings: Settings,
) -> None:
    before = gc.get_threshold()
    frozen_before = gc.get_freeze_count()
    application: FastAPI = create_app(settings)
    async with application.router.lifespan_context(application):
        assert gc.get_threshold() == (YOUNG_OBJECTS, *before[1:])
        # The app's modules, routes and pools are frozen with everything else alive.
        assert gc.get_freeze_count() > frozen_before
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
