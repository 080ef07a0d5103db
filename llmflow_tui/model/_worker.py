"""A helper process for large cold loads: reads a pickled job on stdin (whole plans: their
files, folders and settings), parses and derives them, and writes the pickled result."""

from __future__ import annotations

import gc
import pickle
import sys


def main() -> None:
    gc.disable()
    from .workspace import read_units

    job = pickle.load(sys.stdin.buffer)
    answer = read_units(job["root"], job["units"], job["items"], job["folders"], job["settings"])
    sys.stdout.buffer.write(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
