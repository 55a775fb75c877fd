"""`/couples/{couple_id}/activities`: log, list, read, change, delete shared activities."""

from fastapi import APIRouter

from api.core.errors import problems

router = APIRouter(
    prefix="/couples/{couple_id}/activities", tags=["activities"], responses=problems(503)
)
