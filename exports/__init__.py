"""Finance exports: CSV tables of the billing documents and the accounting journal (admin and API)."""
