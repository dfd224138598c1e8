from django.db import models


class SignInThrottle(models.Model):
    """Failed console/admin sign-ins counted for one key (billing/services/signin.py).

    A key is a SHA-256 of either a (username, address) pair or an address alone, so the
    table holds no username or address in the clear. Not tenant data: no account, no RLS.
    """

    key = models.CharField(max_length=64, primary_key=True)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField(null=True)

    class Meta:
        indexes = [models.Index(fields=["last_failure_at"], name="signin_throttle_age_idx")]

    def __str__(self):
        return f"{self.key[:12]}… {self.failures} failures"
