"""Writing files and directories atomically: all of it appears at once, or nothing changes.

The bytes go to a temporary path beside the target, which is renamed over it
only once complete, so a crash or an error midway never leaves a half-written
file, and an earlier version stays in place until the new one is ready.

Example:
>>> with atomic_path("config.json") as temporary:  # doctest: +SKIP
...     open(temporary, "w").write("{}")
"""

import contextlib
import errno
import os
import shutil
import tempfile

# Read once, at import (single-threaded): os.umask can only be read by setting it.
UMASK = os.umask(0o022)
os.umask(UMASK)


@contextlib.contextmanager
def atomic_path(path):
    """Yields a temporary path beside `path`; renames it to `path` if the block succeeds.

    Example:
    >>> with atomic_path("out.bin") as tmp:
    ...     with open(tmp, "wb") as file:
    ...         _ = file.write(b"data")
    """
    path = check_writable(path)
    directory = os.path.dirname(os.path.abspath(path))
    suffix = os.path.splitext(path)[1]
    try:
        handle, temporary = tempfile.mkstemp(prefix=".tmp-", suffix=suffix, dir=directory)
    except PermissionError as error:
        raise PermissionError(f"cannot write {path!r}: {error.strerror or error}") from None
    except OSError as error:
        if error.errno != errno.EROFS:
            raise
        raise PermissionError(f"cannot write {path!r}: {error.strerror}") from None
    os.close(handle)
    # mkstemp creates the file private (0600); give it the mode a plain open() would.
    os.chmod(temporary, 0o666 & ~UMASK)
    try:
        yield temporary
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)
        raise


def check_writable(path):
    """`path` as a string if a file can be written there, else a clear error.

    Raises FileNotFoundError when the directory does not exist, ValueError when
    `path` is a directory, PermissionError when the directory is read-only.
    Commands call it before slow work so that a typo fails at once.
    """
    path, directory = check_parent_directory(path, "write", "a file path")
    if os.path.isdir(path):
        raise ValueError(f"cannot write {path!r}: it is a directory; expected a file path")
    return path


def check_parent_directory(path, action, expected):
    """`(path, its parent directory)` when the parent exists and is writable, else one clear error.

    `action` and `expected` word the message: "cannot {action} to {path}", "expected {expected}".

    Example:
    >>> check_parent_directory("out.bin", "write", "a file path")[0]
    'out.bin'
    """
    path = os.fspath(path)
    if not path:
        raise ValueError(f"path '' is not valid; expected {expected}")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"cannot {action} {path!r}: directory {directory!r} does not exist")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise PermissionError(f"cannot {action} {path!r}: directory {directory!r} is not writable")
    return path, directory


def replace_directory(source, target):
    """Rename the directory `source` to `target`, replacing an earlier `target` only once `source` is in place.

    Both must be on one file system (make `source` beside `target`). If the
    final rename fails, the earlier `target` is put back.
    """
    # A directory cannot be renamed over a non-empty one: move the old one
    # aside first, and delete it only once the new one is in place.
    if os.path.isdir(target) and os.listdir(target):
        old = tempfile.mkdtemp(prefix=".tmp-old-", dir=os.path.dirname(os.path.abspath(target)))
        os.replace(target, old)
        try:
            os.replace(source, target)
        except BaseException:
            os.replace(old, target)
            raise
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(source, target)
