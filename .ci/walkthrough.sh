#!/usr/bin/env bash
# The end-to-end walk-through: a real project in a temporary directory, every step as a user types it.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
bash "$here/.ci/setup.sh"
swift build --package-path "$here" >/dev/null
bin="$(swift build --package-path "$here" --show-bin-path)/lineage"
project="$(mktemp -d)"
# lineage init creates the user's signing key under $XDG_CONFIG_HOME; the demo uses a scratch one.
export XDG_CONFIG_HOME="$(mktemp -d)"
trap 'rm -rf "$project" "$XDG_CONFIG_HOME"' EXIT
cd "$project"
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
# A step that is meant to fail (a blocked commit, an audit with findings): show its exit code.
fails() { printf '\n\033[1m$ %s\033[0m\n' "$*"; if "$@"; then echo "(expected a failure)"; exit 1; else echo "(exit code $?, as expected)"; fi; }
lineage() { "$bin" "$@"; }

echo "Walk-through in $project"
step lineage init
step lineage config user.name "Walk Through"
step lineage config user.email walk@example.org
mkdir -p data
python3 - <<'PY'
import random
random.seed(7)
with open("data/train.csv", "w") as f:
    f.write("id,age,income,label\n")
    for i in range(200000):
        f.write(f"{i},{random.randint(18,90)},{random.randint(1000,200000)},{random.randint(0,1)}\n")
PY
step ls -l data
cat > train.meta.yaml <<'YAML'
source: https://example.org/loans-2024
collected: 2024-01/2024-06
method: survey
legal-basis: consent
consent: { status: granted, scope: [training, evaluation], evidence: https://example.org/consent-v3.pdf }
license: CC-BY-4.0
retention-until: 2030-12-31
steward: data-steward@example.org
YAML
step lineage add data/train.csv --kind dataset --meta train.meta.yaml
step lineage status
step lineage commit -m "Add the training set"
step lineage rights show data/train.csv
echo
echo "... validators as pre-commit hooks: a schema inferred from the data, quality, PII and consent policy"
step lineage schema infer data/train.csv -o train.schema.json
cat > lineage.yaml <<'YAML'
hooks:
  pre-commit:
    - schema:  { path: data/train.csv, schema: train.schema.json, drift: fail }
    - quality: { path: "data/*.csv", max-missing: 0.05, max-duplicate-rows: 0, max-row-change: 0.5 }
    - pii:     { path: "data/**" }
    - consent: { require-rights: [dataset] }
YAML
step cat lineage.yaml
step lineage hooks list
# The schema travels with the project, so a teammate's clone checks against the same one.
step lineage add train.schema.json --kind other
step lineage commit -m "Validate datasets before every commit"
cp data/train.csv /tmp/lineage-walkthrough-train.csv
printf '200000,old,50000,1\n' >> data/train.csv
step lineage add data/train.csv
fails lineage commit -m "A row with a bad age"
cp /tmp/lineage-walkthrough-train.csv data/train.csv && rm /tmp/lineage-walkthrough-train.csv
step lineage add data/train.csv
echo "... 1,000 rows relabelled in the middle, 2,000 appended"
python3 - <<'PY'
lines = open("data/train.csv").read().splitlines(True)
for i in range(100000, 101000):
    f = lines[i].rstrip("\n").split(","); f[3] = str(1 - int(f[3])); lines[i] = ",".join(f) + "\n"
lines += [f"{200000+i},30,50000,1\n" for i in range(2000)]
open("data/train.csv", "w").write("".join(lines))
PY
step lineage status
step lineage add data/train.csv
step lineage commit -m "Relabel 1,000 rows and append 2,000"
step lineage log
step lineage diff HEAD~1 HEAD
step lineage show HEAD:data/train.csv
step sha256sum data/train.csv
step lineage checkout HEAD~1
step sha256sum data/train.csv
step lineage status
step lineage checkout main
echo
echo "... the project's code is a git repository; a training run is recorded with its provenance"
git init -q -b main . && printf '.lineage/\nmodels/\ndata/\n' > .gitignore
cat > train.py <<'PY'
import csv, json, os
rows = list(csv.DictReader(open("data/train.csv")))
positive = sum(int(r["label"]) for r in rows)
os.makedirs("models", exist_ok=True)
json.dump({"rows": len(rows), "prior": positive / len(rows)}, open("models/model.json", "w"))
print(f"trained on {len(rows)} rows")
PY
git add .gitignore train.py && git -c user.name=Dev -c user.email=dev@example.org commit -qm "training code"
step lineage run --name train -i data/train.csv -o models/model.json -- python3 train.py
step lineage show HEAD:models/model.json --provenance
step lineage attest models/model.json -o model.intoto.json
step lineage rights show models/model.json
step lineage datasheet data/train.csv
step lineage trace models/model.json
step lineage impact data/train.csv --all-versions
echo
echo "... a data subject withdraws consent: what was built from the data?"
step lineage consent withdraw data/train.csv --reason "withdrawal request WR-2025-001"
fails lineage audit --use training
first="$(git --git-dir .lineage rev-list --max-parents=0 HEAD)"
step lineage erase "data/train.csv@$first" --reason "withdrawal request WR-2025-001: the first version"
fails lineage cat "$first:data/train.csv"
step lineage trust list
step lineage gc
step lineage verify
step git --git-dir .lineage log --oneline
step git --git-dir .lineage fsck --strict
step git --git-dir .lineage -c gpg.format=ssh -c gpg.ssh.allowedSignersFile=.lineage/allowed_signers verify-commit HEAD
echo
echo "... a teammate: Bob clones from the team's bare repository, both change data, a concurrent push is refused, pull merges"
team="$(mktemp -d)"
bobhome="$(mktemp -d)"
trap 'rm -rf "$project" "$XDG_CONFIG_HOME" "$team" "$bobhome"' EXIT
ssh-keygen -q -t ed25519 -N "" -C bob@example.org -f "$bobhome/bob"
step lineage trust add bob@example.org "$bobhome/bob.pub"
step lineage remote add origin "$team/team.git"
step lineage push
fp="$(git --git-dir .lineage show "$first:.lineage/allowed_signers" | awk '{print $(NF-1), $NF}' | head -1 | ssh-keygen -lf - | awk '{print $2}')"
bob() { (cd "$team/bob" && XDG_CONFIG_HOME="$bobhome/config" "$bin" "$@"); }
step lineage clone "$team/team.git" "$team/bob" --trust-root "$fp"
step bob config user.name "Bob"
step bob config user.email bob@example.org
step bob config user.signingkey "$bobhome/bob"
printf 'id,note\n1,holdout drawn with seed 7\n' > "$team/bob/notes.csv"
step bob add notes.csv --license CC0-1.0
step bob commit -m "Bob: notes on the holdout"
step bob push
printf 'id,threshold\n1,0.5\n' > thresholds.csv
step lineage add thresholds.csv --license CC0-1.0
step lineage commit -m "Decision thresholds"
fails lineage push
step lineage pull
step lineage log
step lineage push
step bob pull
step bob verify
step lineage verify
step git --git-dir .lineage -c gpg.format=ssh -c gpg.ssh.allowedSignersFile=.lineage/allowed_signers verify-commit HEAD
step lineage report models/model.json -o report.html
step ls -l report.html
keep="${TMPDIR:-/tmp}/lineage-walkthrough-report.html"
cp report.html "$keep"
echo "The report is kept at $keep (the project itself is deleted now)."
echo
echo "Walk-through finished: every step above ran against $bin."
