"""Secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`) with the key of
`auth.settings_key` (VSSD_SETTINGS_KEY). What the settings store encrypts before writing (the AMI password of
`asterisk_config`) and decrypts after reading; a token made under another key is refused (ValueError)."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken

__all__ = ["SecretBox", "new_key"]


def new_key() -> str:
    """A fresh Fernet key (32 random bytes, url-safe base64): what `vssd` generates for the demo."""
    return Fernet.generate_key().decode()


class SecretBox:
    def __init__(self, key: str) -> None:
        try:
            self._fernet = Fernet(key.encode())
        except (ValueError, TypeError) as err:
            raise ValueError("the settings key must be 32 url-safe base64-encoded bytes (a Fernet key)") from err

    def encrypt(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode()).decode()

    def decrypt(self, token: str) -> str:
        """The clear text; ValueError when the token is damaged or was made under another key."""
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise ValueError("the stored secret cannot be read with this settings key") from None
