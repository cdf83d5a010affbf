#!/usr/bin/env bash
# Zip the macro code (built by macro/Makefile, as `sam build` does) and upload it to one bucket per region.
#
#   org/package.sh [--dry-run] [--hook] BUCKET_PREFIX REGION [REGION ...]
#
# --hook packages the hook function instead (macro/Makefile build-HookFunction: the package with its
# hook and PyYAML for arm64); its key goes to the org template's HookArtifactKey.
#
# Buckets are named BUCKET_PREFIX-REGION (Lambda reads code only from a bucket in the
# function's own region). The key carries the package version and a hash of the sources,
# so a code change always gives a new ArtifactKey
# (which is what makes `update-stack-set` update the functions) and re-running with
# unchanged code uploads the same key again.
#
# The last line of stdout is the ArtifactKey to pass to the StackSet.
# --dry-run builds the zip and prints the upload commands instead of running them.
# Needs python3 (3.11+) and, unless --dry-run, the AWS CLI with s3:PutObject on the buckets.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
dry_run=false
target=MacroFunction
name=auto-invoke-permission
while [[ "${1:-}" == --* ]]; do
  case "$1" in
    --dry-run) dry_run=true ;;
    --hook) target=HookFunction; name=auto-invoke-permission-hook ;;
    *) echo "org/package.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
if [[ $# -lt 2 ]]; then
  echo "usage: org/package.sh [--dry-run] [--hook] BUCKET_PREFIX REGION [REGION ...]" >&2
  exit 2
fi
prefix="$1"
shift

out_dir="$repo/build/org"
mkdir -p "$out_dir"
zip_path="$out_dir/$name.zip"

# The same artifact as `sam build`: macro/Makefile (its allow-list of the modules the handler
# imports, plus python3.13 bytecode when that interpreter is here).
artifacts="$(mktemp -d)"
trap 'rm -rf "$artifacts"' EXIT
make -s -C "$repo/macro" "build-$target" ARTIFACTS_DIR="$artifacts" >&2

# Zip with sorted entries and fixed timestamps and modes.
key="$(python3 - "$repo" "$zip_path" "$artifacts" "$name" <<'PY'
import hashlib
import sys
import tomllib
import zipfile
from pathlib import Path

repo, zip_path, root, name = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
files = sorted(p for p in root.rglob("*") if p.is_file())
with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
    for path in files:
        info = zipfile.ZipInfo(path.relative_to(root).as_posix(), date_time=(1980, 1, 1, 0, 0, 0))
        info.external_attr = 0o644 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, path.read_bytes())
version = tomllib.loads((repo / "pyproject.toml").read_text())["project"]["version"]
# the key follows the sources: bytecode is equivalent but not byte-for-byte stable across builds
sources = hashlib.sha256()
for path in files:
    if path.suffix == ".py":
        sources.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
digest = sources.hexdigest()[:16]
print(f"{name}/{version}-{digest}.zip")
PY
)"
echo "built $zip_path" >&2

for region in "$@"; do
  cmd=(aws s3 cp "$zip_path" "s3://$prefix-$region/$key" --region "$region")
  if $dry_run; then
    echo "${cmd[*]}" >&2
  else
    "${cmd[@]}" >&2
  fi
done

echo "$key"
