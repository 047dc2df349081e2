"""Shared pytest configuration; fixtures live in plugins registered here."""

pytest_plugins = ["tests.fakediscord.pytest_plugin"]
