"""The one exception type that carries a message meant for the user."""


class FCNRError(Exception):
    """A problem with the user's input or files: the message says what and where.

    The command-line entry point prints the message (no traceback) and exits with status 2.
    """
