"""Writing results: tables to CSV or Parquet, atomically, with self-describing metadata."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from offramp.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["write_table", "write_bytes_atomic", "atomic_target", "TABLE_SUFFIXES", "new_file_mode"]

TABLE_SUFFIXES = (".csv", ".parquet")


def new_file_mode() -> int:
    """Permissions of a new file under the process's umask (mkstemp makes 0600 files,
    which a renamed result would keep)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@contextmanager
def atomic_target(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; renamed over ``path`` on success.

    The temporary name starts with ``.`` (readers such as ``pyarrow.dataset`` skip it)
    and is removed if the block fails, so ``path`` holds either its old content or the
    whole new one, whatever kills the writer. The new file gets the umask's permissions.

    Parameters
    ----------
    path : str or Path
        The file to (re)write; its folder is created if missing.

    Yields
    ------
    Path
        Where to write.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        temporary.chmod(new_file_mode())
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_bytes_atomic(path: str | Path, payload: bytes) -> Path:
    """Write bytes to ``path`` atomically (:func:`atomic_target`), synced to disk.

    Parameters
    ----------
    path : str or Path
    payload : bytes

    Returns
    -------
    Path
    """
    with atomic_target(path) as temporary, temporary.open("wb") as stream:
        stream.write(payload)
        stream.flush()
        os.fsync(stream.fileno())
    return Path(path)


def write_table(
    frame: pd.DataFrame, path: str | Path, metadata: Mapping[str, object] | None = None, option: str = "out"
) -> Path:
    """Write a DataFrame to ``.csv`` or ``.parquet`` atomically.

    The table is written to a temporary file beside the target and renamed over it, so an
    interrupted write never leaves a half-written file under the target's name.

    Parameters
    ----------
    frame : pandas.DataFrame
    path : str or Path
        Target; its suffix chooses the format.
    metadata : mapping, optional
        Key-value pairs stored in the Parquet schema metadata (JSON-encoded values);
        ignored for CSV.
    option : str
        Name of the option or field the path came from, for error messages.

    Returns
    -------
    Path
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise InputError(option, f"{path.name}: use a .csv or .parquet file name")
    with atomic_target(path) as temporary:
        if suffix == ".csv":
            frame.to_csv(temporary, index=False)
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(frame, preserve_index=False)
            encoded = {
                f"offramp.{k}".encode(): json.dumps(v, default=str).encode() for k, v in (metadata or {}).items()
            }
            table = table.replace_schema_metadata({**(table.schema.metadata or {}), **encoded})
            pq.write_table(table, temporary)
    return path
