from fireline.core.clock import Clock
from fireline.core.config import Settings
from fireline.core.db import Database


class BackgroundWorker:
    def __init__(self, db: Database, clock: Clock, settings: Settings) -> None:
        self.db, self.clock, self.settings = db, clock, settings

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass
