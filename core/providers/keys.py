"""Keep provider API keys in the OS keyring, with environment variables as the fallback.

Keys live in the OS keyring (macOS Keychain, Windows Credential Locker, the Secret Service
on Linux desktops) under the service "vip-desktop", one entry per provider name. Where no
keyring exists (a headless Linux server) keys come from environment variables:
`VIP_<PROVIDER>_API_KEY` (e.g. VIP_OPENAI_API_KEY), then the vendor's own variable
(OPENAI_API_KEY, GEMINI_API_KEY, GOOGLE_API_KEY). Keys are never logged, never stored in
MongoDB and never put in exception messages. Used from the GUI (a worker thread: the
keyring may block on an unlock prompt), the CLI and workers.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Literal

import keyring
import keyring.backend
import keyring.errors
import structlog
from keyring.backends import chainer, fail, null

from core.errors import VipError

log = structlog.get_logger(__name__)

SERVICE = "vip-desktop"
# The vendor's own variables, read after VIP_<PROVIDER>_API_KEY.
VENDOR_ENV_VARS: dict[str, tuple[str, ...]] = {
    "openai": ("OPENAI_API_KEY",),
    "gemini": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
}

KeySource = Literal["keyring", "environment"]


class KeyStoreError(VipError):
    """A key cannot be stored or removed; the message says what to do instead (never the key)."""


def env_var_names(provider: str) -> tuple[str, ...]:
    """The environment variables that may hold `provider`'s key, in the order they are read."""
    slug = re.sub(r"[^A-Z0-9]+", "_", provider.upper()).strip("_")
    return (f"VIP_{slug}_API_KEY", *VENDOR_ENV_VARS.get(provider.lower(), ()))


class KeyStore:
    """Read, store and remove provider API keys.

    `backend` replaces the process's keyring backend (tests, or an app that picks one);
    `environ` replaces `os.environ`.
    """

    def __init__(self, service: str = SERVICE, *, backend: keyring.backend.KeyringBackend | None = None,
                 environ: Mapping[str, str] | None = None) -> None:
        self.service = service
        self._backend = backend
        self._environ = environ

    def __repr__(self) -> str:
        return f"KeyStore(service={self.service!r}, keyring={'yes' if self.keyring_available() else 'no'})"

    # -- where keys live ----------------------------------------------------------------

    def backend(self) -> keyring.backend.KeyringBackend:
        return self._backend if self._backend is not None else keyring.get_keyring()

    def keyring_available(self) -> bool:
        """True when an OS keyring backend exists (not keyring's 'fail' or 'null' stand-ins)."""
        backend = self.backend()
        if isinstance(backend, (fail.Keyring, null.Keyring)):
            return False
        if isinstance(backend, chainer.ChainerBackend):
            return bool(backend.backends)
        return True

    def _from_keyring(self, provider: str) -> str | None:
        if not self.keyring_available():
            return None
        try:
            key = self.backend().get_password(self.service, provider)
        except Exception as exc:  # a locked or broken keyring must not stop the app: use the environment
            log.warning("keyring_read_failed", provider=provider, error=type(exc).__name__)
            return None
        return key or None

    def _from_environment(self, provider: str) -> str | None:
        environ = os.environ if self._environ is None else self._environ
        for name in env_var_names(provider):
            value = environ.get(name, "").strip()
            if value:
                return value
        return None

    # -- public API ---------------------------------------------------------------------

    def get(self, provider: str) -> str | None:
        """`provider`'s key: from the keyring, else from the environment; None when neither has one."""
        return self._from_keyring(provider) or self._from_environment(provider)

    def source(self, provider: str) -> KeySource | None:
        """Where `get(provider)` finds the key: "keyring", "environment" or None."""
        if self._from_keyring(provider):
            return "keyring"
        if self._from_environment(provider):
            return "environment"
        return None

    def set(self, provider: str, key: str) -> None:
        """Store `provider`'s key in the OS keyring; raise KeyStoreError where there is none."""
        key = key.strip()
        if not key:
            raise KeyStoreError(f"{provider}: the API key is empty")
        if not self.keyring_available():
            raise KeyStoreError(self._no_keyring_message(provider, "store"))
        try:
            self.backend().set_password(self.service, provider, key)
        except Exception as exc:  # a locked keyring, a refused unlock, a D-Bus failure
            log.warning("keyring_write_failed", provider=provider, error=type(exc).__name__)
            raise KeyStoreError(f"{provider}: the OS keyring refused the key ({type(exc).__name__}) — unlock it "
                                f"and try again, or set the environment variable {env_var_names(provider)[0]}") from None
        log.info("provider_key_stored", provider=provider)

    def delete(self, provider: str) -> None:
        """Remove `provider`'s key from the keyring (a missing key is fine).

        Raises KeyStoreError when the key that remains comes from the environment, which this
        process cannot change: the message names the variable to unset.
        """
        if self.keyring_available():
            try:
                self.backend().delete_password(self.service, provider)
            except keyring.errors.PasswordDeleteError:
                pass  # nothing stored
            except Exception as exc:
                log.warning("keyring_delete_failed", provider=provider, error=type(exc).__name__)
                raise KeyStoreError(f"{provider}: the OS keyring refused to remove the key "
                                    f"({type(exc).__name__}) — unlock it and try again") from None
            log.info("provider_key_removed", provider=provider)
        environ = os.environ if self._environ is None else self._environ
        names = [name for name in env_var_names(provider) if environ.get(name, "").strip()]
        if names:
            raise KeyStoreError(f"{provider}: the key comes from the environment variable {names[0]}; "
                                "unset it and restart VIP Desktop to remove it")

    def _no_keyring_message(self, provider: str, verb: str) -> str:
        return (f"{provider}: no OS keyring is available on this machine to {verb} the API key "
                f"(on Linux servers there is often no Secret Service). Set the environment variable "
                f"{env_var_names(provider)[0]} for VIP Desktop and its workers instead.")
