"""The one contract every token store passes. Subclass it and provide a `store` fixture.

A store fixture yields a ready store on real parts (a real Secret Service, the real vault)."""

from __future__ import annotations

import pytest

from pypicreds.store import TokenKey

TOKEN_A = "pypi-AgEIcHlwaS5vcmcCJGNvbnRyYWN0LXRlc3QtdG9rZW4tYWFhYWFhYWFhYWFhYWFhYWFh"
TOKEN_B = "pypi-AgEIcHlwaS5vcmcCJGNvbnRyYWN0LXRlc3QtdG9rZW4tYmJiYmJiYmJiYmJiYmJiYmJi"
KEY = TokenKey("testpypi", "https://test.pypi.org/legacy/", "__token__")
OTHER = TokenKey("pypi", "https://upload.pypi.org/legacy/", "__token__")
PROJECT = TokenKey("pypi", "https://upload.pypi.org/legacy/", "__token__", project="foo")


class StoreContract:
    @pytest.fixture
    def store(self):  # pragma: no cover - overridden
        raise NotImplementedError

    def test_name_is_known(self, store):
        assert store.name in ("keyring", "file")

    def test_get_missing_is_none(self, store):
        assert store.get(KEY) is None

    def test_set_then_get(self, store):
        store.set(KEY, TOKEN_A)
        assert store.get(KEY) == TOKEN_A

    def test_set_replaces(self, store):
        store.set(KEY, TOKEN_A)
        store.set(KEY, TOKEN_B)
        assert store.get(KEY) == TOKEN_B

    def test_keys_are_independent(self, store):
        store.set(KEY, TOKEN_A)
        store.set(OTHER, TOKEN_B)
        store.set(PROJECT, TOKEN_A + "x")
        assert store.get(KEY) == TOKEN_A
        assert store.get(OTHER) == TOKEN_B
        assert store.get(PROJECT) == TOKEN_A + "x"

    def test_project_token_does_not_replace_default(self, store):
        store.set(OTHER, TOKEN_B)
        store.set(PROJECT, TOKEN_A)
        store.delete(PROJECT)
        assert store.get(OTHER) == TOKEN_B
        assert store.get(PROJECT) is None

    def test_delete(self, store):
        store.set(KEY, TOKEN_A)
        assert store.delete(KEY) is True
        assert store.get(KEY) is None
        assert store.delete(KEY) is False

    def test_describe_never_holds_token(self, store):
        store.set(KEY, TOKEN_A)
        text = store.describe()
        assert text and TOKEN_A not in text

    def test_unicode_and_symbols_round_trip(self, store):
        # private indexes use passwords, not just pypi- tokens
        secret = "pä$$w0rd'\"&;*#\\`"
        store.set(KEY, secret)
        assert store.get(KEY) == secret
