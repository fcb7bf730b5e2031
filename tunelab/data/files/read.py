"""Read a user's data file (JSONL, JSON, CSV/TSV, Parquet, a `datasets` folder, documents, or a
folder of them) into raw rows, each with its `file:line`; errors name the file and line. A row's
shape is told by tunelab.data.shapes; a JSON or JSON Lines file is read by
tunelab.data.files.json_rows, a CSV/TSV file by tunelab.data.files.csv_files; the text and JSON
lines under every reader by tunelab.data.files.file_text; pandas' row numbers are left out of a
table by tunelab.data.files.row_numbers."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

from rich.markup import escape

from tunelab.data.documents.sections import DOC_SUFFIXES, document_text, documents_said
from tunelab.data.files.csv_files import read_csv
from tunelab.data.files.file_text import DataError, console, utf8_text
from tunelab.data.files.hub import PREFIX
from tunelab.data.files.json_rows import json_rows, jsonl_rows
from tunelab.data.files.row_numbers import without_row_numbers
from tunelab.data.files.split_folders import (
    SPLIT_FILES,
    SPLIT_RECORD,
    is_split_record,
    own_test_split,
    read_split,
    split_folder,
)
from tunelab.data.shapes import detect_shape
from tunelab.errors import TunelabError
from tunelab.terminal import say_wrapped

DATA_SUFFIXES = (".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".parquet")
REPORT_LINES = 20  # files listed by name when a folder is read; skipped ones are all listed


def read_rows(
    path: Path, quiet: bool = False, keep: Collection[str] = ()
) -> Iterator[tuple[str, dict[str, Any] | DataError]]:
    """Yield (`file:line`, `file:item N` or `file:row N`, counted from 1; row dict or the
    DataError of an unreadable row). A folder's report of files read and skipped is printed
    unless `quiet`; `keep`: the columns data.fields name, never taken for row numbers."""
    suffix = path.suffix.lower()
    if split_folder(path):
        # Read as a folder of files, its split.json was rows and its test rows were trained on.
        if not quiet:
            say_wrapped(console, split_folder_note(path))
        yield from read_rows(path / SPLIT_FILES[0], quiet, keep)
    elif path.is_dir() and not is_dataset_dir(path):
        yield from _read_folder(path, quiet, keep)
    elif path.is_dir():
        yield from without_row_numbers(_read_dataset_dir(path, quiet), path, quiet, keep)
    elif suffix in DOC_SUFFIXES:
        text = document_text(path)
        if text.strip():
            yield str(path), {"text": text}
        elif not quiet:
            # Nothing to pretrain on, as an empty data file among others has no row: left out,
            # said. It stopped the run as "field 'text' is empty; fix the row", a data row's words.
            said = f"warning: {path}: an empty document (no text in it), skipped"
            say_wrapped(console, said, "yellow")
    elif suffix in (".jsonl", ".ndjson"):
        yield from jsonl_rows(path)
    elif suffix == ".json":
        yield from json_rows(path)
    elif suffix in (".csv", ".tsv"):
        rows = read_csv(path, tsv=suffix == ".tsv", quiet=quiet)
        yield from without_row_numbers(rows, path, quiet, keep)
    elif suffix == ".parquet":
        yield from without_row_numbers(_read_parquet(path), path, quiet, keep)
    elif suffix in (".xlsx", ".xls", ".ods", ".numbers"):
        raise TunelabError(
            f"{path}: a spreadsheet; save it as CSV (a spreadsheet's 'CSV UTF-8', one sheet) and "
            "give the .csv file"
        )
    elif suffix in (".gz", ".zip", ".bz2", ".xz", ".zst", ".tar", ".tgz"):
        # data.jsonl.gz, as dumps and exports come: "unsupported file type '.gz'" left the user
        # to guess that the file inside is one tunelab reads.
        inside = f"{Path(path.stem).suffix} file" if Path(path.stem).suffix else "file or folder"
        raise TunelabError(f"{path}: a compressed file; unpack it and give the {inside} inside")
    else:
        raise TunelabError(f"{path}: unsupported file type {suffix!r}; tunelab reads {formats()}")


def formats() -> str:
    """What the loader reads, said once: the help of each command that reads a data set and the
    errors of a path it cannot read name the same (the help of `data check` named four formats:
    not TSV, documents, folders or the hub)."""
    return (
        f"a data file ({', '.join(DATA_SUFFIXES)}), a datasets.save_to_disk folder, documents to "
        f"pretrain on ({documents_said()}), a folder of these, or a hub dataset ({PREFIX}org/name)"
    )


def _read_parquet(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as err:  # another format renamed, a download cut short
        raise DataError(f"{path}: not a readable Parquet file ({err})") from None
    for i, row in enumerate(table.to_pylist()):
        yield f"{path}:row {i + 1}", row


def _read_folder(
    folder: Path, quiet: bool, keep: Collection[str]
) -> Iterator[tuple[str, dict[str, Any] | DataError]]:
    """Every data file, dataset folder and document under `folder`. What is read and what is
    skipped is always printed: a file left out without a word is data silently lost."""
    sources, skipped = _folder_contents(folder)
    if split := next((source for source in sources if own_test_split(source)), None):
        raise TunelabError(_nested_split(folder, split, own_test_split(split)))
    shapes = {source: _first_shape(source) for source in sources}
    if not quiet:
        _report_folder(folder, shapes, skipped)
    if not sources:
        raise TunelabError(f"{folder}: no file to read in it; tunelab reads {formats()}")
    # data.shape and data.fields hold for the whole data set, so a folder must hold one shape:
    # Q&A rows beside documents (raw text) would be read with the first file's columns.
    if len({shape for shape in shapes.values() if shape}) > 1:
        listed = ", ".join(f"{_name(s, folder)}: {shape}" for s, shape in shapes.items() if shape)
        raise TunelabError(
            f"{folder} mixes data shapes ({listed}); one data set has one shape: move the "
            "other files out, or convert them (documents are raw text for continued pretraining)"
        )
    for source in sources:
        yield from read_rows(source, quiet, keep)


def _folder_contents(folder: Path) -> tuple[list[Path], list[tuple[Path, str]]]:
    """(readable files and dataset folders, [(skipped path, why)]), recursively, sorted."""
    sources: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    for path in sorted(folder.iterdir()):
        suffix = path.suffix.lower()
        if path.name.startswith("."):
            skipped.append((path, "hidden"))
        elif path.is_dir() and (is_dataset_dir(path) or split_folder(path)):
            sources.append(path)  # one with a test split is refused whole by _read_folder
        elif path.is_dir() and path.is_symlink():  # a link back up would never end
            skipped.append((path, "link to a folder, not followed"))
        elif path.is_dir():
            more, more_skipped = _folder_contents(path)
            sources += more
            skipped += more_skipped
        elif is_split_record(path):  # its folder lost a file: the record is still no rows
            skipped.append((path, "how a train/test split was drawn (`tunelab data split`)"))
        elif suffix in DATA_SUFFIXES or suffix in DOC_SUFFIXES:
            sources.append(path)
        else:
            skipped.append(
                (path, f"unsupported extension {suffix!r}" if suffix else "no extension")
            )
    return sources, skipped


def is_raw_text(path: str | Path | None, shape: str) -> bool:
    """Whether data at `path` read as `shape` is raw text (continued pretraining): shape text, or
    auto over documents or rows of `text` (`data_shape`)."""
    return shape == "text" if shape != "auto" or not path else data_shape(path) == "text"


def data_shape(path: str | Path) -> str | None:
    """The shape `data.shape: auto` reads local data as: its (first) file's first row's (a split's
    folder's: its train.jsonl's), 'text' for documents; None where nothing tells (a hub name, a
    file gone, columns that need data.fields)."""
    path = Path(path)
    if split_folder(path):  # its train.jsonl: split.json, listed first, told no shape
        path = path / SPLIT_FILES[0]
    elif path.is_dir() and not is_dataset_dir(path):
        path = next(iter(_folder_contents(path)[0]), path)
    return _first_shape(path) if path.exists() and not path.is_dir() else None


def _first_shape(source: Path) -> str | None:
    """The shape of a file's first good row ('text' for a document); None when none tells."""
    if source.suffix.lower() in DOC_SUFFIXES:
        return "text"
    rows = read_rows(source, quiet=True)  # what the file's reading says is said as it is read
    try:
        for where, row in rows:
            if not isinstance(row, DataError):
                return detect_shape(row, where)
    except DataError:  # unknown columns or an unreadable file: reading it names the problem
        return None
    finally:
        rows.close()
    return None


