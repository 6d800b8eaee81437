"""A message arrives: receive (de-duplicate, lock, store, spool), decide and act in one transaction
(intake; each action by the executor `run.executes` registered for it, in actions and relays), voice heard by a worker, media fetched, failed messages replayed, the classifier
retrained from staff corrections. The top of the service layer."""
