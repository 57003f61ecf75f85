from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo and synthetic data: the seeds behind `make run` and the benchmarks. No other app imports it."""

    name = "demo"
    verbose_name = "Demo data"
