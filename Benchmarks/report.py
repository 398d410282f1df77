#!/usr/bin/env python3
"""Turn run.sh's (or remote.sh's, with --suite remote) results.tsv/meta.tsv into
a plain-text table (stdout) and a Markdown file.  Ratios are computed here from
numbers of the same run."""
import argparse
import os

# (benchmark, tool label, key, unit, ratio-to key, ratio-to label, target)
# target: None, or (op, number, kind) with kind "ratio" (value/ratio-to) or "abs" (value);
# op is "<", "<=" or ">=".  Units: s, %, MiB/s, req, req/GiB, x.
ROWS = [
    ("B1", "cp (I/O floor)", "b1.cp", "s", "b1.cp", "cp", None),
    ("B1", "cp + fsync (durable floor)", "b1.cp_fsync", "s", "b1.cp", "cp", None),
    ("B1", "openssl dgst -sha256 (hash floor)", "b1.openssl", "s", "b1.cp", "cp", None),
    ("B1", "one SHA-256 pass in memory (openssl speed, 1 core)", "b1.sha256_mem", "s", "b1.cp", "cp", None),
    ("B1", "lineage add", "b1.lineage", "s", "b1.cp", "cp", ("<=", 1.3, "ratio")),
    ("B1", "dvc add", "b1.dvc", "s", "b1.cp", "cp", None),
    ("B1", "git lfs track + git add", "b1.gitlfs", "s", "b1.cp", "cp", None),
    ("B2", "git add", "b2.git_add", "s", None, None, None),
    ("B2", "git add + commit", "b2.git_add_commit", "s", None, None, None),
    ("B2", "dvc add (dir)", "b2.dvc_add", "s", None, None, None),
    ("B2", "lineage add", "b2.lineage_add", "s", "b2.git_add", "git add", ("<", 1.0, "ratio")),
    ("B2", "lineage add", "b2.lineage_add", "s", "b2.dvc_add", "dvc add", ("<=", 0.1, "ratio")),
    ("B2", "lineage add + commit", "b2.lineage_add_commit", "s", "b2.git_add_commit", "git add+commit", None),
    ("B3", "git status", "b3.git_status", "s", None, None, None),
    ("B3", "dvc status", "b3.dvc_status", "s", None, None, None),
    ("B3", "lineage status", "b3.lineage_status", "s", None, None, ("<", 0.5, "abs")),
    ("B3", "lineage status", "b3.lineage_status", "s", "b3.dvc_status", "dvc status", ("<=", 0.1, "ratio")),
    ("B4", "lineage (new bytes in .lineage/content)", "b4.lineage", "%", None, None, ("<=", 5.0, "abs")),
    ("B4", "dvc (growth of .dvc/cache)", "b4.dvc", "%", None, None, None),
    ("B4", "git lfs (growth of .git/lfs/objects)", "b4.gitlfs", "%", None, None, None),
    ("B5", "cp (floor)", "b5.cp", "s", "b5.cp", "cp", None),
    ("B5", "cp + fsync (durable floor)", "b5.cp_fsync", "s", "b5.cp", "cp", None),
    ("B5", "lineage checkout", "b5.lineage", "s", "b5.cp", "cp", ("<=", 1.5, "ratio")),
    ("B5", "dvc checkout", "b5.dvc", "s", "b5.cp", "cp", None),
    ("B5", "git checkout (lfs smudge)", "b5.gitlfs", "s", "b5.cp", "cp", None),
]
# Benchmarks/remote.sh (issue 14): lineage push/clone against a moto_server started by
# the script, DVC (dvc-s3) and `aws s3 cp` measured in the same run on the same server.
REMOTE_ROWS = [
    ("R1", "dvc push (dvc-s3)", "r1.dvc", "s", None, None, None),
    ("R1", "lineage push", "r1.lineage", "s", "r1.dvc", "dvc push", ("<=", 0.1, "ratio")),
    ("R1", "dvc push: S3 requests per GiB", "r1.dvc_rpg", "req/GiB", None, None, None),
    ("R1", "lineage push: S3 requests per GiB", "r1.lineage_rpg", "req/GiB", None, None, ("<=", 30, "abs")),
    ("R2", "aws s3 cp (upload)", "r2.aws_up", "MiB/s", None, None, None),
    ("R2", "lineage push", "r2.lineage_push", "MiB/s", "r2.aws_up", "aws s3 cp", (">=", 0.8, "ratio")),
    ("R2", "aws s3 cp (download)", "r2.aws_down", "MiB/s", None, None, None),
    ("R2", "lineage clone (with content)", "r2.lineage_clone", "MiB/s", "r2.aws_down", "aws s3 cp", (">=", 0.8, "ratio")),
    ("R3", "dvc push: S3 requests", "r3.dvc_requests", "req", None, None, None),
    ("R3", "dvc push", "r3.dvc", "s", None, None, None),
    ("R3", "lineage push: S3 requests", "r3.lineage_requests", "req", None, None, ("<=", 5, "abs")),
    ("R3", "lineage push: LISTs that cover packs/", "r3.lineage_pack_lists", "req", None, None, ("<=", 0, "abs")),
    ("R3", "lineage push", "r3.lineage", "s", "r3.dvc", "dvc push", None),
    ("R4", "dvc push: bytes sent by the 2nd push", "r4.dvc", "%", None, None, None),
    ("R4", "lineage push: bytes sent by the 2nd push", "r4.lineage", "%", None, None, ("<=", 5.0, "abs")),
    ("R5", "lineage clone -- 1% of paths: pack bytes read / bytes asked", "r5.lineage", "x", None, None, ("<=", 1.5, "abs")),
]
SUITES = {"local": ROWS, "remote": REMOTE_ROWS}
HEADER = ["benchmark", "tool", "value", "ratio", "target", "result", "notes"]


