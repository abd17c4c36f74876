"""The one exception hierarchy of fpgaops (DESIGN.md section 8).

Bad arguments raise subclasses of both FpgaopsError and the builtin the user would expect
(ValueError / TypeError), so `except ValueError` keeps working. Messages always name the
argument (or config key) and say what form was expected.

This module imports nothing but the standard library: the build runs config.py, which uses it,
as a plain script before NumPy or the package exist.
"""


class FpgaopsError(Exception):
    """Base class of every error fpgaops raises on purpose."""


class ArgumentError(FpgaopsError, ValueError):
    """An argument has the right type but a bad value or shape."""

    def __init__(self, name, message):
        self.argument = name
        super().__init__(f"{name}: {message}")


class ArgumentTypeError(FpgaopsError, TypeError):
    """An argument has the wrong type or dtype."""

    def __init__(self, name, message):
        self.argument = name
        super().__init__(f"{name}: {message}")


class ConfigError(FpgaopsError, ValueError):
    """The kernel configuration (kernels/config) is invalid; `key` names the offending entry."""

    def __init__(self, key, message):
        self.key = key
        super().__init__(f"kernel config key '{key}': {message}")


class UnsupportedError(FpgaopsError, NotImplementedError):
    """A valid request that no kernel on the chosen backend handles."""


class DeviceError(FpgaopsError, RuntimeError):
    """A backend or runtime failed; `code` is the runtime's own error code when it has one."""

    def __init__(self, message, code=None):
        self.code = code
        super().__init__(message if code is None else f"{message} (code {code})")


class BuildError(FpgaopsError, RuntimeError):
    """A kernel failed to build; `log` carries the compiler's full output."""

    def __init__(self, message, log=""):
        self.log = log
        super().__init__(f"{message}\n{log}" if log else message)
