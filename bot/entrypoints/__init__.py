"""Entry points over HTTP that are not the workbench: the WeChat webhook (`/wechat`) and the council
member's task page (`/m/ticket/<token>`). They verify and parse, then call the service layer.

May import: `bot.runtime`, `bot.services`, `bot.sandbox` (dev only), the adapters and below.
"""
