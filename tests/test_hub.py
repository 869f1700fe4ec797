"""Hub failures must be fast and say what to do; tokens must never leak into text we write."""

import socket

import pytest

from alignbench.data.sources import load_hub_rows
from alignbench.hub import explain_hub_error, redact
from alignbench.models.base import download_hub_checkpoint


@pytest.fixture
def connections(monkeypatch):
    """Every attempt to reach the network (name lookups, socket connects), each refused at once.

    Failing fast offline means never trying the network: with HF_HUB_OFFLINE=1 (conftest.py) a
    missing model or dataset must fail from the local cache alone, where an attempt would wait
    for time-outs (~48 s with no network). Counting attempts checks that without a clock.
    """
    attempts = []

    def refuse(address):
        attempts.append(address)
        raise OSError(f"network use in a test: {address}")

    monkeypatch.setattr(socket, "getaddrinfo", lambda host, port, *_, **__: refuse((host, port)))
    monkeypatch.setattr(socket.socket, "connect", lambda _, address: refuse(address))
    monkeypatch.setattr(socket.socket, "connect_ex", lambda _, address: refuse(address))
    return attempts


def test_offline_model_download_fails_without_trying_the_network(connections):
    with pytest.raises(RuntimeError) as failure:
        download_hub_checkpoint("meta-llama/Llama-3.2-1B", "main")
    assert connections == []
    message = str(failure.value)
    assert "meta-llama/Llama-3.2-1B" in message and "HF_HUB_OFFLINE=1" in message
    assert "offline demo" in message


def test_offline_dataset_download_fails_without_trying_the_network(connections):
    with pytest.raises(RuntimeError, match="mlabonne/orpo-dpo-mix-40k"):
        load_hub_rows("mlabonne/orpo-dpo-mix-40k", "main")
    assert connections == []


def hub_error(name):
    from huggingface_hub import errors

    class FakeResponse:  # the Hub's errors carry the HTTP response they came from
        status_code = 403
        headers = {}
        url = "https://example.invalid"
        request = None

    return getattr(errors, name)("boom", response=FakeResponse())


@pytest.mark.parametrize(
    ("error_name", "expected"),
    [
        ("GatedRepoError", "Accept the licence"),
        ("RevisionNotFoundError", "revision does not exist"),
        ("RepositoryNotFoundError", "HF_TOKEN"),
    ],
)
def test_each_hub_failure_names_its_cause(monkeypatch, error_name, expected):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    message = str(explain_hub_error(hub_error(error_name), "org/model", "abc123", kind="model"))
    assert expected in message and "org/model at revision abc123" in message


def test_tokens_are_redacted(monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "secret-value-123")
    text = "failed with secret-value-123 and hf_abcdefghijklmnop"
    assert redact(text) == "failed with [redacted] and hf_[redacted]"
    error = ValueError("token hf_abcdefghijklmnop rejected")
    unknown = explain_hub_error(error, "m", None, "model")
    assert "hf_abcdefghijklmnop" not in str(unknown)
