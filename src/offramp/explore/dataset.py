"""The exploration dataset on disk: a manifest, one Parquet file per chunk, validation.

A run's directory holds::

    DIR/manifest.json             what was run: scenario (hash and text), design, seed,
                                  replications, strategies, offramp version, chunk list
    DIR/design.parquet            the design: one row per sample (values, claims' sides)
    DIR/chunks/chunk-00000.parquet  one file per finished chunk, one row per experiment

Choices
-------
1. Every file is written atomically: to a temporary name starting with ``.`` in the same
   folder, then ``os.replace``. A reader (offramp, or ``pyarrow.dataset`` and DuckDB,
   which skip names starting with ``.``) never sees half a file, whatever kills the run.
2. A chunk file is data only once it is *valid*: pyarrow reads it with page checksums
   verified (a flipped bit in a data page), its rows hash to the digest in its metadata
   (a damaged footer or metadata, which page checksums do not cover), its metadata names
   this run (``run_key``) and this chunk, and it holds exactly the experiments the
   manifest lists for the chunk (row count, strategy, world range in order). Anything
   else (truncated, corrupted, from another run) is *damaged*: never read as data.
   Only the errors that mean damaged bytes count as damage (pyarrow's ``ArrowInvalid``,
   or an ``OSError`` while parsing bytes already read into memory); any other error,
   such as a library that cannot read a feature or a bug, propagates, so it can never
   be mistaken for a damaged file.
3. The manifest is written once, before any chunk, and never updated: workers only add
   files, so there is no shared file to race on. Completion is read from the chunks.
4. :func:`load` sorts rows canonically (strategy in the manifest's order, then world), so
   the loaded table does not depend on chunk size, worker count or executor.
5. Nothing here deletes data. ``resume`` moves a damaged chunk file, bytes untouched, to
   ``DIR/quarantine/`` with a one-line ``<name>.reason.txt`` beside it
   (:func:`quarantine_chunk`), and runs the chunk again; :func:`load` skips it.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from offramp.errors import InputError
from offramp.model.outcomes import Outcome
from offramp.run.record import write_bytes_atomic

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CHUNKS",
    "FORMAT",
    "MANIFEST",
    "QUARANTINE",
    "ChunkRead",
    "ChunkSpec",
    "Manifest",
    "aggregate",
    "chunk_path",
    "chunk_table_bytes",
    "load",
    "load_counting",
    "quarantine_chunk",
    "read_chunk",
    "read_manifest",
    "valid_chunks",
    "write_bytes_atomic",
    "write_manifest",
]

MANIFEST = "manifest.json"
CHUNKS = "chunks"
#: Where ``resume`` moves damaged chunk files (choice 5), inside the run's directory.
QUARANTINE = "quarantine"
FORMAT = "offramp-explore/1"
#: Leading columns of every experiment row, before the sampled values and the outcomes.
KEY_COLUMNS = ("sample", "replication", "world", "strategy", "seed")


@dataclass(frozen=True, slots=True)
class ChunkSpec:
    """One chunk: a strategy run on a contiguous range of world indices.

    Attributes
    ----------
    id : int
        Stable chunk id: its place in the run's chunk list (never depends on workers or
        executor).
    strategy : str
    start, stop : int
        World indices ``start .. stop - 1``.
    """

    id: int
    strategy: str
    start: int
    stop: int

    @property
    def rows(self) -> int:
        """Experiments in the chunk."""
        return self.stop - self.start

    @property
    def file(self) -> str:
        """The chunk's file, relative to the run's directory."""
        return f"{CHUNKS}/chunk-{self.id:05d}.parquet"


@dataclass(frozen=True, slots=True)
class Manifest:
    """The parsed ``manifest.json`` of a run (see the module docstring).

    Attributes
    ----------
    data : dict
        The manifest as written.
    chunks : tuple of ChunkSpec
    """

    data: dict
    chunks: tuple[ChunkSpec, ...]

    @property
    def run_key(self) -> str:
        """SHA-256 naming the run (what every chunk file must carry)."""
        return self.data["run_key"]

    @property
    def strategies(self) -> list[str]:
        """Strategy names in the run's order."""
        return list(self.data["strategies"])


