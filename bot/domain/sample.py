"""The demo data's marks (`steward demo seed`): every resident it makes has an openid with this
prefix and a name starting 示例居民, so pages can say "示例数据" and nothing real is mistaken for it."""

DEMO_PREFIX = "o-demo-sample-"
DEMO_NAME = "示例居民"
