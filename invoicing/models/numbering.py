"""Counter rows for gap-free document numbers: one per series and year, locked to take a number."""

from django.db import models


class NumberSequence(models.Model):
    series = models.CharField(max_length=16)
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["series", "year"], name="numbersequence_unique")]

    def __str__(self):
        return f"{self.series}-{self.year}: {self.last_value}"
