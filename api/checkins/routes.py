"""`/couples/{couple_id}/checkins`: each partner's check-ins."""

from fastapi import APIRouter

from api.core.errors import problems

router = APIRouter(
    prefix="/couples/{couple_id}/checkins", tags=["check-ins"], responses=problems(503)
)
