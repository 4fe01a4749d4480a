"""The emulated New API-family server (`newapi`, `newapi-legacy`, `oneapi`, `veloera`).

`server.py` routes and builds it; `store.py` holds its channel table, `channels.py` the channel
routes, `checks.py` the upstream-facing ones (tests, model fetches, balances), `probe.py` its
outbound calls, and `tokens.py` the user-side token routes.
"""
