"""Settings split by concern; pick an environment module through DJANGO_SETTINGS_MODULE.

development (the default in manage.py), production and test each import `base`,
which assembles the concern modules below it.
"""
