"""gunicorn entry point: `gunicorn -w 4 -b 0.0.0.0:8000 'bot.wsgi:app'` (config from $STEWARD_CONFIG)."""

from bot.app import create_app

app = create_app()
