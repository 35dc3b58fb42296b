"""An offline Genesys Cloud organization: the real API paths and JSON shapes, with the platform's
permissions per division, rate limits, paging caps, bulk limits, eventual consistency and faults.

It shares no code with tenantry's own client, so a misunderstanding is not copied into both.
"""

from .app import Quirks
from .server import Options, RunningEmulator, running_emulator, serve

__all__ = ["Options", "Quirks", "RunningEmulator", "running_emulator", "serve"]
