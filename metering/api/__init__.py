"""Thin DRF views of the metering app (routes in metering/api_urls.py)."""
