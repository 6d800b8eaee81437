"""gunicorn entry point: `gunicorn -w 4 -b 0.0.0.0:8000 'bot.wsgi:app'` (config from $STEWARD_CONFIG).
Each worker imports this module, so each opens its own connections here (`warm_up`)."""

from bot.app import create_app, warm_up

app = create_app()
warm_up(app)
