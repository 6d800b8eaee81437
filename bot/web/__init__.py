"""The staff workbench, the public board and the JSON API: one blueprint per area.

`bot.web.blueprints.init_app(app)` registers them; this face imports nothing, so a blueprint may
import its siblings without importing every other blueprint back.

May import: `bot.runtime`, `bot.services` and everything below them; never `bot.entrypoints`.
"""
