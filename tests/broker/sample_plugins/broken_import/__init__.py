"""A plugin whose import fails (a missing dependency), as a half-installed broker would."""
import openalgo_no_such_dependency  # noqa: F401
