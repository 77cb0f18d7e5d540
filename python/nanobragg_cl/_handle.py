"""One owner for each C handle: freed by close(), by `with`, or when garbage collected.

weakref.finalize calls the C destructor exactly once, whichever comes first; `keep` holds
whatever the C side still points at (ctypes log callbacks, the engine a NeXus writer
uses) until then. A lock serializes the calls that nbcl.h says one thread at a time may make.
"""
import threading
import weakref

from .errors import StateError


class Handle:
    _kind = "handle"

    def _own(self, ptr, destroy, *keep):
        self._ptr = ptr
        self._lock = threading.RLock()
        self._finalizer = weakref.finalize(self, destroy, ptr, *keep)

    @staticmethod
    def _destroy_with(fn):
        """a finalizer target that calls fn(ptr) and ignores what is kept alive"""
        return lambda ptr, *keep: fn(ptr)

    @property
    def closed(self):
        return not self._finalizer.alive

    def _handle(self):
        if not self._finalizer.alive:
            raise StateError("this %s is closed" % self._kind)
        return self._ptr

    def close(self):
        """Free the C handle now (idempotent)."""
        with self._lock:
            self._finalizer()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