def chunk_path(directory: str | Path, chunk: ChunkSpec) -> Path:
    """The path of a chunk's file.

    Parameters
    ----------
    directory : str or Path
        The run's directory.
    chunk : ChunkSpec

    Returns
    -------
    Path
    """
    return Path(directory) / chunk.file


def run_key(identity: Mapping[str, object]) -> str:
    """SHA-256 of a run's identity (canonical JSON): what must match to resume it.

    Parameters
    ----------
    identity : mapping
        JSON-serialisable description of the run.

    Returns
    -------
    str
    """
    return hashlib.sha256(json.dumps(identity, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def write_manifest(directory: str | Path, data: Mapping[str, object]) -> Path:
    """Write ``manifest.json`` atomically.

    Parameters
    ----------
    directory : str or Path
    data : mapping
        The manifest (JSON-serialisable).

    Returns
    -------
    Path
    """
    text = json.dumps(data, indent=1, sort_keys=False)
    return write_bytes_atomic(Path(directory) / MANIFEST, (text + "\n").encode())


def read_manifest(directory: str | Path, option: str = "directory") -> Manifest:
    """Read and check a run's manifest.

    Parameters
    ----------
    directory : str or Path
    option : str
        What to call the directory in error messages (the ``where`` of the error).

    Returns
    -------
    Manifest
    """
    path = Path(directory) / MANIFEST
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise InputError(option, f"{directory}: no {MANIFEST} (not an offramp explore directory)") from None
    except (OSError, ValueError) as error:
        raise InputError(option, f"{path}: unreadable manifest ({error})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputError(option, f"{path}: not an {FORMAT} manifest")
    try:
        chunks = tuple(
            ChunkSpec(int(c["id"]), str(c["strategy"]), int(c["start"]), int(c["stop"])) for c in data["chunks"]
        )
        if not isinstance(data["identity"], dict) or not isinstance(data["run_key"], str):
            raise TypeError("identity and run_key")
        list(data["strategies"])
    except (KeyError, TypeError, ValueError) as error:
        raise InputError(option, f"{path}: incomplete manifest ({error})") from None
    return Manifest(data=data, chunks=chunks)


def _digest(frame: pd.DataFrame) -> str:
    """SHA-256 of a chunk's column names and row hashes (pandas' stable value hashes)."""
    import pandas as pd

    digest = hashlib.sha256("\x1f".join(map(str, frame.columns)).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def chunk_table_bytes(frame: pd.DataFrame, run: str, chunk: ChunkSpec) -> bytes:
    """A chunk's rows as Parquet bytes, with page checksums and the run's key in the
    schema metadata (choice 2).

    Parameters
    ----------
    frame : pandas.DataFrame
        The chunk's rows.
    run : str
        The run key.
    chunk : ChunkSpec

    Returns
    -------
    bytes
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    metadata = {
        b"offramp.run_key": run.encode(),
        b"offramp.chunk": str(chunk.id).encode(),
        b"offramp.rows": str(chunk.rows).encode(),
        b"offramp.digest": _digest(frame).encode(),
    }
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), **metadata})
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, write_page_checksum=True)
    return sink.getvalue().to_pybytes()


@dataclass(frozen=True, slots=True)
class ChunkRead:
    """What :func:`read_chunk` found for one chunk: its rows, or why its file is not data.

    Attributes
    ----------
    frame : pandas.DataFrame or None
        The chunk's rows when its file is valid.
    problem : str or None
        Why the file was rejected (one line); None when it is valid or absent.
    """

    frame: Any
    problem: str | None

    @property
    def is_valid(self) -> bool:
        """The file exists and holds exactly the chunk's experiments."""
        return self.frame is not None

    @property
    def is_damaged(self) -> bool:
        """The file exists and is not the chunk's data (truncated, corrupted, foreign)."""
        return self.problem is not None


def read_chunk(directory: str | Path, manifest: Manifest, chunk: ChunkSpec) -> ChunkRead:
    """A chunk's rows if its file is valid, else why not (choice 2).

    Only a damaged file is reported as a problem: pyarrow's ``ArrowInvalid``, or an
    ``OSError`` while parsing the bytes (already read into memory, so it is about the
    bytes, never the file system), or metadata and rows that are not this chunk's. Any
    other error propagates: a library that cannot read a feature, or a bug, must stop the
    caller rather than make a good file look damaged.

    Parameters
    ----------
    directory : str or Path
    manifest : Manifest
    chunk : ChunkSpec

    Returns
    -------
    ChunkRead
        ``frame`` set when valid; ``problem`` set when damaged; neither when absent.

    Raises
    ------
    OSError
        The file exists but cannot be read (permissions, I/O): not a verdict on its bytes.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        data = chunk_path(directory, chunk).read_bytes()
    except FileNotFoundError:
        return ChunkRead(None, None)
    try:
        table = pq.read_table(pa.BufferReader(data), page_checksum_verification=True)
    except (pa.ArrowInvalid, OSError) as error:
        return _damaged(f"not a readable Parquet file ({_first_line(error)})")
    metadata = table.schema.metadata or {}
    found_key = metadata.get(b"offramp.run_key")
    if found_key is None:
        return _damaged("no offramp run key in its metadata (not written by offramp explore)")
    if found_key != manifest.run_key.encode():
        return _damaged("written by another run (its run key is not the manifest's)")
    if metadata.get(b"offramp.chunk") != str(chunk.id).encode():
        return _damaged(
            f"its metadata names chunk {metadata.get(b'offramp.chunk', b'(none)').decode(errors='replace')}, "
            f"not chunk {chunk.id}"
        )
    if table.num_rows != chunk.rows:
        return _damaged(f"{table.num_rows} rows; the chunk has {chunk.rows}")
    if "world" not in table.column_names or "strategy" not in table.column_names:
        return _damaged("no world or strategy column")
    if not np.array_equal(table.column("world").to_numpy(), np.arange(chunk.start, chunk.stop)):
        return _damaged(f"its worlds are not {chunk.start}..{chunk.stop - 1} in order")
    if set(table.column("strategy").to_pylist()) != {chunk.strategy}:
        return _damaged(f"its rows are not all of strategy {chunk.strategy}")
    frame = table.replace_schema_metadata(None).to_pandas()
    if metadata.get(b"offramp.digest") != _digest(frame).encode():
        return _damaged("its rows do not hash to the digest in its metadata")
    return ChunkRead(frame, None)


def _damaged(problem: str) -> ChunkRead:
    return ChunkRead(None, problem)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def valid_chunks(directory: str | Path, manifest: Manifest) -> set[int]:
    """Ids of the chunks whose files are valid.

    Parameters
    ----------
    directory : str or Path
    manifest : Manifest

    Returns
    -------
    set of int
    """
    return {chunk.id for chunk in manifest.chunks if read_chunk(directory, manifest, chunk).is_valid}


def quarantine_chunk(directory: str | Path, chunk: ChunkSpec, problem: str) -> Path:
    """Move a damaged chunk file into ``quarantine/`` with a reason file (choice 5).

    The file is renamed, not copied or rewritten, so its bytes are kept exactly; a name
    already taken in ``quarantine/`` (the same chunk damaged again on a later resume)
    gets a number (``chunk-00003.2.parquet``). ``<name>.reason.txt`` beside it says, in
    one line, which chunk it was, why it was rejected and when.

    Parameters
    ----------
    directory : str or Path
        The run's directory.
    chunk : ChunkSpec
        The chunk whose file is damaged.
    problem : str
        Why (:attr:`ChunkRead.problem`).

    Returns
    -------
    Path
        Where the file is now.
    """
    folder = Path(directory) / QUARANTINE
    folder.mkdir(parents=True, exist_ok=True)
    source = chunk_path(directory, chunk)
    stem, suffix = source.stem, source.suffix
    target, copy = folder / source.name, 1
    while target.exists() or _reason_path(target).exists():
        copy += 1
        target = folder / f"{stem}.{copy}{suffix}"
    # Both paths are inside the run's directory: one file system, so the move is a rename.
    source.rename(target)
    when = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    line = (
        f"{chunk.file} (chunk {chunk.id}, {chunk.strategy}, worlds {chunk.start}..{chunk.stop - 1}): "
        f"{' '.join(problem.split())}; moved here by resume at {when}\n"
    )
    write_bytes_atomic(_reason_path(target), line.encode())
    return target


def _reason_path(path: Path) -> Path:
    return path.with_name(path.name + ".reason.txt")


def load(directory: str | Path) -> pd.DataFrame:
    """The experiments of an ``offramp explore`` directory as one DataFrame.

    Only valid chunk files are read (a truncated, corrupted or foreign file is skipped,
    and left where it is); a warning says how many of the manifest's chunks are missing
    or damaged. Rows are sorted by
    strategy (in the run's order), then world, whatever the chunking (choice 4).

    Parameters
    ----------
    directory : str or Path
        The run's ``--out`` directory.

    Returns
    -------
    pandas.DataFrame
        One row per experiment: sample, replication, world, strategy, seed, the sampled
        parameter values (one float64 column per parameter path), the claims' sides for
        a ``claims`` design, then the outcome columns of ``offramp run``.
    """
    frame, missing, total = load_counting(directory)
    if missing:
        warnings.warn(
            f"{directory}: {missing} of {total} chunks are missing or invalid; "
            "their experiments are not in the table (complete them with --resume)",
            UserWarning,
            stacklevel=2,
        )
    return frame


def load_counting(directory: str | Path, option: str = "directory") -> tuple[pd.DataFrame, int, int]:
    """:func:`load`'s table, with how many of the manifest's chunks were missing or invalid.

    Parameters
    ----------
    directory : str or Path
    option : str
        What to call the directory in messages.

    Returns
    -------
    (pandas.DataFrame, int, int)
        The table, the missing chunks, and the chunks the manifest lists.
    """
    import pandas as pd

    manifest = read_manifest(directory, option=option)
    frames = []
    missing = 0
    for chunk in manifest.chunks:
        found = read_chunk(directory, manifest, chunk)
        if found.is_valid:
            frames.append(found.frame)
        else:
            missing += 1
    if not frames:
        return pd.DataFrame(columns=list(KEY_COLUMNS)), missing, len(manifest.chunks)
    frame = pd.concat(frames, ignore_index=True)
    order = {name: i for i, name in enumerate(manifest.strategies)}
    frame = frame.sort_values(
        ["strategy", "world"], key=lambda c: c.map(order) if c.name == "strategy" else c, kind="stable"
    )
    return frame.reset_index(drop=True), missing, len(manifest.chunks)


# Every end state, ``ongoing`` last.
_OUTCOMES = tuple(sorted((outcome.label for outcome in Outcome), key=lambda label: label == "ongoing"))
_MEANS = ("end_week", "war_deaths", "periphery_casualties", "peak_tension", "purges", "defections", "attributions")


def aggregate(frame: pd.DataFrame) -> pd.DataFrame:
    """Per (sample, strategy): outcome shares over the replications, and means.

    Computed on demand from :func:`load`'s table, so the dataset keeps every number and
    any other aggregate is a ``groupby`` away.

    Parameters
    ----------
    frame : pandas.DataFrame
        Experiment rows, as :func:`load` returns them.

    Returns
    -------
    pandas.DataFrame
        One row per (sample, strategy): the sampled parameter values (and claims'
        sides), ``replications``, ``p_<outcome>`` for every end state (shares summing
        to 1), ``direct_conflict_share``, and ``mean_<column>`` for the end week and the
        human-cost and event columns, kept apart.
    """
    import pandas as pd

    keys = ["sample", "strategy"]
    groups = frame.groupby(keys, sort=False)
    shares = pd.crosstab([frame["sample"], frame["strategy"]], frame["outcome"], normalize="index")
    shares = shares.reindex(columns=list(_OUTCOMES), fill_value=0.0).add_prefix("p_")
    parameters = [c for c in frame.columns if "." in c]  # parameter paths and claims.Cn
    out = groups[parameters].first() if parameters else groups.size().to_frame("_").drop(columns="_")
    out["replications"] = groups.size()
    out = out.join(shares)
    out["direct_conflict_share"] = groups["direct_conflict"].mean()
    means = [c for c in _MEANS if c in frame.columns]
    out = out.join(groups[means].mean().add_prefix("mean_"))
    return out.reset_index()
