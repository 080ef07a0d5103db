"""A helper process for large cold loads: reads a pickled job on stdin (whole plans: their
files, folders and settings), parses and derives them, and writes the pickled result."""

from __future__ import annotations

import gc
import pickle
import sys

from .parse import read_doc


def main() -> None:
    gc.disable()
    from .workspace import derive_unit

    job = pickle.load(sys.stdin.buffer)
    root = job["root"]
    docs = {rel: read_doc(root, ref, size, mtime) for rel, ref, size, mtime in job["items"]}
    derived = {
        unit: derive_unit(unit, docs, members, job["folders"], job["settings"])
        for unit, members in job["units"].items()
    }
    sys.stdout.buffer.write(
        pickle.dumps({"docs": docs, "derived": derived}, protocol=pickle.HIGHEST_PROTOCOL)
    )
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
