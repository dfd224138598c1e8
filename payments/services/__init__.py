"""Writes of the payments app, one module per concern (see each module's docstring)."""
