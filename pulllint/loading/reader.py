"""One bounded reader for every source: regular files, stdin, pipes, `/dev/fd/N`, devices.

A regular file is opened for each pass (it stays put) and refused when it is larger than the size
cap. Anything else (a pipe, process substitution, a FIFO named on the command line, a character
device such as `/dev/zero`) can be read only once: it is spooled, once, to memory or to a temporary
file, and every pass reads the spool. Spooling stops at the size cap, and waits at most the idle bound
for the next byte, so `/dev/zero` or a FIFO nobody writes to cannot hold a run for ever.
"""

from __future__ import annotations

import contextlib
import io
import os
import select
import stat
import time
from typing import IO

DEFAULT_MAX_BYTES = 256 * 1024 * 1024
DEFAULT_IDLE_SECONDS = 300.0
MAX_BYTES_VARIABLE = "PULLLINT_MAX_FILE_SIZE"
_SPOOL_IN_MEMORY = 16 * 1024 * 1024
_CHUNK = 1 << 20


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def read_bounded(path: str | os.PathLike[str], limit: int, *, follow_links: bool = False) -> bytes | None:
    """The bytes of a regular file of at most ``limit`` bytes; None for anything else.

    Never blocks (a FIFO opens non-blocking and is refused), follows a symbolic link only when asked
    (a cache never needs to; `/dev/zero` behind one is refused either way, not being a regular file),
    never reads more than ``limit + 1`` bytes (a sparse file of gigabytes).
    """
    flags = _OPEN_FLAGS if follow_links else _OPEN_FLAGS | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(65536, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return None if size > limit else b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)


class ReadProblem(OSError):
    """A source that cannot be read within the bounds: too large, silent for too long."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


def max_bytes_from_environment(default: int = DEFAULT_MAX_BYTES) -> int:
    """The size cap: `PULLLINT_MAX_FILE_SIZE` (bytes, or with a K/M/G suffix) or the default."""
    text = os.environ.get(MAX_BYTES_VARIABLE, "").strip()
    if not text:
        return default
    factor = 1
    suffix = text[-1:].upper()
    if suffix in ("K", "M", "G"):
        factor = 1024 ** ("KMG".index(suffix) + 1)
        text = text[:-1]
    try:
        value = int(text) * factor
    except ValueError:
        return default
    return value if value > 0 else default


def describe_size(size: int) -> str:
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= factor and size % factor == 0:
            return f"{size // factor} {unit}"
    return f"{size} bytes"


def too_large(max_bytes: int) -> ReadProblem:
    return ReadProblem(
        f"input is larger than the size cap of {describe_size(max_bytes)}; not read "
        f"(raise it with {MAX_BYTES_VARIABLE}=<bytes>)"
    )


class BoundedFile(io.RawIOBase):
    """A regular file's handle that raises `ReadProblem` past `max_bytes` (a file that grows)."""

    def __init__(self, handle: IO[bytes], max_bytes: int) -> None:
        super().__init__()
        self._handle = handle
        self._left = max_bytes

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._left < 0:
            return 0
        view = memoryview(buffer)
        wanted = min(len(view), self._left + 1)
        data = self._handle.read(wanted)
        self._left -= len(data)
        if self._left < 0:
            raise ReadProblem("input grew past the size cap while it was read")
        view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._handle.close()
        super().close()


def open_input(path: str, max_bytes: int, idle_seconds: float) -> tuple[IO[bytes], bool]:
    """(handle, spooled): a bounded handle on a regular file, or the spool of anything else.

    The path is opened once: a FIFO's writer must find the reader it connected to. Raises OSError,
    and `ReadProblem` past the bounds.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(21, "is a directory")
        if not stat.S_ISREG(info.st_mode):
            return spool_fd(fd, max_bytes, idle_seconds), True
        if info.st_size > max_bytes:
            raise too_large(max_bytes)
        os.set_blocking(fd, True)
        raw = open(fd, "rb", buffering=0, closefd=True)  # noqa: SIM115 (returned)
    except BaseException:
        with contextlib.suppress(OSError):
            os.close(fd)
        raise
    return io.BufferedReader(BoundedFile(raw, max_bytes), _CHUNK), False


def spool_stream(stream: IO[bytes], max_bytes: int, idle_seconds: float) -> IO[bytes]:
    """Spool standard input (or any binary stream); a stream without a descriptor is read as it is."""
    try:
        fd = stream.fileno()
    except (OSError, ValueError, io.UnsupportedOperation):
        fd = -1
    if fd >= 0:
        info = os.fstat(fd)
        if stat.S_ISREG(info.st_mode) and info.st_size - _tell(fd) > max_bytes:
            raise too_large(max_bytes)
        return spool_fd(fd, max_bytes, idle_seconds)
    spool = _new_spool()
    size = 0
    while chunk := stream.read(_CHUNK):
        size += len(chunk)
        if size > max_bytes:
            spool.close()
            raise too_large(max_bytes)
        spool.write(chunk)
    spool.seek(0)
    return spool


def _tell(fd: int) -> int:
    try:
        return os.lseek(fd, 0, os.SEEK_CUR)
    except OSError:
        return 0


def _new_spool() -> IO[bytes]:
    import tempfile

    return tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)


def spool_fd(fd: int, max_bytes: int, idle_seconds: float) -> IO[bytes]:
    """Copy everything `fd` gives into a spool, waiting at most `idle_seconds` for each chunk."""
    spool = _new_spool()
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)
    blocking = os.get_blocking(fd)
    os.set_blocking(fd, False)
    size = 0
    try:
        while True:
            started = time.monotonic()
            if not poller.poll(int(idle_seconds * 1000)):
                raise ReadProblem(
                    f"no data for {idle_seconds:g} s; stopped waiting (is anything writing to it?)"
                )
            try:
                chunk = os.read(fd, _CHUNK)
            except BlockingIOError:
                if time.monotonic() - started > idle_seconds:
                    raise ReadProblem(f"no data for {idle_seconds:g} s; stopped waiting") from None
                continue
            if not chunk:
                break
            size += len(chunk)
            if size > max_bytes:
                raise too_large(max_bytes)
            spool.write(chunk)
    except BaseException:
        spool.close()
        raise
    finally:
        with contextlib.suppress(OSError):
            os.set_blocking(fd, blocking)
    spool.seek(0)
    return spool
