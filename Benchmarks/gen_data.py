#!/usr/bin/env python3
"""Deterministic data generators for Benchmarks/run.sh.

  gen_data.py tree DIR --files N [--dirs D] [--seed S]
      N files of 1..16 KiB (uniform random size, random bytes) spread over D
      directories (DIR/d000/f000000.bin ...).  Same seed -> same bytes.

  gen_data.py csv OUT --bytes B [--seed S]
      Synthetic CSV (header + rows "id,name,value,timestamp") of at least B
      bytes.  Prints the number of data rows written on stdout.

  gen_data.py csv OUT --rows N --variant edited [--seed S]
      The same N rows as the base file, except that a contiguous block of 1%
      of the rows in the middle has new name/value fields, and 1% more rows
      appended at the end (continuing the same random stream, so the appended
      rows are exactly what a longer base file would have contained).

Only the standard library is used (no numpy), so it runs on any python3.
"""
import argparse
import os
import random
import sys
import time

WORDS = (
    "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima "
    "mike november oscar papa quebec romeo sierra tango uniform victor whiskey "
    "xray yankee zulu amber basil cedar dune ember fjord garnet harbor iris "
    "jade kestrel lumen maple nectar onyx pine quartz raven slate thistle umber "
    "violet willow yarrow zephyr"
).split()


def gen_tree(root, nfiles, ndirs, seed):
    rng = random.Random(seed)
    os.makedirs(root, exist_ok=True)
    total = 0
    per_dir = (nfiles + ndirs - 1) // ndirs
    for i in range(nfiles):
        d = os.path.join(root, "d%03d" % (i // per_dir))
        if i % per_dir == 0:
            os.makedirs(d, exist_ok=True)
        size = rng.randint(1024, 16384)
        with open(os.path.join(d, "f%06d.bin" % i), "wb") as f:
            f.write(rng.randbytes(size))
        total += size
    print(total)


CHUNK_ROWS = 65536
_TOD = None


def _csv_chunk(args):
    """Rows [k*CHUNK_ROWS, k*CHUNK_ROWS + count) as one string.

    Each chunk has its own random stream (seeded by seed and k), so chunks can
    be made in parallel and any row is the same in every file that contains
    it, except rows inside [edit_start, edit_end), which take their name and
    value from a second stream."""
    global _TOD
    k, count, seed, edit_start, edit_end = args
    if _TOD is None:
        _TOD = ["%02d:%02d:%02d" % (s // 3600, s // 60 % 60, s % 60) for s in range(86400)]
    tod = _TOD
    names = _NAMES
    rng = random.Random(seed * 1000003 + k)
    erng = random.Random(seed * 1000003 + k + 0x5EED0000)
    getbits = rng.getrandbits
    base_epoch = 1767225600  # 2026-01-01T00:00:00Z
    first = k * CHUNK_ROWS
    out = []
    ds_day = -1
    ds = ""
    for i in range(first, first + count):
        bits = getbits(64)  # always consumed, edited row or not
        if edit_start <= i < edit_end:
            ebits = erng.getrandbits(64)
            name = "edited_" + names[ebits & 4095]
            value = (ebits >> 12) & 0xFFFFFFF
        else:
            name = names[bits & 4095]
            value = (bits >> 12) & 0xFFFFFFF  # 28 bits
        ts = base_epoch + i * 3 + ((bits >> 40) & 7)
        day = ts // 86400
        if day != ds_day:
            ds_day = day
            ds = time.strftime("%Y-%m-%dT", time.gmtime(day * 86400))
        out.append(f"{i},{name},{value // 10000}.{value % 10000:04d},{ds}{tod[ts % 86400]}Z\n")
    return "".join(out)


_NAMES = None


def _init_names(seed):
    global _NAMES
    rng = random.Random(seed)
    _NAMES = ["%s_%s_%04d" % (rng.choice(WORDS), rng.choice(WORDS), rng.randrange(10000))
              for _ in range(4096)]


def gen_csv(out, target_bytes, nrows, variant, seed):
    """Base: whole chunks until the file has >= target_bytes (or nrows rows).
    Edited: nrows base rows with a 1% block in the middle edited, plus 1% more
    rows appended."""
    import multiprocessing as mp
    if variant == "edited":
        edit_len = max(1, nrows // 100)
        edit_start = nrows // 2 - edit_len // 2
        edit_end = edit_start + edit_len
        total_rows = nrows + max(1, nrows // 100)
    else:
        edit_start = edit_end = -1
        total_rows = nrows

    def jobs():
        k = 0
        while True:
            first = k * CHUNK_ROWS
            if total_rows is not None:
                if first >= total_rows:
                    return
                count = min(CHUNK_ROWS, total_rows - first)
            else:
                count = CHUNK_ROWS
            yield (k, count, seed, edit_start, edit_end)
            k += 1

    _init_names(seed)
    written = 0
    rows = 0
    with open(out, "w", newline="") as f, \
            mp.Pool(max(1, os.cpu_count() or 1), initializer=_init_names, initargs=(seed,)) as pool:
        header = "id,name,value,timestamp\n"
        f.write(header)
        written += len(header)
        for text in pool.imap(_csv_chunk, jobs()):
            f.write(text)
            written += len(text)
            rows += text.count("\n")
            if total_rows is None and written >= target_bytes:
                pool.terminate()
                break
    print(rows)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("tree")
    t.add_argument("dir")
    t.add_argument("--files", type=int, required=True)
    t.add_argument("--dirs", type=int, default=100)
    t.add_argument("--seed", type=int, default=20261125)
    c = sub.add_parser("csv")
    c.add_argument("out")
    c.add_argument("--bytes", type=int)
    c.add_argument("--rows", type=int)
    c.add_argument("--variant", choices=["base", "edited"], default="base")
    c.add_argument("--seed", type=int, default=20261125)
    a = ap.parse_args()
    if a.cmd == "tree":
        gen_tree(a.dir, a.files, a.dirs, a.seed)
    else:
        if a.variant == "edited" and not a.rows:
            sys.exit("--variant edited needs --rows (the base file's row count)")
        if a.variant == "base" and not a.bytes and not a.rows:
            sys.exit("csv needs --bytes or --rows")
        gen_csv(a.out, a.bytes, a.rows, a.variant, a.seed)


if __name__ == "__main__":
    main()
