"""Open311 GeoReport v2 at /open311/: the blueprint (views) and the JSON / XML rendering (render)."""
