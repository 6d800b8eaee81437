"""Community activities: sign-ups with capacity and a waitlist, reminders the day before."""
