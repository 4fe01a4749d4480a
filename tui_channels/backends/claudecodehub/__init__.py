"""The Claude Code Hub family: its REST management API (v0.8.1 and later), where channels are providers.

`family.py` declares the family, `wire.py` holds the wire models (camelCase reads, snake_case
strict writes) and the record mapping, `problems.py` turns problem+json answers into typed errors,
`fields.py` describes the capabilities and `client.py` talks to the server.
"""
