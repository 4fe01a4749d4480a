"""The One Hub family: One Hub and its fork Done Hub (../shared/api/onehub.md).

`client.py` speaks the admin channel API (including its tag routes), `wire.py` the records and the
envelope, `fields.py` what each flavor can do, `carry.py` how channels travel to other sites, and
`family.py` declares the family for the registry.
"""
