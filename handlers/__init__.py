"""Understanding residents' messages: pure functions over text and state, no I/O.

Classify, find the courtyard, urgency, dialogue decisions, council commands, FAQ, event sign-up.
The package face imports nothing: `handlers.conversation.decide` is the way in.
May import: `bot.config` (the typed configuration) and nothing else of the project; no I/O library.
"""
