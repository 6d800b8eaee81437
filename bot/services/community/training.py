"""`steward train`: fold the staff's reclassifications into the classifier."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.storage.models import LabelledExample
from handlers import classify


def labelled_examples(session: Session) -> list[tuple[str, str, str | None]]:
    """Every correction, oldest first; a text corrected twice keeps only its latest label."""
    latest: dict[str, tuple[str, str, str | None]] = {}
    for ex in session.scalars(select(LabelledExample).order_by(LabelledExample.id)):
        latest[ex.text] = (ex.text, ex.category, ex.subcategory)
    return list(latest.values())


def train_from_db(session: Session) -> Path:
    return classify.train(extra=labelled_examples(session))
