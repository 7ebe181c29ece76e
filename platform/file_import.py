"""What every file import reports: problems by row and column, all or nothing."""

from __future__ import annotations

from dataclasses import dataclass

from baton.platform.errors import ValidationFailed


@dataclass(frozen=True)
class RowError:
    row: int | None
    column: str | None
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


class ImportRejected(ValidationFailed):
    """The file had problems; nothing was imported. ``rows`` lists every one."""

    def __init__(self, rows: list[RowError]) -> None:
        self.rows = rows
        noun = "problem" if len(rows) == 1 else "problems"
        super().__init__({"file": f"{len(rows)} {noun} found; nothing was imported."})
