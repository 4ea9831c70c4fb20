"""FeastError: every failure of the engine (and of a remote server) as a
Python exception carrying the C engine's message, which names the file,
row, column, field or request at fault."""

CODE_NAMES = [
    "OK", "NOMEM", "INVALID", "IO", "NOT_FOUND", "EXISTS", "TOO_BIG", "CORRUPT", "UNSUPPORTED",
    "SCHEMA", "VALIDATION", "CONNECT", "TIMEOUT", "CONFLICT", "SERVER", "INTERNAL",
]


class FeastError(Exception):
    """`code` (int, feast_code), `code_name` ("NOT_FOUND", "VALIDATION", ...),
    `retriable`, and `message` (the engine's message)."""

    def __init__(self, code, message, retriable=False):
        self.code = int(code)
        self.code_name = CODE_NAMES[self.code] if 0 <= self.code < len(CODE_NAMES) else str(self.code)
        self.retriable = bool(retriable)
        self.message = message
        super().__init__(message)

    def __str__(self):
        return f"[{self.code_name}] {self.message}"


def code_of(name):
    return CODE_NAMES.index(name) if name in CODE_NAMES else CODE_NAMES.index("INTERNAL")
