"""Tax rates by country and region (operator data, not an account's)."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class TaxRate(models.Model):
    name = models.CharField(max_length=100, help_text="Shown on the invoice, e.g. 'TVA 20 %' or 'CA sales tax'.")
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2 of the billing address.")
    region = models.CharField(max_length=100, blank=True,
                              help_text="State or province of the billing address; blank = the whole country.")
    percentage = models.DecimalField(max_digits=7, decimal_places=4,
                                     validators=[MinValueValidator(0), MaxValueValidator(100)])
    inclusive = models.BooleanField(default=False, help_text="Prices already include this tax.")
    is_active = models.BooleanField(default=True)
    description = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["country", "region", "name"]
        constraints = [
            models.UniqueConstraint(fields=["country", "region"], condition=models.Q(is_active=True),
                                    name="taxrate_one_active_per_place"),
        ]

    def __str__(self):
        place = f"{self.country}-{self.region}" if self.region else self.country
        return f"{self.name} ({place}, {self.percentage}%{' incl.' if self.inclusive else ''})"
