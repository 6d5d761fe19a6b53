"""The protocol's generated files; see `__main__` for what is written from what."""
