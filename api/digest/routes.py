"""`/couples/{couple_id}/digest`: the week in plain sentences."""

from fastapi import APIRouter

from api.core.errors import problems

router = APIRouter(prefix="/couples/{couple_id}/digest", tags=["digest"], responses=problems(503))
