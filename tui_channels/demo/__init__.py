"""The embedded demo gateway: emulated gateways (one package per family, `newapi/` and `octopus/`,
as in `backends/`) and fake upstream providers on 127.0.0.1."""
