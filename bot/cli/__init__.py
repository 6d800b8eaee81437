"""The command line (`steward …`): serve, worker, dev, chat, db, replay, classify, train, user."""
