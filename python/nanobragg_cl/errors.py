"""Python exceptions for libnbcl's nbcl_status codes.

Every failing call raises the subclass for its status, carrying nbcl_last_error() (the
library's one-line message, read on the thread that made the call).
"""
from ._lib import lib


class NbclError(RuntimeError):
    """A libnbcl call failed. .status is the nbcl_status code, .status_name its name."""
    status = None

    def __init__(self, message, status=None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.status_name = lib.nbcl_status_name(self.status or 0).decode()


class InvalidInput(NbclError, ValueError):
    """NBCL_E_INVALID: a bad flag, value, argument or combination."""
    status = 1


class FileError(NbclError, OSError):
    """NBCL_E_FILE: a file is missing, malformed, or cannot be written."""
    status = 2


class NoDevice(NbclError):
    """NBCL_E_NO_DEVICE: no OpenCL platform or device, or none matches the request."""
    status = 3


class OpenCLError(NbclError):
    """NBCL_E_OPENCL: an OpenCL call failed."""
    status = 4


class BuildError(NbclError):
    """NBCL_E_BUILD: the kernels did not build for a device (the message is the build log)."""
    status = 5


class OutOfMemory(NbclError, MemoryError):
    """NBCL_E_NOMEM: host memory ran out."""
    status = 6


class StateError(NbclError):
    """NBCL_E_STATE: a call out of order (e.g. a setter after the experiment was resolved)."""
    status = 7


_BY_STATUS = {cls.status: cls for cls in
              (InvalidInput, FileError, NoDevice, OpenCLError, BuildError, OutOfMemory, StateError)}


def check(status):
    """Raise the exception for a nonzero nbcl_status (call right after the C function)."""
    if status == 0:
        return
    message = (lib.nbcl_last_error() or b"").decode(errors="replace")
    cls = _BY_STATUS.get(status, NbclError)
    raise cls(message or lib.nbcl_status_name(status).decode(), status)