def _report_folder(
    folder: Path, shapes: dict[Path, str | None], skipped: list[tuple[Path, str]]
) -> None:
    lines = [f"{_name(s, folder)} ({shape or 'shape unknown'})" for s, shape in shapes.items()]
    console.print(f"{escape(str(folder))}: reading {len(lines)} file(s):", highlight=False)
    for line in lines[:REPORT_LINES]:
        console.print(f"  {line}", markup=False, highlight=False)
    if len(lines) > REPORT_LINES:
        console.print(f"  ... and {len(lines) - REPORT_LINES} more", highlight=False)
    if skipped:
        console.print(f"[yellow]skipped {len(skipped)} file(s):[/]", highlight=False)
        for path, why in skipped:
            console.print(f"  {_name(path, folder)}: {why}", markup=False, highlight=False)


def _name(path: Path, folder: Path) -> str:
    return str(path.relative_to(folder))


def is_data(path: Path) -> bool:
    """Whether `path` can only be data: a data file or document by its suffix (a .json one when
    it holds an array: a config may be written in JSON), or a saved dataset's folder."""
    suffix = path.suffix.lower()
    if path.is_dir():
        return is_dataset_dir(path)
    if suffix == ".json":
        return path.is_file() and utf8_text(path, lenient=True).lstrip().startswith("[")
    return path.is_file() and (suffix in DATA_SUFFIXES or suffix in DOC_SUFFIXES)


