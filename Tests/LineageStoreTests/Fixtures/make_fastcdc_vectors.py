#!/usr/bin/env python3
"""Makes fastcdc-v2020-vectors.json: FastCDC v2020 cut points from an independent implementation.

Reference: pyfastcdc 0.3.1 (PyPI), "a direct port of the v2020 module of nlfiedler/fastcdc-rs"
(normalization level 1, fastcdc-rs's default). Run:

    pip install pyfastcdc==0.3.1
    python3 Tests/LineageStoreTests/Fixtures/make_fastcdc_vectors.py > Tests/LineageStoreTests/Fixtures/fastcdc-v2020-vectors.json

The inputs are generated from SplitMix64 so the Swift test can rebuild them byte for byte
(see FastCDCTests.swift: `splitmixBytes`, `csvText`).
"""
import hashlib
import json
import sys

import pyfastcdc
from pyfastcdc.py import FastCDC as PyFastCDC  # the pure-Python port: no compiled code in the way

M64 = (1 << 64) - 1


def splitmix64(seed):
    state = seed
    while True:
        state = (state + 0x9E3779B97F4A7C15) & M64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        yield z ^ (z >> 31)


def splitmix_bytes(seed, count):
    out = bytearray()
    gen = splitmix64(seed)
    while len(out) < count:
        out += next(gen).to_bytes(8, "little")
    return bytes(out[:count])


def csv_text(seed, count):
    out = bytearray(b"id,customer,amount\n")
    gen = splitmix64(seed)
    i = 0
    while len(out) < count:
        r = next(gen)
        out += f"{i},{r % 1000000},{(r >> 20) % 997}\n".encode()
        i += 1
    return bytes(out[:count])


INPUTS = {
    "splitmix64-seed1-1MiB": lambda: splitmix_bytes(1, 1 << 20),
    "csv-seed2-512KiB": lambda: csv_text(2, 512 * 1024),
}
PARAMS = [(4096, 16384, 65535), (8192, 32768, 131072), (65536, 262144, 1048576), (64, 256, 1024)]

cases = []
for name, make in INPUTS.items():
    data = make()
    for (mn, avg, mx) in PARAMS:
        cdc = PyFastCDC(avg_size=avg, min_size=mn, max_size=mx, normalized_chunking=1)
        chunks = [(c.length, c.gear_hash) for c in cdc.cut_buf(data)]
        assert sum(l for l, _ in chunks) == len(data)
        cases.append({
            "input": name,
            "inputSHA256": hashlib.sha256(data).hexdigest(),
            "min": mn, "avg": avg, "max": mx,
            "lengths": [l for l, _ in chunks],
            "hashes": [str(h) for _, h in chunks],
        })
json.dump({"generator": "pyfastcdc " + getattr(pyfastcdc, "__version__", "0.3.1") + " (pure-Python port of fastcdc-rs v2020)",
           "cases": cases}, sys.stdout, indent=1)
sys.stdout.write("\n")
