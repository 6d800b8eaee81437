"""Where a WeChat location message points: the place name WeChat sends with it (`Label`) when that
names one of our courtyards near the point, else the nearest courtyard to the point, else nowhere."""

from __future__ import annotations

from collections.abc import Sequence

from bot.config import Courtyard
from handlers import courtyard as yards

LABEL_KM = 2.0  # a label naming a courtyard counts only this near the point: "5号院" is a common name
NEAREST_KM = 1.0


def place(lat: float | None, lon: float | None, label: str, courtyards: Sequence[Courtyard]) -> str | None:
    """The courtyard a location means, or None: outside the community (or no point at all)."""
    if lat is None or lon is None:
        return None
    named = yards.locate(label, courtyards) if label.strip() else None
    if named is not None:
        c = next((c for c in courtyards if c.id == named), None)
        if c is not None and (c.lat is None or c.lon is None or yards.distance_km(lat, lon, c.lat, c.lon) <= LABEL_KM):
            return named
    return yards.nearest(lat, lon, courtyards, NEAREST_KM)