def _nested_split(folder: Path, split: Path, held: str) -> str:
    """Why a data folder holding a split (`held`: its test rows) is refused: a split's folder
    read file by file had its split.json read as rows and its test.jsonl trained on (a leak),
    its train.jsonl may repeat a file beside it that was split; a saved DatasetDict's 'train'
    alone was read, its test split neither read nor held out (data.test_size of all instead)."""
    if split_folder(split):
        what = f"a train/test split's folder, {split} (its {' and '.join(SPLIT_FILES)})"
        lost = "its test rows would be trained on"
    else:
        what = f"a saved DatasetDict with its own test split, {split} ('{Path(held).name}')"
        lost = f"its '{Path(held).name}' split would be unused, data.test_size of all held out"
    return (
        f"{folder} holds {what}; read with the rest, {lost}. To train on that split, give "
        f"{split} as the data (data.path) instead of {folder}; else move {split} out of {folder}"
    )


def split_folder_note(path: Path) -> str:
    """What reading the split folder `path` as data reads, and what it leaves, said."""
    train, test = (path / name for name in SPLIT_FILES)
    others = sorted(p.name for p in path.iterdir() if p.name not in (*SPLIT_FILES, SPLIT_RECORD))
    left = f"; not read: {', '.join(others)}" if others else ""
    return (
        f"{path}: a train/test split's folder: read its train.jsonl; its test.jsonl "
        f"is held out of training where data.test_path is unset (data.path {train} reads the "
        f"training rows alone, data.test_path {test} the test rows){left}"
    )


def is_dataset_dir(path: Path) -> bool:
    markers = ("dataset_info.json", "dataset_dict.json", "state.json")
    return any((path / marker).exists() for marker in markers)


def _read_dataset_dir(path: Path, quiet: bool = False) -> Iterator[tuple[str, dict[str, Any]]]:
    import datasets
    import pyarrow as pa

    try:
        loaded = datasets.load_from_disk(str(path))
    except FileNotFoundError:
        raise TunelabError(f"{path}: a folder must be a datasets.save_to_disk folder") from None
    except pa.ArrowException as err:  # a data file cut short (a copy or download broken off)
        raise DataError(f"{path}: its saved dataset's files are damaged ({err})") from None
    except IndexError:  # datasets cannot load a set saved with no rows (no data file)
        return
    if isinstance(loaded, datasets.DatasetDict):
        split, others = read_split(path, list(loaded))
        if others and not quiet:
            held = (
                f"; training holds it out where data.test_path is unset, and data.path "
                f"{escape(str(path / split))} reads '{split}' alone"
            ) * (others[0] in ("test", "validation"))
            console.print(
                f"{escape(str(path))}: read its split '{split}'; not {', '.join(others)} (a split "
                f"is a folder of its own: data.test_path {escape(str(path / others[0]))}{held})",
                soft_wrap=True,  # a path broken across lines cannot be pasted
            )
        elif split != "train" and not quiet:
            # A set saved with its test split alone, given as data.path, was trained on unsaid.
            console.print(f"{escape(str(path))}: read its only split, '{split}'")
        loaded = loaded[split]
        # A row by its split's folder: "hf_dd:row 5" named no split, and its test rows were
        # "hf_dd/test:row 5" already (`data.path hf_dd/train` reads the same rows).
        path = path / split
    for i, row in enumerate(loaded):
        yield f"{path}:row {i + 1}", row


def no_rows(path: Path) -> str:
    """What a data file (or folder) that yields no row holds, said as its user sees it: a CSV's
    header with no row under it is not "no usable rows"."""
    suffix = path.suffix.lower()
    if path.is_dir():
        if is_dataset_dir(path):
            return f"{path}: its saved dataset holds no rows"
        return f"{path}: no file in it holds a row"
    if suffix in (".csv", ".tsv"):
        header = utf8_text(path, lenient=True).lstrip("\r\n").partition("\n")[0].strip()
        if header:
            return (
                f"{path}: has a header line ({header[:80]}) but no data rows under it; add one "
                "row per example"
            )
    if suffix == ".json" and utf8_text(path).strip():
        return f"{path}: holds an empty JSON array; put one object per example in it"
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        columns = pq.read_schema(path).names
        return f"{path}: has the columns {columns} but no rows"
    if suffix in DOC_SUFFIXES:
        return f"{path}: an empty document (no text in it); put the text to pretrain on in it"
    return f"{path}: is empty; it holds no rows"
