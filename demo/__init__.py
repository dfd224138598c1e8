"""Demo data for `make run`: spans every app, so it sits above them all (docs/architecture.md, "Layers")."""
