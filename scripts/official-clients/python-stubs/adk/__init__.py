"""Import-only stand-in for algorithmia-adk (see ../README.md)."""


class ADK(object):
    def __init__(self, *args, **kwargs):
        pass
