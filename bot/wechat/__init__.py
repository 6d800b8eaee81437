"""The WeChat adapter: signatures and crypto, parsing inbound XML, the API client, its errors.

May import: `bot.config`, `handlers.base` (the inbound message type). Nothing above.
"""
