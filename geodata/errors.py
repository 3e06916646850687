"""Errors a user can act on. The CLI prints their message and exits non-zero;
anything else is a bug and keeps its traceback."""


class ObservatoryError(Exception):
    """A problem the user can fix: the message says what and how."""


class SetupError(ObservatoryError):
    """Missing system software or a broken environment."""
