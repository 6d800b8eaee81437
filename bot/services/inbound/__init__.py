"""A message arrives: receive (de-duplicate, lock, store, spool; replayed queries refused), decide in
one transaction (intake; the actions are carried out by `bot.services.actions`), voice heard by a
worker, media fetched, a report taken by staff (staff_intake), failed messages replayed. The top of
the service layer, beside the periodic sweep."""
