"""A run folder claimed by the process that trains it, from before its model loads to its end.
status.json says "running" only once the run folder is written, after the model and data have
loaded (a minute for the embedded model's first load): two `tunelab train --overwrite` (or
`--resume`) of one run started in that window both passed the check and trained into one
folder. The claim file, which `run_status` reads beside status.json, closes it."""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

from tunelab.errors import TunelabError
from tunelab.run_files import CLAIM_FILE, STATUS_FILE, claim_holder


class RunClaim:
    """`take` claims the run folder (made for it if new); leaving the `with` (or `give_back`)
    gives it back, and the folder too where it was made for the claim and holds nothing else
    (a refused run leaves no folder)."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.taken = self.made_folder = False

    def __enter__(self) -> RunClaim:
        return self

    def take(self) -> None:
        """Claim the folder, or refuse as `check_run_dir` does when another live process holds
        it: both may have passed that check before either claimed."""
        self.made_folder = not self.run_dir.exists()
        self.run_dir.mkdir(parents=True, exist_ok=True)
        file = self.run_dir / CLAIM_FILE
        record = {"pid": os.getpid(), "host": socket.gethostname(), "time": time.time()}
        # Written whole, then linked into place: a link fails where the name exists, so one
        # process wins, and no reader meets a claim half written.
        partial = file.with_name(f"{CLAIM_FILE}.{os.getpid()}.part")
        partial.write_text(json.dumps(record) + "\n", encoding="utf-8")
        try:
            os.link(partial, file)
        except FileExistsError:
            if holder := claim_holder(self.run_dir, others_only=False):
                partial.unlink()
                self._give_back_folder()
                raise TunelabError(being_trained(self.run_dir, holder)) from None
            partial.replace(file)  # left by a process that ended without giving it back
        except OSError:  # a file system without hard links: claimed, though not atomically
            partial.replace(file)
        else:
            partial.unlink()
        self.taken = True

    def __exit__(self, kind, err, traceback) -> None:
        self.give_back()

    def give_back(self) -> None:
        """Remove the claim (and the folder made for it, if empty); again, it does nothing."""
        if self.taken:
            (self.run_dir / CLAIM_FILE).unlink(missing_ok=True)
            self.taken = False
            self._give_back_folder()

    def _give_back_folder(self) -> None:
        if self.made_folder and self.run_dir.is_dir() and not any(self.run_dir.iterdir()):
            self.run_dir.rmdir()


def being_trained(run_dir: Path, status: dict) -> str:
    """The refusal of a run that another process trains now (its status or claim: pid, host)."""
    by = f"process {status.get('pid')} on {status.get('host')}"
    return (
        f"{run_dir} is being trained now ({by}): let it end, or stop it (Ctrl-C where it runs) "
        f"first; if that process is no training of it, delete {run_dir / CLAIM_FILE} and "
        f"{run_dir / STATUS_FILE}"
    )
