"""Errors that the `qlr` command prints as one clear line, without a traceback."""


class QlrError(Exception):
    """An error the user can act on: say what is wrong and name the file, field or layer."""
