"""API keys: stored only as SHA-256 hashes in config, compared in constant time.

The key table is re-read when the config file changes, so adding or
revoking a key needs no restart. A key that may not read a workspace gets
the same 404 as a workspace that does not exist.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
from pathlib import Path

from pipelines.config import ConfigError, DevLensConfig, load_config

from .errors import ApiError


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    return "dlk_" + secrets.token_urlsafe(32)


class ConfigWatcher:
    """The config in force, reloaded when the file changes (checked on every request)."""

    def __init__(self, path: Path, cfg: DevLensConfig | None = None):
        self.path = path
        self._path = str(path)
        self._lock = threading.Lock()
        self._mtime = self._signature()
        self._cfg = cfg or load_config(path)

    def _signature(self):
        """Changes when the file does: a rename over it (new inode), a size or an mtime change."""
        try:
            st = os.stat(self._path)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    @property
    def cfg(self) -> DevLensConfig:
        mtime = self._signature()
        if mtime is None:
            return self._cfg
        if mtime != self._mtime:
            with self._lock:
                if mtime != self._mtime:
                    try:  # a half-written file fails to parse: keep the last good config, retry on the next change
                        self._cfg = load_config(self.path)
                    except ConfigError:
                        # Keep serving with the last good config; the log says why.
                        import logging

                        logging.getLogger("devlens.api").exception("config reload failed; keeping the previous one")
                    self._mtime = mtime
        return self._cfg


def workspaces_for(authorization: str | None, cfg: DevLensConfig) -> set[str]:
    """The workspaces a request's key may read; 401 without a valid key."""
    if not authorization or not authorization.lower().startswith("bearer "):
        raise ApiError(401, "missing API key: send 'Authorization: Bearer <key>'",
                       headers={"WWW-Authenticate": "Bearer"})
    digest = hash_key(authorization[7:].strip())
    allowed: set[str] = set()
    matched = False
    for key in cfg.api.keys:  # every key is compared: timing says nothing about which matched
        if hmac.compare_digest(digest, key.sha256):
            matched = True
            allowed.update(key.workspaces)
    if not matched:
        raise ApiError(401, "invalid API key", headers={"WWW-Authenticate": "Bearer"})
    return allowed
