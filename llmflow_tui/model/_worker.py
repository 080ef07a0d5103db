"""A helper process for large cold loads: reads (root, items) pickled on stdin, parses each
file with ``read_doc`` and writes the pickled list of Docs to stdout."""

from __future__ import annotations

import gc
import pickle
import sys

from .parse import read_doc


def main() -> None:
    gc.disable()
    root, items = pickle.load(sys.stdin.buffer)
    docs = [read_doc(root, ref, size, mtime) for _rel, ref, size, mtime in items]
    sys.stdout.buffer.write(pickle.dumps(docs, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
