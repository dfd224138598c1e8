"""Pure money maths shared by every app: no Django, no database (see docs/architecture.md)."""
