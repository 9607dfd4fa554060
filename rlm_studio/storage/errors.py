"""The one error type storage raises: its message is meant for the user, as is."""


class StorageError(Exception):
    """The database cannot be opened, read or written, or an id/file given by the user is wrong."""
