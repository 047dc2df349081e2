"""Secrets never reach the log output, not even inside a traceback."""

from __future__ import annotations

import io
import logging

import pytest

from bot.logs import REDACTED, RedactingFormatter

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB"
API_KEY = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def output() -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(RedactingFormatter("%(message)s", secrets=[TOKEN, API_KEY, "short"]))
    logger = logging.getLogger("tests.redaction")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger, stream


def test_configured_secrets_are_redacted_in_messages_and_args(output: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = output
    logger.info("headers: Authorization: Bot %s / Token %s", TOKEN, API_KEY)
    text = stream.getvalue()
    assert TOKEN not in text
    assert API_KEY not in text
    assert text.count(REDACTED) == 2


def test_secrets_in_tracebacks_are_redacted(output: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = output
    try:
        raise RuntimeError(f"login failed with {TOKEN} and key {API_KEY}")
    except RuntimeError:
        logger.exception("boom")
    text = stream.getvalue()
    assert "Traceback" in text
    assert TOKEN not in text
    assert API_KEY not in text


def test_token_shaped_strings_are_redacted_even_if_not_configured(output: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = output
    other = "OTk5OTk5OTk5OTk5OTk5OTk5.XyZaBc.zyxwvutsrqponmlkjihgfedcba9876543210"
    logger.warning("saw %s", other)
    assert other not in stream.getvalue()


def test_short_values_are_not_treated_as_secrets(output: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = output
    logger.info("a short word")
    assert stream.getvalue() == "a short word\n"
