"""The community's standing data: the directory in the database (courtyards, council members,
invitations by QR code, FAQ entries, outside parties — seeded once from the config), staff accounts,
courtyard posters, the account's custom menu, and the classifier retrained from staff corrections."""
