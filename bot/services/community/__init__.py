"""The community's standing data: council members and staff accounts (synced from the config),
the account's custom menu, the working-day calendar."""
