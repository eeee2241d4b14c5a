"""Key manager contract: every adapter in KEY_MANAGER_FACTORIES does envelope encryption bound to aad.

Tests named ``test_local_*`` exercise the key-file adapter only.
"""

from __future__ import annotations

import base64
import json
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from adapters import KEY_MANAGER_FACTORIES

from shared.adapters.keys.envelope import Envelope
from shared.adapters.keys.local import LocalKeyManager
from shared.adapters.keys.port import KeyManager, connection_aad
from shared.errors import DecryptionFailed

AAD = connection_aad("team-1", "conn-1")
SECRET = b'{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----..."}'


@pytest.fixture(params=KEY_MANAGER_FACTORIES)
def keys(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[KeyManager]:
    with request.param(tmp_path) as adapter:
        yield adapter


def flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


def with_field(envelope: bytes, field: str, value: object) -> bytes:
    doc = json.loads(envelope)
    doc[field] = value
    return json.dumps(doc).encode()


def test_round_trip(keys: KeyManager) -> None:
    envelope = keys.encrypt(SECRET, aad=AAD)

    assert SECRET not in envelope
    assert keys.decrypt(envelope, aad=AAD) == SECRET


def test_empty_and_binary_plaintexts_round_trip(keys: KeyManager) -> None:
    for plaintext in (b"", bytes(range(256)) * 4):
        assert keys.decrypt(keys.encrypt(plaintext, aad=AAD), aad=AAD) == plaintext


def test_envelope_is_the_versioned_json_document(keys: KeyManager) -> None:
    doc = json.loads(keys.encrypt(SECRET, aad=AAD))

    assert set(doc) == {"v", "kek", "wrapped_key", "nonce", "ciphertext"}
    assert doc["v"] == 1
    assert isinstance(doc["kek"], str) and doc["kek"]
    assert len(base64.b64decode(doc["nonce"])) == 12


def test_each_secret_gets_a_fresh_data_key(keys: KeyManager) -> None:
    first = Envelope.from_bytes(keys.encrypt(SECRET, aad=AAD))
    second = Envelope.from_bytes(keys.encrypt(SECRET, aad=AAD))

    assert first.wrapped_key != second.wrapped_key
    assert first.nonce != second.nonce
    assert first.ciphertext != second.ciphertext
    assert first.kek == second.kek


@pytest.mark.parametrize("field", ["wrapped_key", "nonce", "ciphertext"])
@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_tampering_with_any_field_fails(keys: KeyManager, field: str, where: str) -> None:
    envelope = keys.encrypt(SECRET, aad=AAD)
    raw = base64.b64decode(json.loads(envelope)[field])
    index = {"first": 0, "middle": len(raw) // 2, "last": len(raw) - 1}[where]
    tampered = with_field(envelope, field, base64.b64encode(flip(raw, index)).decode())

    with pytest.raises(DecryptionFailed):
        keys.decrypt(tampered, aad=AAD)


@pytest.mark.parametrize(
    ("field", "value"),
    [("v", 2), ("v", "1"), ("kek", "projects/p/locations/l/keyRings/r/cryptoKeys/other"), ("kek", "")],
)
def test_tampering_with_the_header_fails(keys: KeyManager, field: str, value: object) -> None:
    tampered = with_field(keys.encrypt(SECRET, aad=AAD), field, value)

    with pytest.raises(DecryptionFailed):
        keys.decrypt(tampered, aad=AAD)


def test_a_secret_moved_to_another_connection_or_team_fails(keys: KeyManager) -> None:
    envelope = keys.encrypt(SECRET, aad=AAD)

    for team, connection in [("team-1", "conn-2"), ("team-2", "conn-1"), ("team-2", "conn-2")]:
        with pytest.raises(DecryptionFailed):
            keys.decrypt(envelope, aad=connection_aad(team, connection))


@pytest.mark.parametrize(
    "envelope",
    [
        b"",
        b"not json",
        b"\xff\xfe\x00",
        b"[]",
        b'{"v": 1}',
        b'{"v":1,"kek":"k","wrapped_key":"!!","nonce":"AAAA","ciphertext":"AAAA"}',
        b'{"v":1,"kek":"k","wrapped_key":"AAAA","nonce":"AAAA","ciphertext":"AAAA","extra":1}',
    ],
)
def test_malformed_envelopes_fail_with_decryption_failed(keys: KeyManager, envelope: bytes) -> None:
    with pytest.raises(DecryptionFailed):
        keys.decrypt(envelope, aad=AAD)


# -- local key file only ------------------------------------------------------------------------


def test_local_flipping_any_byte_of_the_envelope_fails(tmp_path: Path) -> None:
    keys = LocalKeyManager(tmp_path / "kek")
    envelope = keys.encrypt(SECRET, aad=AAD)

    survivors = []
    for index in range(len(envelope)):
        try:
            keys.decrypt(flip(envelope, index), aad=AAD)
            survivors.append(index)
        except DecryptionFailed:
            pass
    assert survivors == []


def test_local_key_file_is_created_on_first_use_with_mode_0600(tmp_path: Path) -> None:
    key_file = tmp_path / "nested" / "kek.bin"
    keys = LocalKeyManager(key_file)
    assert not key_file.exists()

    keys.encrypt(b"x", aad=AAD)

    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(key_file.read_bytes()) == 32


def test_local_same_key_file_decrypts_across_instances(tmp_path: Path) -> None:
    envelope = LocalKeyManager(tmp_path / "kek").encrypt(SECRET, aad=AAD)

    assert LocalKeyManager(tmp_path / "kek").decrypt(envelope, aad=AAD) == SECRET


def test_local_another_key_file_cannot_decrypt(tmp_path: Path) -> None:
    envelope = LocalKeyManager(tmp_path / "a").encrypt(SECRET, aad=AAD)

    with pytest.raises(DecryptionFailed):
        LocalKeyManager(tmp_path / "b").decrypt(envelope, aad=AAD)


def test_local_envelope_names_the_key_that_wrapped_it(tmp_path: Path) -> None:
    keys = LocalKeyManager(tmp_path / "kek")
    envelope = Envelope.from_bytes(keys.encrypt(SECRET, aad=AAD))

    assert envelope.kek == keys.key_id
    assert LocalKeyManager(tmp_path / "other").key_id != keys.key_id


def test_local_a_corrupt_key_file_fails_decryption_cleanly(tmp_path: Path) -> None:
    keys = LocalKeyManager(tmp_path / "kek")
    envelope = keys.encrypt(SECRET, aad=AAD)
    (tmp_path / "bad").write_bytes(b"short")

    with pytest.raises(DecryptionFailed):
        LocalKeyManager(tmp_path / "bad").decrypt(envelope, aad=AAD)


def test_local_concurrent_first_use_creates_one_key(tmp_path: Path) -> None:
    managers = [LocalKeyManager(tmp_path / "kek") for _ in range(8)]
    barrier = threading.Barrier(len(managers))
    ids: list[str] = []

    def first_use(keys: LocalKeyManager) -> None:
        barrier.wait()
        ids.append(keys.key_id)

    threads = [threading.Thread(target=first_use, args=(m,)) for m in managers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(set(ids)) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kek"]
