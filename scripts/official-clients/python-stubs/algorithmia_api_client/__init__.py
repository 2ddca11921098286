"""Import-only stand-in for algorithmia_api_client (see ../README.md)."""


class _Stub(object):
    def __init__(self, *args, **kwargs):
        pass


class Configuration(_Stub):
    # Algorithmia.Client writes config.api_key['Authorization'] and config.host.
    def __init__(self, *args, **kwargs):
        self.api_key = {}
        self.host = None


class ApiClient(_Stub):
    pass


class DefaultApi(_Stub):
    pass


class CreateRequest(_Stub):
    pass


class UpdateRequest(_Stub):
    pass


class VersionRequest(_Stub):
    pass


class Details(_Stub):
    pass


class Settings(_Stub):
    pass


class SettingsMandatory(_Stub):
    pass


class SettingsPublish(_Stub):
    pass


class CreateRequestVersionInfo(_Stub):
    pass


class VersionInfo(_Stub):
    pass


class VersionInfoPublish(_Stub):
    pass
