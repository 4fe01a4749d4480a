"""The Octopus family, legacy and current generations.

`client.py` speaks the admin API, `wire.py` the records and request bodies, `fields.py` what each
generation can do, and `family.py` declares the family for the registry.
"""
