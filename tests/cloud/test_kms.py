"""KMS adapter specifics beyond the key manager contract (which it passes on FakeKmsServer)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest

from shared.adapters.keys.kms import KmsKeyManager, crc32c
from shared.adapters.keys.port import connection_aad
from shared.errors import BadRequest, BridgeError, DecryptionFailed

from .fake_kms import KEY_NAME, FakeKmsServer
from .stores import anonymous, kms_keys

AAD = connection_aad("team-1", "conn-1")


@pytest.fixture
def kms() -> Iterator[tuple[KmsKeyManager, FakeKmsServer]]:
    with kms_keys() as pair:
        yield pair


def test_the_data_key_is_wrapped_by_kms_with_the_aad_and_checksums(
    kms: tuple[KmsKeyManager, FakeKmsServer],
) -> None:
    keys, server = kms
    envelope = json.loads(keys.encrypt(b"secret", aad=AAD))

    ((method, body),) = server.requests
    assert method == "encrypt"
    assert envelope["kek"] == KEY_NAME
    assert base64.b64decode(body["additionalAuthenticatedData"]) == AAD
    assert int(body["additionalAuthenticatedDataCrc32c"]) == crc32c(AAD)
    data_key = base64.b64decode(body["plaintext"])
    assert len(data_key) == 32 and int(body["plaintextCrc32c"]) == crc32c(data_key)
    assert data_key not in base64.b64decode(envelope["wrapped_key"])


def test_decrypt_sends_the_wrapped_key_and_the_same_aad(kms: tuple[KmsKeyManager, FakeKmsServer]) -> None:
    keys, server = kms
    envelope = keys.encrypt(b"secret", aad=AAD)

    assert keys.decrypt(envelope, aad=AAD) == b"secret"

    method, body = server.requests[-1]
    assert method == "decrypt"
    assert body["ciphertext"] == json.loads(envelope)["wrapped_key"]
    assert base64.b64decode(body["additionalAuthenticatedData"]) == AAD


def test_the_client_is_created_once(kms: tuple[KmsKeyManager, FakeKmsServer]) -> None:
    keys, _ = kms
    assert keys._client is None
    keys.encrypt(b"x", aad=AAD)
    client = keys.client
    keys.decrypt(keys.encrypt(b"y", aad=AAD), aad=AAD)
    assert keys.client is client


def test_an_envelope_of_another_kms_key_fails_without_asking_kms(
    kms: tuple[KmsKeyManager, FakeKmsServer],
) -> None:
    keys, server = kms
    other = KmsKeyManager(
        KEY_NAME.replace("secrets", "other"),
        transport="rest",
        client_options={"api_endpoint": server.url},
        credentials=anonymous(),
    )
    envelope = keys.encrypt(b"secret", aad=AAD)
    asked = len(server.requests)

    with pytest.raises(DecryptionFailed, match="another key"):
        other.decrypt(envelope, aad=AAD)
    assert len(server.requests) == asked


def test_a_key_kms_does_not_know_is_a_configuration_error(kms: tuple[KmsKeyManager, FakeKmsServer]) -> None:
    _, server = kms
    missing = KmsKeyManager(
        KEY_NAME.replace("secrets", "missing"),
        transport="rest",
        client_options={"api_endpoint": server.url},
        credentials=anonymous(),
    )
    with pytest.raises(BridgeError, match="does not exist"):
        missing.encrypt(b"secret", aad=AAD)


@pytest.mark.parametrize("name", ["", "my-key", "projects/p/locations/l/keyRings/r"])
def test_a_malformed_key_name_is_a_bad_request(name: str) -> None:
    with pytest.raises(BadRequest, match="BRIDGE_KMS_KEY"):
        KmsKeyManager(name)
