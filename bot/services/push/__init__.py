"""Everything the account sends: a push row written before the send, the channel (customer-service
text or template), sending at most once, from the dispatch job itself, delivery reports, the
notices that tell people what changed, and the signed task link inside a task message."""
