"""Errors of the registry's services, mapped to messages by their callers (views, API, commands)."""


class ImportFileError(Exception):
    """The spreadsheet given to the importer cannot be imported at all.

    Raised for a bad *file*, never for a bad row: not a CSV or XLSX file, empty or headers
    only, a layout that is not recognised and no mapping given, a mapping that is not valid
    JSON, names unknown fields or names columns the file lacks. The message is one line a
    person can act on. Nothing has been written when it is raised.
    """
