"""`python -m tunelab`: the `tunelab` command, through the same entry (tunelab_entry.main,
outside the package), so Ctrl-C while the commands load exits 130 with one line here too. The
package itself is already imported when Python runs this file."""

from __future__ import annotations

from tunelab_entry import main

if __name__ == "__main__":
    main()
