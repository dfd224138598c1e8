"""The API's version: the /api/v1/ in every path and the `api_version` of every event sent out."""

API_VERSION = "v1"  # part of the code, not a setting
