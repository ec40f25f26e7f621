"""A registry credential as plain data. Secret fields never appear in repr, str or any output."""

from __future__ import annotations

from typing import NamedTuple


class RegistryCredential(NamedTuple):
    """One `auths` entry (or docker-config entry) that the kubelet would try for an image.

    `origin` is the only printable part: "secret prod/regcred" or "docker config ~/.docker/config.json".
    """

    origin: str
    registry_key: str  # the auths key that matched, e.g. "https://index.docker.io/v1/" or "*.example.com"
    username: str = ""
    password: str = ""
    identity_token: str = ""  # OAuth2 refresh token (docker login --identity-token)
    registry_token: str = ""  # bearer token to send as is

    def __str__(self) -> str:
        return self.origin

    def __repr__(self) -> str:
        return f"RegistryCredential(origin={self.origin!r}, registry_key={self.registry_key!r})"

    @property
    def is_empty(self) -> bool:
        return not (self.username or self.password or self.identity_token or self.registry_token)
