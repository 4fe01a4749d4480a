"""The AxonHub family: channels administered over GraphQL after an email and password sign-in.

`transport.py` carries GraphQL documents over the project's HTTP transport, `schema.py` reads what
the connected server's schema offers, `wire.py` maps records and inputs, `fields.py` describes the
capabilities, `client.py` is the backend, and `family.py` declares the family for the registry.
"""
