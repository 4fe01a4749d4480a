"""Emulated AxonHub admin API: the channel part of its GraphQL schema, current and older."""
