"""What a change to a store would lose, kept so that a failed change can put it back."""

from __future__ import annotations

import os
from pathlib import Path

from .. import fsutil
from ..errors import PypicredsError
from .base import TokenStore


class StoreSnapshot:
    """What a change to the store would lose, put back if the change fails.

    The file store's files are kept byte for byte (a vault write re-encrypts every entry with
    fresh nonces, so deleting the new token again would leave a different, if equivalent, file).
    For the keyring, a token already under the same entry (one twine used, stored by hand or by
    another tool) is kept in memory only, and written back instead of deleting the entry."""

    def __init__(self, store: TokenStore, key=None) -> None:
        self.store, self.key, self.previous = store, key, None
        self.files: dict[Path, bytes | None] = {}
        if store.name == "keyring" and key is not None:
            self.previous = store.get(key)
        if store.name == "file":
            for path, what, private in ((store.vault_path, "the vault", False), (store.keyfile_path, "the key file", True)):
                self.files[path] = fsutil.read_file(path, what, private=private, foreign_ok=False)

    def restore(self) -> bool:
        """Put things back; False when there is nothing kept (undo by deleting the new token)."""
        if self.previous is not None:
            self.store.set(self.key, self.previous)
            return True
        for path, data in self.files.items():
            if data is None:
                try:
                    os.unlink(path)
                except FileNotFoundError:
                    pass
                except OSError as e:
                    raise PypicredsError(f"cannot delete {path}: {e.strerror}") from e
            else:
                fsutil.atomic_write(path, data, "the vault" if path.name.endswith(".json") else "the key file")
        return bool(self.files)
