"""Carrying out a Decision's actions inside the message's transaction: one executor registered per
action class (`run.executes`), the ticket executors (`executors.py`), the ones that hand over to
another service (`relays.py`), and the resident's report budget (`budget.py`)."""
