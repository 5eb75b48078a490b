"""Helpers shared by tests: real databases, free ports, running the server as a user would."""
