from django.apps import AppConfig


class DemoConfig(AppConfig):
    """No models: only the `load_demo` command, which reaches into every app below it."""

    name = "demo"
    verbose_name = "Demo data"
