"""Attribution wording: who said a claim and who relayed it, as the brief prints it."""

from __future__ import annotations

import pandas as pd

from .lookups import Lookups
from .redaction import Redactor


def attribution(lookups: Lookups, redactor: Redactor, claim_id: str) -> str:
    """Who said it and who relayed it: 'KazTag, as relayed by Orda.kz'."""
    c = lookups.claim(claim_id)
    publisher = lookups.publisher_name(str(c["source_id"]))
    speaker = ""
    if pd.notna(c["speaker_person_id"]):
        speaker = redactor.person_name(str(c["speaker_person_id"]))
    elif pd.notna(c["speaker_org_id"]):
        speaker = lookups.org_name(c["speaker_org_id"])
    first = lookups.org_name(c["first_reported_by_org_id"])
    if first and speaker:
        return f"{speaker}, as reported by {first} and relayed by {publisher}"
    if first:
        return f"{first}, as relayed by {publisher}"
    if speaker:
        return f"{speaker}, as reported by {publisher}"
    return publisher
