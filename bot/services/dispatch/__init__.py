"""Who gets a ticket (派单): the council member by the routing rules, everyone concerned in an
emergency, staff on a hand-off, the next member when one leaves, the chair and staff when a deadline
passes (督办) — counted in working days (workcalendar)."""
