#!/usr/bin/env bash
# System side of `make bench`: the Debian packages the benchmark corpus and the
# harness need. Idempotent; apt-get runs only when something is missing.
#
#   installed with apt-get (small, no services):
#     bible-kjv      the `bible` reader that decodes bible-kjv-text's compressed KJV text
#     bible-kjv-text (pulled in by bible-kjv)
#     fortunes-min   a few hundred fortunes
#     time           GNU /usr/bin/time, for peak RSS
#   fetched with `apt-get download` and unpacked under $BENCH_DIR/src (nothing installed):
#     python3.X-doc      the Python manual as an info file (the one python3-doc depends on)
#     linux-doc-X.Y      the kernel's Documentation/ (rst and txt; translations left out)
#     postgresql-doc-NN  the PostgreSQL manual (HTML)
#     perl-doc           the Perl manual (pod)
#     wordnet-base       WordNet 3.0 (its glosses)
#     dict-gcide, dict-foldoc, dict-jargon, dict-devil
#                        dictd dictionaries (unpacked rather than installed: they
#                        depend on the dictd server)
#
# BENCH_DIR defaults to $HOME/.cache/brine/bench. Progress goes to stderr.
set -euo pipefail

bench_dir="${BRINE_BENCH_DIR:-$HOME/.cache/brine/bench}"
src="$bench_dir/src"
mkdir -p "$src"

sudo_=""
[ "$(id -u)" = 0 ] || sudo_="sudo"

apt_packages="bible-kjv bible-kjv-text fortunes-min time"
missing=""
for p in $apt_packages; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "setup.sh: installing$missing" >&2
  $sudo_ apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq --no-install-recommends $missing >&2
fi

# The versioned package behind a metapackage (python3-doc -> python3.11-doc, ...).
resolve() {
  local meta="$1" prefix="$2" dep
  dep="$(apt-cache depends "$meta" 2>/dev/null | awk -v p="$prefix" '$1 ~ /Depends:/ && index($2, p) == 1 {print $2; exit}')"
  if [ -z "$dep" ]; then
    echo "setup.sh: cannot resolve $meta (run apt-get update?)" >&2
    exit 1
  fi
  echo "$dep"
}

# fetch PACKAGE DEST TAR-PATTERN...: unpack the candidate version's files matching
# the patterns into $src/DEST, unless that exact version is already there.
fetch() {
  local pkg="$1" dest="$2"; shift 2
  local version stamp tmp deb
  version="$(apt-cache policy "$pkg" | awk '/Candidate:/ {print $2}')"
  if [ -z "$version" ] || [ "$version" = "(none)" ]; then
    echo "setup.sh: no candidate for $pkg (run apt-get update?)" >&2
    exit 1
  fi
  stamp="$src/$dest/.package"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$pkg=$version" ]; then
    return 0
  fi
  echo "setup.sh: fetching $pkg=$version" >&2
  tmp="$(mktemp -d)"
  # The download goes to a private temporary directory, so apt need not drop to _apt.
  (cd "$tmp" && apt-get -o APT::Sandbox::User=root download -qq "$pkg=$version" >&2)
  deb="$(ls "$tmp"/*.deb)"
  rm -rf "${src:?}/$dest"
  mkdir -p "$src/$dest"
  dpkg-deb --fsys-tarfile "$deb" \
    | tar -x -C "$src/$dest" --wildcards --exclude='*/translations/*' "$@"
  rm -rf "$tmp"
  echo "$pkg=$version" > "$stamp"
}

python_doc="$(resolve python3-doc python3.)"
linux_doc="$(resolve linux-doc linux-doc-)"
postgresql_doc="$(resolve postgresql-doc postgresql-doc-)"

fetch "$python_doc" python-doc './usr/share/info/*.info*'
fetch "$linux_doc" linux-doc './usr/share/doc/linux-doc-*/Documentation/*.rst.gz' \
                             './usr/share/doc/linux-doc-*/Documentation/*.txt.gz'
fetch "$postgresql_doc" postgresql-doc './usr/share/doc/postgresql-doc-*/html/*.html'
fetch perl-doc perl-doc './usr/share/perl/*/pod/*.pod'
fetch wordnet-base wordnet './usr/share/wordnet/data.*'
for dict in dict-gcide dict-foldoc dict-jargon dict-devil; do
  fetch "$dict" "$dict" './usr/share/dictd/*.dict.dz'
done

command -v bible >/dev/null || { echo "setup.sh: bible not on PATH" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "setup.sh: /usr/bin/time missing" >&2; exit 1; }
echo "setup.sh: ready ($src)" >&2
