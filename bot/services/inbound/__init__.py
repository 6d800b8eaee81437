"""A message arrives: receive (de-duplicate, lock, store, spool), decide and act in one transaction
(intake, actions), voice heard by a worker, media fetched, failed messages replayed, the classifier
retrained from staff corrections. The top of the service layer."""
