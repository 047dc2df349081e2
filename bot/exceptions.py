"""Exceptions of the core that carry a message meant for the user (no Discord import here)."""


class InputError(ValueError):
    """The user typed something we cannot use; the message says what to type instead."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
