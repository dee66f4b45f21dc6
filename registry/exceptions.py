"""Errors of the registry's services, mapped to messages by their callers (views, API, commands)."""


class ImportFileError(Exception):
    """The spreadsheet given to the importer cannot be imported at all.

    Raised for a bad *file*, never for a bad row: not a CSV or XLSX file, empty or headers
    only, a layout that is not recognised and no mapping given, a mapping that is not valid
    JSON, names unknown fields or names columns the file lacks. The message is one line a
    person can act on. Nothing has been written when it is raised.
    """


class SecretValueError(Exception):
    """One or more values look like a secret (an API key, a token, a password, a private key).

    Raised by ``registry.secret_guard.secret_guard`` before anything is written. The refused
    values are not kept anywhere on the exception: only where they were and what they looked
    like.

    Attributes:
        errors: field name -> the message to show beside that field ("This looks like an
            OpenAI API key. Never paste a secret's value: ..."). Never contains the value.
        kinds: field name -> what the value looked like ("OpenAI API key").
    """

    def __init__(self, errors: dict[str, str], kinds: dict[str, str] | None = None):
        self.errors = dict(errors)
        self.kinds = dict(kinds or {})
        super().__init__("; ".join(f"{field}: {message}" for field, message in self.errors.items()))


class TransitionNotAllowed(Exception):
    """A review (or other state machine) cannot make this transition from its current state.

    Attributes:
        state: the current state (a ``ReviewState`` value), for the caller's message.
    """

    def __init__(self, state: str, message: str | None = None):
        self.state = state
        super().__init__(message or f"Not allowed from the state “{state}”.")


class ApprovalBlocked(Exception):
    """A security review cannot be approved (or a use case promoted) for now: the use case
    has no active, confirmed owner (issue 3, offboarding).

    Attributes:
        reasons: the blockers, each a sentence fragment ("it has no named owner").
    """

    def __init__(self, reasons: list[str]):
        self.reasons = list(reasons)
        super().__init__("Cannot approve until someone accepts ownership: " + "; ".join(self.reasons) + ".")
