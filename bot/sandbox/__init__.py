"""A fake WeChat API that behaves like the real one (expiring tokens, error codes, de-duplication),
for development and tests. All state lives in Redis; see `bot.sandbox.state`.

May import: `bot.runtime`, `bot.services`, `bot.wechat`, `bot.config`. The face imports nothing.
"""
