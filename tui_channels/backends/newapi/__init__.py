"""The New API family: New API (current and legacy), One API, Veloera and compatible forks.

`client.py` speaks the admin channel API, `admin.py` its operations beyond channel CRUD, `wire.py`
the records, `flavors.py` the differences between forks, `tokens.py` the user-side token API of
relay accounts, and `family.py` declares the family for the registry.
"""
