"""Backend clients, one package per family, behind the contract of `base.py`; `registry.py` lists them."""
