"""The ticket itself: its lifecycle (create, events, the allowed transitions, close) and the
suggestions that two reports are one. Every change of a ticket's state goes through here."""
