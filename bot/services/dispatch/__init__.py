"""Who gets a ticket (派单): the council member by the routing rules, everyone concerned in an
emergency, staff on a hand-off, the chair and staff when a deadline passes (督办)."""
