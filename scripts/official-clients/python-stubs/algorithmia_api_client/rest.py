"""Import-only stand-in for algorithmia_api_client.rest (see ../README.md)."""


class ApiException(Exception):
    pass
