"""The guard of every `/therapist` path: therapist accounts only."""

from typing import Annotated

from fastapi import Depends

from api.core.deps import CallerDep
from api.core.errors import Problem
from api.core.security import Caller
from models.vocabulary import AccountType


async def therapist(caller: CallerDep) -> Caller:
    """A partner gets 403 here: the path is not about any couple, so there is no
    couple's existence to hide."""
    if caller.account_type != AccountType.therapist:
        raise Problem(403, "Only therapist accounts read caseloads.", code="therapists-only")
    return caller


TherapistDep = Annotated[Caller, Depends(therapist)]
