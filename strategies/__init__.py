"""Example strategies written against the public `openalgo` client."""
