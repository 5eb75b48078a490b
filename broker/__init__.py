"""Broker plugins: one folder per broker, on the contract defined in this package."""
