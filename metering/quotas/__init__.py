"""Quotas: plan limits (cached), live counters in Redis (rebuilt from PostgreSQL), checks and consumption."""
