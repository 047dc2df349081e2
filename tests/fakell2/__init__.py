"""A fake Launch Library 2 server for tests, and the vendored 2.3.0 schema check."""
