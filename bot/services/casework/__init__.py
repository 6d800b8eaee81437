"""What people do to a ticket once it is dispatched: council members' commands, the callback (回访)
and the resident's answer, staff operations from the workbench and the JSON API."""
