from django.db import models


class SimulatedClock(models.Model):
    """One row: how far the billing clock runs ahead of real time (demos and tests)."""

    offset_seconds = models.BigIntegerField(default=0)

    def __str__(self):
        return f"clock +{self.offset_seconds}s"