def load(path):
    rows = {}
    if path and os.path.exists(path):
        for line in open(path):
            parts = line.rstrip("\n").split("\t")
            parts += [""] * (4 - len(parts))
            rows[parts[0]] = parts[1:4]  # last one wins
    return rows


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def fmt_val(v, unit):
    if unit == "%":
        return "%.2f %%" % v
    if unit == "MiB/s":
        return "%.1f MiB/s" % v
    if unit == "req":
        return "%d" % v
    if unit == "req/GiB":
        return "%.1f req/GiB" % v
    if unit == "x":
        return "%.2fx" % v
    return "%.3f s" % v if v < 10 else "%.2f s" % v


def unit_word(unit):
    return {"s": "s", "%": "%", "req": "requests"}.get(unit, unit)


def build(results, rows=ROWS):
    out = []
    for bench, label, key, unit, rkey, rlabel, target in rows:
        if key not in results:
            continue
        value, rss, note = results[key]
        v = num(value)
        notes = []
        if note:
            notes.append(note)
        if rss and num(rss):
            notes.append("peak RSS %.0f MiB" % (num(rss) / 1024))
        first = results.get(key + "_first")
        if first and num(first[0]) is not None:
            notes.append("1st run %s" % fmt_val(num(first[0]), unit))
        ratio_s, target_s, result = "", "", ""
        ratio = None
        if v is not None and rkey:
            base = num(results.get(rkey, [None])[0])
            if base:
                ratio = v / base
                ratio_s = "%.2fx %s" % (ratio, rlabel)
            elif rkey != key:
                ratio_s = "n/a (no %s)" % rlabel
        if target:
            op, tv, kind = target
            if kind == "ratio":
                target_s = "%s %gx %s" % (op, tv, rlabel)
                got = ratio
            else:
                target_s = "%s %g %s" % (op, tv, unit_word(unit))
                got = v
            if v is None:
                result = "FAIL" if value == "ERR" else "n/a"
            elif got is None:
                result = "n/a"
            else:
                ok = {"<": got < tv, "<=": got <= tv, ">=": got >= tv}[op]
                result = "PASS" if ok else "MISS"
        if v is not None:
            vs = fmt_val(v, unit)
        else:
            vs = "ERROR" if value == "ERR" else value
        out.append([bench, label, vs, ratio_s, target_s, result, "; ".join(notes)])
    return out


def plain(rows):
    widths = [max(len(r[i]) for r in rows + [HEADER]) for i in range(len(HEADER) - 1)]
    lines = []
    def line(r):
        return "  ".join(c.ljust(w) for c, w in zip(r[:-1], widths)) + "  " + r[-1]
    lines.append(line(HEADER))
    lines.append("  ".join("-" * w for w in widths) + "  -----")
    prev = None
    for r in rows:
        if prev and r[0] != prev:
            lines.append("")
        prev = r[0]
        lines.append(line(r))
    return "\n".join(lines)


def markdown(rows, meta, failures, suite="local"):
    if suite == "remote":
        md = ["# lineage remote benchmark results (latest run)", ""]
        md.append("Produced by `bash Benchmarks/remote.sh`; every ratio compares numbers measured in this same run, "
                  "against the same moto_server on the same disk (see Benchmarks/README.md).")
    else:
        md = ["# lineage benchmark results (latest run)", ""]
        md.append("Produced by `bash Benchmarks/run.sh`; every ratio compares numbers measured in this same run. "
                  "Times are wall-clock seconds, best of N, page cache warm (see Benchmarks/README.md).")
    md.append("")
    for k, v in meta:
        md.append("- **%s**: %s" % (k, v.replace("|", "\\|")))
    md.append("")
    md.append("| " + " | ".join(HEADER) + " |")
    md.append("|" + "|".join("---" for _ in HEADER) + "|")
    for r in rows:
        md.append("| " + " | ".join(c.replace("|", "\\|") for c in r) + " |")
    md.append("")
    if failures.strip():
        md.append("## Failures")
        md.append("")
        md.append("```")
        md.append(failures.strip())
        md.append("```")
        md.append("")
    return "\n".join(md)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--meta")
    ap.add_argument("--failures")
    ap.add_argument("--markdown")
    ap.add_argument("--suite", choices=sorted(SUITES), default="local")
    a = ap.parse_args()
    results = load(a.results)
    meta = []
    if a.meta and os.path.exists(a.meta):
        for line in open(a.meta):
            k, _, v = line.rstrip("\n").partition("\t")
            meta.append((k, v))
    failures = open(a.failures).read() if a.failures and os.path.exists(a.failures) else ""
    rows = build(results, SUITES[a.suite])
    print()
    print(plain(rows) if rows else "(no results)")
    if failures.strip():
        print("\nFailures (exact command, cwd, stderr):\n" + failures.strip())
    print()
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write(markdown(rows, meta, failures, a.suite))


if __name__ == "__main__":
    main()
