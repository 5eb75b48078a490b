"""A folder under the plugins package that is not a plugin at all."""
