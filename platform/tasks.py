"""Long-running work a user started (imports, exports): progress they can watch.

The row is created in the request that starts the work; the job updates
``done``/``total`` as it goes and the page polls it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from baton.platform.db import Base, IdMixin, ProviderOwned

QUEUED, RUNNING, SUCCEEDED, FAILED = "queued", "running", "succeeded", "failed"


class BackgroundTask(IdMixin, ProviderOwned, Base):
    __tablename__ = "background_tasks"

    kind: Mapped[str] = mapped_column(sa.String(64))
    label: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(16), default=QUEUED)
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    errors: Mapped[list] = mapped_column(sa.JSON, default=list)
    result: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    @property
    def percent(self) -> int:
        if self.status == SUCCEEDED:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0
