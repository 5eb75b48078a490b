"""Imports every model module so that the metadata is complete for the app and for Alembic.

Each issue that adds tables adds its module here.
"""
