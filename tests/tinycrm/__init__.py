"""A tiny third CRM ("Tiny", columns on a board) that lives only in tests/: an adapter folder and
an emulator module, registered by `register()`, proving that a new CRM needs no other file.

Unlike the real adapters its ids are strings (`col-3`) and its rate limit reports a reset in
seconds from now, so the core's string ids and per-dialect rate headers are exercised too.
"""

from .adapter import ADAPTER, register
from .emulator import TinyService

__all__ = ["ADAPTER", "TinyService", "register"]
