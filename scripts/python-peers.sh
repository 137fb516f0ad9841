#!/usr/bin/env bash
# Fetch real Python peers (Django, Flask, Starlette, ...) as Debian packages,
# without touching the system's apt state, and lay them out for the Python each
# peer names to import through PYTHONPATH: Debian's system Python
# (/usr/bin/python3, 3.11) by default; pyenv's 3.13 for Django 6.x, which needs
# Python >= 3.12 (a newer Debian's own Python cannot run on this system's glibc).
#
# Output: .cache/python-peers/peers.json    { "<peer>": ["<dist-packages dir>", ...] }
#         .cache/python-peers/pythons.json  { "<peer>": "<absolute path of its interpreter>" }
#         .cache/python-peers/versions.json { "<peer>": { "<module>": "<version>" } }
# (pythons.json is a file of its own so that peers.json keeps the shape that
# older checkouts sharing this cache read.)
#
# The Debian archive URI is taken from the system's own apt configuration
# (deb822 *.sources or one-line *.list); only the suite is changed.
# Idempotent: packages and index files are cached; a second run only re-checks.
set -euo pipefail

PY=/usr/bin/python3
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The physical path: a worktree's .cache may be a symlink to a shared one, and the paths written
# into peers.json must not depend on which checkout ran the script last.
mkdir -p "$ROOT/.cache"
CACHE="$(cd "$ROOT/.cache" && pwd -P)/python-peers"
APTDIR="$CACHE/apt"
DEBS="$CACHE/debs"
TREES="$CACHE/trees"
BUILD="$CACHE/build"
DEFAULT_KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
# experimental: the only suite with Django 6.x (packages are only ever taken
# from it when a peer names it, as "experimental:package").
SUITES=(bookworm trixie sid experimental)
# Suite whose source package is used to build msgspec for the system Python.
MSGSPEC_SUITE=trixie
# Suite whose source package is used to build _cffi_backend for Python 3.13:
# trixie's and sid's binaries need glibc 2.38 (this system has 2.36), and the
# archive here serves no source of theirs; bookworm's 1.15.1 builds and runs.
CFFI_SUITE=bookworm
SRC_SUITES=("$MSGSPEC_SUITE" "$CFFI_SUITE")
LAYOUT_VERSION=1

log() { printf '[python-peers] %s\n' "$*" >&2; }
die() { printf '[python-peers] ERROR: %s\n' "$*" >&2; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }

[ -x "$PY" ] || die "$PY not found (Debian's system python3 is required)"
PYVER="$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
PYTAG="$("$PY" -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')"

# Interpreters a peer can name: "system" (Debian's /usr/bin/python3) or a
# "X.Y" that pyenv provides (its newest installed X.Y.Z).
declare -A PYTHON_OF=([system]="$PY")
resolve_python() { # key -> PYTHON_OF[key]
  local key=$1 root="" cand="" best=""
  [ -n "${PYTHON_OF[$key]:-}" ] && return 0
  [[ "$key" =~ ^3\.[0-9]+$ ]] || die "unknown Python '$key' (use 'system' or a pyenv X.Y)"
  if command -v pyenv >/dev/null; then root="$(pyenv root)"; else root="${PYENV_ROOT:-$HOME/.pyenv}"; fi
  for cand in "$root/versions/$key".*/bin/"python$key"; do
    [ -x "$cand" ] || continue
    [[ "$cand" =~ /versions/$key\.[0-9]+/bin/ ]] || continue # final releases only (no 3.13.0rc1, no -dev)
    best="$(printf '%s\n%s\n' "$best" "$cand" | sed '/^$/d' | sort -V | tail -n1)"
  done
  [ -n "$best" ] || die "Python $key not found under $root/versions (pyenv): Django 6 needs Python >= 3.12; install it with 'pyenv install $key'"
  "$best" -c 'import ctypes, sqlite3, ssl' 2>/dev/null || die "$best lacks ctypes/sqlite3/ssl (rebuild it with libffi-dev, libsqlite3-dev, libssl-dev)"
  PYTHON_OF[$key]="$best"
}

mkdir -p "$CACHE" "$DEBS" "$TREES" "$BUILD" "$APTDIR"

# ---------------------------------------------------------------------------
# Peer definitions: "suite:package" items, "+peer" (another peer's packages,
# which must run on the same Python) and "+build" (built here: msgspec,
# cffi-backend, pymysql-as-mysqldb). The optional 4th argument names the Python
# the peer runs on (see resolve_python); default "system".
# ---------------------------------------------------------------------------
declare -A PEER_PKGS PEER_CHECK PEER_PY
PEER_ORDER=()
peer() { # name "pkgs..." "python check snippet" [python]
  PEER_ORDER+=("$1"); PEER_PKGS[$1]="$2"; PEER_CHECK[$1]="$3"; PEER_PY[$1]="${4:-system}"
}
B=bookworm T=trixie S=sid E=experimental

# argon2-cffi and bcrypt for Django's Argon2/BCrypt password hashers: bookworm's builds are for the
# system Python 3.11 (later suites build for 3.13), so every Django peer on it takes them from bookworm.
peer hasher-libs "$B:python3-argon2 $B:python3-bcrypt $B:python3-cffi-backend" \
  'import argon2, bcrypt, _cffi_backend; V(argon2=argon2.__version__, bcrypt=bcrypt.__version__)'
# For Python 3.13: trixie's builds are for 3.13 (sid's for 3.14); argon2's extension is cffi's
# abi3 one, on a _cffi_backend built here (trixie's needs glibc 2.38).
peer hasher-libs-3.13 "$T:python3-argon2 $T:python3-bcrypt +cffi-backend" \
  'import argon2, bcrypt, _cffi_backend; V(argon2=argon2.__version__, bcrypt=bcrypt.__version__, cffi_backend=_cffi_backend.__version__)' 3.13

peer db-drivers "$B:python3-psycopg2 $B:python3-mysqldb $B:python3-msgpack" \
  'import psycopg2, MySQLdb, msgpack; V(psycopg2=psycopg2.__version__.split()[0], MySQLdb=MySQLdb.__version__, msgpack=".".join(map(str, msgpack.version)))'
# For Python 3.13 and Django 6: psycopg 3 (pure Python over libpq) for PostgreSQL; for MariaDB,
# PyMySQL standing in for MySQLdb (Django 6 requires mysqlclient >= 2.2.1, Debian ships 1.4.6;
# PyMySQL reports a mysqlclient-compatible version for Django), see make_pymysql_as_mysqldb.
peer db-drivers-3.13 "$S:python3-psycopg $S:python3-pymysql $T:python3-msgpack +pymysql-as-mysqldb" \
  'import psycopg, pymysql, MySQLdb, msgpack
assert MySQLdb is pymysql, MySQLdb
V(psycopg=psycopg.__version__, pymysql=pymysql.VERSION_STRING, msgpack=".".join(map(str, msgpack.version)))' 3.13

DJ_CHECK='from django.conf import settings; settings.configure(PASSWORD_HASHERS=["django.contrib.auth.hashers.Argon2PasswordHasher", "django.contrib.auth.hashers.BCryptSHA256PasswordHasher"])
import django; django.setup()
import django, asgiref, sqlparse, django_redis, redis
import django.contrib.sessions.backends.db, django.contrib.sessions.backends.cache, django_redis.cache, django_redis.serializers.json, django_redis.compressors.zlib
import msgpack, django_redis.serializers.msgpack
import django.db.backends.postgresql.base, django.db.backends.mysql.base
import argon2, bcrypt, django.contrib.auth.hashers as H
assert H.make_password("x", hasher="argon2").startswith("argon2$argon2id$") and H.check_password("x", H.make_password("x", hasher="bcrypt_sha256"))
V(argon2=argon2.__version__, bcrypt=bcrypt.__version__)
V(django=django.get_version(), django_redis=".".join(map(str, django_redis.VERSION)), redis=redis.__version__, asgiref=asgiref.__version__, sqlparse=sqlparse.__version__, msgpack=".".join(map(str, msgpack.version)))'
DJ_C_DRIVERS='import psycopg2, MySQLdb; V(psycopg2=psycopg2.__version__.split()[0], MySQLdb=MySQLdb.__version__)'
DJ_PURE_DRIVERS='import psycopg, pymysql, MySQLdb; assert MySQLdb is pymysql; V(psycopg=psycopg.__version__, pymysql=pymysql.VERSION_STRING)'
peer django-3.2 "$B:python3-django $B:python3-asgiref $B:python3-sqlparse $B:python3-tz $B:python3-django-redis $B:python3-redis $B:python3-async-timeout $B:python3-deprecated $B:python3-wrapt $B:python3-packaging +db-drivers +hasher-libs" \
  "$DJ_CHECK; $DJ_C_DRIVERS; import pytz; V(pytz=pytz.__version__)"
peer django-4.2 "$T:python3-django $T:python3-asgiref $T:python3-sqlparse $T:python3-django-redis $T:python3-redis $T:python3-async-timeout +db-drivers +hasher-libs" "$DJ_CHECK; $DJ_C_DRIVERS"
peer django-5.2 "$S:python3-django $S:python3-asgiref $S:python3-sqlparse $S:python3-django-redis $S:python3-redis $S:python3-async-timeout $S:python3-typing-extensions +db-drivers +hasher-libs" "$DJ_CHECK; $DJ_C_DRIVERS"
# Django 6.1 (experimental) on Python 3.13; no suite carries 6.0.
peer django-6.1 "$E:python3-django $S:python3-asgiref $S:python3-sqlparse $S:python3-django-redis $S:python3-redis +db-drivers-3.13 +hasher-libs-3.13" \
  "$DJ_CHECK; $DJ_PURE_DRIVERS; import _cffi_backend; V(cffi_backend=_cffi_backend.__version__)" 3.13

# The Django apps a Node peer meets (issue 17): django-allauth (account, headless, usersessions),
# Django REST framework and django-axes (with django-ipware), all pure Python, beside Django 5.2
# (system Python) and 6.1 (3.13). sid's allauth 65.19 and DRF 3.18 support both; axes 5.39 is
# the only one Debian has (every suite), and runs on both.
APPS_CHECK='from django.conf import settings
settings.configure(INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions", "django.contrib.messages", "allauth", "allauth.account", "allauth.headless", "allauth.usersessions", "rest_framework", "axes"], AUTHENTICATION_BACKENDS=["axes.backends.AxesStandaloneBackend", "allauth.account.auth_backends.AuthenticationBackend"], MIDDLEWARE=["allauth.account.middleware.AccountMiddleware"], HEADLESS_ONLY=True, HEADLESS_FRONTEND_URLS={})
import django; django.setup()
import allauth, allauth.account.views, allauth.headless.urls, allauth.usersessions.models, rest_framework, rest_framework.authentication, axes, axes.handlers.database, ipware
from importlib.metadata import version as mv
V(allauth=allauth.__version__, rest_framework=rest_framework.__version__, axes=mv("django-axes"), ipware=mv("django-ipware"))'
DJ_APPS="$S:python3-django-allauth $S:python3-djangorestframework $S:python3-django-axes $S:python3-django-ipware"
peer django-apps-5.2 "+django-5.2 $DJ_APPS" "$APPS_CHECK"
peer django-apps-6.1 "+django-6.1 $DJ_APPS" "$APPS_CHECK" 3.13

FL_CHECK='import flask, werkzeug, itsdangerous, jinja2, click, blinker, markupsafe, flask_login
from importlib.metadata import version as mv
V(flask=mv("flask"), werkzeug=mv("werkzeug"), itsdangerous=mv("itsdangerous"), jinja2=jinja2.__version__, click=mv("click"), blinker=mv("blinker"), markupsafe=mv("markupsafe"), flask_login=mv("flask-login"))'
flask_stack() { local s=$1; echo "$s:python3-flask $s:python3-werkzeug $s:python3-itsdangerous $s:python3-jinja2 $s:python3-click $s:python3-blinker $s:python3-markupsafe $s:python3-flask-login"; }
peer flask-2.2 "$(flask_stack $B)" "$FL_CHECK"
peer flask-3.1 "$(flask_stack $S)" "$FL_CHECK"
peer flask-login-0.6.2 "$(flask_stack $B)" "$FL_CHECK"
peer flask-login-0.6.3 "$(flask_stack $S)" "$FL_CHECK"

FS_CHECK='import flask_session, cachelib, redis
from flask_session import Session
from importlib.metadata import version as mv
V(flask_session=mv("flask-session"), cachelib=mv("cachelib"), redis=redis.__version__)'
peer flask-session-0.3 "$(flask_stack $B) $B:python3-flask-session $B:python3-cachelib $B:python3-redis $B:python3-async-timeout $B:python3-deprecated $B:python3-wrapt $B:python3-packaging" \
  "$FL_CHECK; $FS_CHECK"
peer flask-session-0.8 "$(flask_stack $T) $T:python3-flask-session $T:python3-cachelib $T:python3-redis $T:python3-async-timeout +msgspec" \
  "$FL_CHECK; $FS_CHECK; import msgspec, msgspec._core; V(msgspec=msgspec.__version__)"

ST_CHECK='import starlette, anyio, sniffio, idna, typing_extensions, itsdangerous, uvicorn, h11
import starlette.middleware.sessions, starlette.applications
from importlib.metadata import version as mv
V(starlette=starlette.__version__, anyio=mv("anyio"), itsdangerous=mv("itsdangerous"), uvicorn=uvicorn.__version__, h11=h11.__version__)'
st_stack() { local s=$1; echo "$s:python3-starlette $s:python3-anyio $s:python3-sniffio $s:python3-idna $s:python3-typing-extensions $s:python3-itsdangerous $s:python3-uvicorn $s:python3-h11 $s:python3-click"; }
peer starlette-0.26 "$(st_stack $B) $B:python3-asgiref" "$ST_CHECK"
peer starlette-1 "$(st_stack $S)" "$ST_CHECK"

# ---------------------------------------------------------------------------
# Debian archive URI + keyring from the system's apt configuration.
# ---------------------------------------------------------------------------
find_archive() {
  local codename=""
  codename="$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")" || true
  local files=()
  shopt -s nullglob
  files+=(/etc/apt/sources.list.d/*.sources)
  [ -f /etc/apt/sources.list ] && files+=(/etc/apt/sources.list)
  files+=(/etc/apt/sources.list.d/*.list)
  shopt -u nullglob
  [ "${#files[@]}" -gt 0 ] || die "no apt sources found under /etc/apt"
  # Prints "URI<TAB>KEYRING" of the best main-archive entry: Types deb, component
  # main, a plain suite (no -security/-updates), preferring the system codename.
  awk -v codename="$codename" -v defkey="$DEFAULT_KEYRING" '
    function consider(types, uris, suites, comps, key, enabled,   n, i, s, sc, u) {
      if (enabled ~ /^[Nn]o/) return
      if ((" " types " ") !~ / deb /) return
      if ((" " comps " ") !~ / main /) return
      n = split(suites, s, /[ \t]+/)
      for (i = 1; i <= n; i++) {
        if (s[i] == "" || s[i] ~ /[-\/]/) continue
        if (uris ~ /security/) continue
        sc = (s[i] == codename) ? 2 : 1
        split(uris, u, /[ \t]+/)
        if (sc > best) { best = sc; bu = u[1]; bk = (key ~ /^\//) ? key : defkey }
      }
    }
    function flush() { if (inpara) consider(T, U, S, C, K, E); T = U = S = C = K = E = ""; inpara = 0 }
    FNR == 1 { flush(); deb822 = (FILENAME ~ /\.sources$/) }
    deb822 {
      if ($0 ~ /^[ \t]*$/) { flush(); next }
      if ($0 ~ /^#/) next
      if ($0 ~ /^[ \t]/) next   # continuation (e.g. inline key)
      inpara = 1
      f = tolower($0); sub(/:.*/, "", f); v = $0; sub(/^[^:]*:[ \t]*/, "", v)
      if (f == "types") T = v; else if (f == "uris") U = v; else if (f == "suites") S = v
      else if (f == "components") C = v; else if (f == "signed-by") K = v; else if (f == "enabled") E = v
      next
    }
    !deb822 {
      line = $0; sub(/#.*/, "", line)
      if (line !~ /^[ \t]*deb[ \t]/) next
      key = ""
      if (match(line, /\[[^]]*\]/)) {
        opts = substr(line, RSTART + 1, RLENGTH - 2); line = substr(line, 1, RSTART - 1) substr(line, RSTART + RLENGTH)
        if (match(opts, /signed-by=[^ \t]+/)) key = substr(opts, RSTART + 10, RLENGTH - 10)
      }
      n = split(line, w, /[ \t]+/); j = 0
      for (i = 1; i <= n; i++) if (w[i] != "") ww[++j] = w[i]
      comps = ""; for (i = 4; i <= j; i++) comps = comps " " ww[i]
      consider("deb", ww[2], ww[3], comps, key, "")
    }
    END { flush(); if (best) printf "%s\t%s\n", bu, bk }
  ' "${files[@]}"
}

ARCHIVE="$(find_archive)"
[ -n "$ARCHIVE" ] || die "could not find a Debian 'deb ... main' entry in /etc/apt (deb822 or one-line format)"
URI="${ARCHIVE%%$'\t'*}"
KEYRING="${ARCHIVE#*$'\t'}"
[ -r "$KEYRING" ] || die "keyring $KEYRING not readable"

# Private apt configuration: own sources, lists, cache and an empty dpkg status.
SRCLIST="$APTDIR/sources.list"
{
  for s in "${SUITES[@]}"; do echo "deb [signed-by=$KEYRING] $URI $s main"; done
  for s in "${SRC_SUITES[@]}"; do echo "deb-src [signed-by=$KEYRING] $URI $s main"; done
} >"$SRCLIST.new"
mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial" "$APTDIR/state"
APT_OPTS=(
  -o "Dir::Etc::SourceList=$SRCLIST" -o "Dir::Etc::SourceParts=/dev/null"
  -o "Dir::Etc::Preferences=/dev/null" -o "Dir::Etc::PreferencesParts=/dev/null"
  -o "Dir::State=$APTDIR/state" -o "Dir::State::Lists=$APTDIR/lists"
  -o "Dir::State::status=/dev/null" -o "Dir::Cache=$APTDIR/cache"
  -o "Dir::Cache::pkgcache=pkgcache.bin" -o "Dir::Cache::srcpkgcache=srcpkgcache.bin"
  -o "APT::Get::List-Cleanup=false" -o "Acquire::Languages=none"
)
# As root, apt would drop privileges to _apt for downloads, and _apt cannot
# write into this repository's cache; the files are signature-checked anyway.
is_root && APT_OPTS+=(-o "APT::Sandbox::User=root")
papt_get() { apt-get -q "${APT_OPTS[@]}" "$@"; }
papt_cache() { apt-cache "${APT_OPTS[@]}" "$@"; }

lists_ok() {
  local s
  for s in "${SUITES[@]}"; do
    compgen -G "$APTDIR/lists/*_dists_${s}_main_binary-*_Packages*" >/dev/null || return 1
  done
  for s in "${SRC_SUITES[@]}"; do
    compgen -G "$APTDIR/lists/*_dists_${s}_main_source_Sources*" >/dev/null || return 1
  done
}
if ! cmp -s "$SRCLIST.new" "$SRCLIST" || ! lists_ok; then
  mv "$SRCLIST.new" "$SRCLIST"
  log "apt-get update (private lists: ${SUITES[*]} from $URI)"
  out="$(papt_get update 2>&1)" || { printf '%s\n' "$out" >&2; die "apt-get update failed"; }
  if grep -qE '^(W|E):' <<<"$out"; then printf '%s\n' "$out" >&2; fi
  lists_ok || { printf '%s\n' "$out" >&2; die "apt-get update did not produce the package lists (signature problem?)"; }
else
  rm -f "$SRCLIST.new"
fi

# ---------------------------------------------------------------------------
# Download + extract each needed "suite:package" into its own tree.
# ---------------------------------------------------------------------------
declare -A TREE_OF
# Download every missing .deb up front: one apt-get call per suite.
prefetch() {
  local s name item pkg want
  for s in "${SUITES[@]}"; do
    want=()
    for name in "${PEER_ORDER[@]}"; do
      for item in ${PEER_PKGS[$name]}; do
        [ "${item%%:*}" = "$s" ] || continue
        pkg=${item#*:}
        [ -f "$TREES/$s/$pkg/.done" ] && continue
        compgen -G "$DEBS/$s/${pkg}_*.deb" >/dev/null && continue
        case " ${want[*]} " in *" $pkg/$s "*) ;; *) want+=("$pkg/$s") ;; esac
      done
    done
    [ "${#want[@]}" -gt 0 ] || continue
    mkdir -p "$DEBS/$s"
    log "download from $s: ${want[*]}"
    (cd "$DEBS/$s" && papt_get download "${want[@]}" >/dev/null) || die "apt-get download from $s failed"
  done
}
prefetch
ensure_pkg() { # suite:pkg -> sets TREE_OF[suite:pkg] to its dist-packages dir
  local item=$1 suite=${1%%:*} pkg=${1#*:} dir tree deb
  [ -n "${TREE_OF[$item]:-}" ] && return 0
  dir="$DEBS/$suite"; mkdir -p "$dir"
  tree="$TREES/$suite/$pkg"
  if [ ! -f "$tree/.done" ]; then
    deb="$(compgen -G "$dir/${pkg}_*.deb" | head -n1 || true)"
    if [ -z "$deb" ]; then
      log "download $pkg/$suite"
      (cd "$dir" && papt_get download "$pkg/$suite" >/dev/null) || die "apt-get download $pkg/$suite failed"
      deb="$(compgen -G "$dir/${pkg}_*.deb" | head -n1 || true)"
      [ -n "$deb" ] || die "downloaded $pkg/$suite but no .deb found"
    fi
    rm -rf "$tree"; mkdir -p "$tree"
    dpkg-deb -x "$deb" "$tree" || die "dpkg-deb -x $deb failed"
    mkdir -p "$tree/usr/lib/python3/dist-packages"
    basename "$deb" >"$tree/.done"
  fi
  TREE_OF[$item]="$tree/usr/lib/python3/dist-packages"
}

# The include directory of interpreter $1, with Python.h in it (Debian's
# python3.x-dev is installed for the system Python when missing and root).
python_headers() {
  local py=$1 inc ver
  inc="$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')"
  if [ ! -f "$inc/Python.h" ]; then
    [ "$py" = "$PY" ] || die "$inc/Python.h missing: $py was installed without its headers"
    ver="$PYVER"
    if is_root; then
      log "installing python$ver-dev (headers for building C extensions)"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q "python$ver-dev" >/dev/null ||
        { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "python$ver-dev" >/dev/null; } ||
        die "could not install python$ver-dev"
    else
      die "$inc/Python.h missing: run 'apt-get install python$ver-dev' as root (needed to build C extensions)"
    fi
  fi
  command -v gcc >/dev/null || die "gcc is required to build C extensions for $py"
  printf '%s\n' "$inc"
}

# Debian source package $1 from suite $2, unpacked with Debian's patches into
# $3/tree; $3 keeps the downloaded files (the upstream tarball's name carries
# the version).
debian_source() {
  local srcpkg=$1 suite=$2 src=$3 dsc="" full=1
  rm -rf "$src"; mkdir -p "$src"
  log "apt-get source $srcpkg/$suite"
  if (cd "$src" && papt_get source --download-only "$srcpkg/$suite" >"$src/apt.log" 2>&1); then
    dsc="$(compgen -G "$src/${srcpkg}_*.dsc" | head -n1 || true)"
  fi
  if [ -z "$dsc" ]; then
    # Some archive mirrors carry the upstream tarball but not the .dsc /
    # .debian.tar: fall back to the (signature-checked) upstream tarball only.
    full=0
    log "full source package unavailable; using the upstream tarball only (--tar-only)"
    rm -f "$src/${srcpkg}"_*
    (cd "$src" && papt_get source --download-only --tar-only "$srcpkg/$suite" >"$src/apt.log" 2>&1) ||
      { cat "$src/apt.log" >&2; die "apt-get source $srcpkg/$suite failed"; }
  fi
  if [ $full = 1 ] && command -v dpkg-source >/dev/null; then
    (cd "$src" && dpkg-source --no-check -x "$(basename "$dsc")" tree >/dev/null) || die "dpkg-source -x $dsc failed"
  else
    mkdir -p "$src/tree"
    tar -xf "$(compgen -G "$src/${srcpkg}_*.orig.tar.*" | head -n1)" -C "$src/tree" --strip-components=1 || die "cannot unpack the $srcpkg tarball"
    local dt
    dt="$(compgen -G "$src/${srcpkg}_*.debian.tar.*" | head -n1 || true)"
    if [ -n "$dt" ]; then
      tar -xf "$dt" -C "$src/tree"
      if [ -f "$src/tree/debian/patches/series" ]; then
        while read -r p _; do
          case "$p" in '' | '#'*) continue ;; esac
          patch -d "$src/tree" -p1 -s <"$src/tree/debian/patches/$p" || die "patch $p failed"
        done <"$src/tree/debian/patches/series"
      fi
    fi
  fi
}

# Upstream version from a downloaded source's tarball name ($1 dir, $2 source package).
source_version() {
  local ver
  ver="$(basename "$(compgen -G "$1/$2_*.orig.tar.*" | head -n1)")"; ver="${ver#"$2"_}"
  printf '%s\n' "${ver%.orig.tar.*}"
}

# msgspec (a C extension) for the system Python: Debian's binary package only
# carries an extension built for the suite's Python (3.13+), so the extension
# is compiled from Debian's *source* package (with Debian's patches applied)
# against the system python3.x headers; the pure-Python part of the package
# comes from the source tree too.
build_msgspec() { # python-key (only "system")
  [ "$1" = system ] || die "msgspec is built for the system Python only (asked for $1)"
  local out="$BUILD/msgspec-$MSGSPEC_SUITE"
  if [ -f "$out/.done" ] && [ -f "$out/msgspec/_core$PYTAG" ]; then
    TREE_OF[+msgspec@system]="$out"; return 0
  fi
  local inc src="$BUILD/msgspec-src-$MSGSPEC_SUITE"
  inc="$(python_headers "$PY")"
  debian_source python-msgspec "$MSGSPEC_SUITE" "$src"
  [ -f "$src/tree/msgspec/_core.c" ] || die "msgspec/_core.c not found in the source package"
  rm -rf "$out"; mkdir -p "$out"
  cp -r "$src/tree/msgspec" "$out/msgspec"
  rm -f "$out/msgspec/_core.c" "$out/msgspec/"*.h
  log "compiling msgspec/_core.c for Python $PYVER"
  gcc -shared -fPIC -O2 -fwrapv -fno-strict-aliasing -I"$inc" \
    "$src/tree/msgspec/_core.c" -o "$out/msgspec/_core$PYTAG" 2>"$BUILD/msgspec-gcc.log" ||
    { cat "$BUILD/msgspec-gcc.log" >&2; die "compiling msgspec failed"; }
  # Version from the tarball name (upstream uses versioneer / git metadata).
  local ver
  ver="$(source_version "$src" python-msgspec)"
  if [ -f "$out/msgspec/_version.py" ]; then
    printf 'def get_versions():\n    return {"version": "%s", "full-revisionid": None, "dirty": False, "error": None, "date": None}\n' "$ver" >"$out/msgspec/_version.py"
  fi
  mkdir -p "$out/msgspec-$ver.dist-info"
  printf 'Metadata-Version: 2.1\nName: msgspec\nVersion: %s\n' "$ver" >"$out/msgspec-$ver.dist-info/METADATA"
  rm -rf "$src/tree"
  touch "$out/.done"
  TREE_OF[+msgspec@system]="$out"
}

# _cffi_backend (cffi's C module, which argon2-cffi's extension loads) for
# pyenv's Python: the only Debian builds for 3.13 need glibc 2.38, so it is
# compiled from Debian's source package of $CFFI_SUITE. That cffi (1.15.1)
# predates Python 3.13, which made _PyErr_WriteUnraisableMsg private; cffi
# only calls it to report an exception raised inside a C callback (which
# argon2 never uses), and PyErr_WriteUnraisable does the same without the
# message prefix.
build_cffi_backend() { # python-key
  local key=$1 py tag
  py="${PYTHON_OF[$key]}"
  tag="$("$py" -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')"
  local out="$BUILD/cffi-backend-$CFFI_SUITE-py$key"
  if [ -f "$out/.done" ] && [ -f "$out/_cffi_backend$tag" ]; then
    TREE_OF[+cffi-backend@$key]="$out"; return 0
  fi
  local inc src="$BUILD/cffi-src-$CFFI_SUITE"
  inc="$(python_headers "$py")"
  [ -f /usr/include/ffi.h ] || [ -f "/usr/include/$(gcc -dumpmachine)/ffi.h" ] ||
    die "ffi.h missing: run 'apt-get install libffi-dev' as root (needed to build _cffi_backend)"
  debian_source python-cffi "$CFFI_SUITE" "$src"
  [ -f "$src/tree/c/_cffi_backend.c" ] || die "c/_cffi_backend.c not found in the python-cffi source package"
  rm -rf "$out"; mkdir -p "$out"
  log "compiling _cffi_backend $(source_version "$src" python-cffi) for Python $key ($py)"
  gcc -shared -fPIC -O2 -fwrapv -fno-strict-aliasing -Werror=implicit-function-declaration \
    '-D_PyErr_WriteUnraisableMsg(msg, obj)=PyErr_WriteUnraisable(obj)' -I"$inc" \
    "$src/tree/c/_cffi_backend.c" -lffi -o "$out/_cffi_backend$tag" 2>"$BUILD/cffi-gcc.log" ||
    { cat "$BUILD/cffi-gcc.log" >&2; die "compiling _cffi_backend failed"; }
  rm -rf "$src/tree"
  touch "$out/.done"
  TREE_OF[+cffi-backend@$key]="$out"
}

# A MySQLdb package that is PyMySQL: Django's MySQL backend imports MySQLdb
# (mysqlclient) and requires >= 2.2.1, which Debian does not ship; PyMySQL's
# install_as_MySQLdb() is its documented way to stand in for it.
build_pymysql_as_mysqldb() { # python-key (any: pure Python)
  local out="$BUILD/pymysql-as-mysqldb"
  local body='# Written by scripts/python-peers.sh: Django'\''s MySQL backend imports MySQLdb; this is PyMySQL.
import pymysql

pymysql.install_as_MySQLdb()
'
  if [ "$(cat "$out/MySQLdb/__init__.py" 2>/dev/null)" != "${body%$'\n'}" ]; then
    mkdir -p "$out/MySQLdb"
    printf '%s' "$body" >"$out/MySQLdb/__init__.py"
  fi
  TREE_OF[+pymysql-as-mysqldb@$1]="$out"
}

# Shared libraries of C extensions (libpq5, libmariadb3) must be present.
check_shared_libs() {
  local so missing=() lib
  for so in "$@"; do
    while read -r lib; do missing+=("$lib"); done < <(ldd "$so" 2>/dev/null | awk '/not found/ {print $1}')
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  local pkgs=() l
  for l in "${missing[@]}"; do
    case "$l" in
      libpq.so.*) pkgs+=(libpq5) ;;
      libmariadb.so.*) pkgs+=(libmariadb3) ;;
      libargon2.so.*) pkgs+=(libargon2-1) ;;
      *) die "shared library $l needed by a C extension is missing" ;;
    esac
  done
  if is_root; then
    log "installing ${pkgs[*]} (shared libraries for the DB drivers)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${pkgs[@]}" >/dev/null ||
      { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${pkgs[@]}" >/dev/null; } ||
      die "could not install ${pkgs[*]}"
  else
    die "missing shared libraries ${missing[*]}: run 'apt-get install ${pkgs[*]}' as root"
  fi
}

declare -A PEER_PATH
resolve_peer() { # name -> PEER_PATH[name] (colon-separated, ordered, unique)
  local name=$1 item sub p d out=() seen=" " parts=() key="${PEER_PY[$1]}"
  [ -n "${PEER_PATH[$name]:-}" ] && return 0
  resolve_python "$key"
  read -r -a parts <<<"${PEER_PKGS[$name]}"
  for item in "${parts[@]}"; do
    case "$item" in
      +msgspec | +cffi-backend | +pymysql-as-mysqldb)
        sub="${item#+}"; "build_${sub//-/_}" "$key"; p="${TREE_OF[$item@$key]}" ;;
      +*)
        sub="${item#+}"
        [ -n "${PEER_PKGS[$sub]:-}" ] || die "peer $name: no peer named $sub"
        [ "${PEER_PY[$sub]}" = "$key" ] || die "peer $name (Python $key) includes $sub, which runs on Python ${PEER_PY[$sub]}"
        resolve_peer "$sub"; p="${PEER_PATH[$sub]}" ;;
      *) ensure_pkg "$item"; p="${TREE_OF[$item]}" ;;
    esac
    IFS=: read -r -a dirs <<<"$p"
    for d in "${dirs[@]}"; do
      case "$seen" in *" $d "*) ;; *) out+=("$d"); seen+="$d " ;; esac
    done
  done
  PEER_PATH[$name]="$(IFS=:; echo "${out[*]}")"
}

for name in "${PEER_ORDER[@]}"; do resolve_peer "$name"; done

check_shared_libs $(find "$TREES/bookworm/python3-psycopg2" "$TREES/bookworm/python3-mysqldb" "$TREES/bookworm/python3-argon2" \
  "$TREES/trixie/python3-argon2" "$TREES/trixie/python3-bcrypt" "$TREES/trixie/python3-msgpack" "$BUILD/cffi-backend-$CFFI_SUITE-py3.13" -name '*.so')

# peers.json and pythons.json, each replaced in one rename.
{
  printf '{\n'
  first=1
  for name in "${PEER_ORDER[@]}"; do
    [ $first = 1 ] || printf ',\n'; first=0
    printf '  "%s": [' "$name"
    IFS=: read -r -a dirs <<<"${PEER_PATH[$name]}"
    sep=""
    for d in "${dirs[@]}"; do printf '%s\n    "%s"' "$sep" "$d"; sep=","; done
    printf '\n  ]'
  done
  printf '\n}\n'
} >"$CACHE/peers.json.new"
{
  printf '{\n'
  first=1
  for name in "${PEER_ORDER[@]}"; do
    [ $first = 1 ] || printf ',\n'; first=0
    printf '  "%s": "%s"' "$name" "${PYTHON_OF[${PEER_PY[$name]}]}"
  done
  printf '\n}\n'
} >"$CACHE/pythons.json.new"
mv "$CACHE/peers.json.new" "$CACHE/peers.json"
mv "$CACHE/pythons.json.new" "$CACHE/pythons.json"

# ---------------------------------------------------------------------------
# Sanity check: every peer imports with its Python, from the cache only.
# ---------------------------------------------------------------------------
print_summary() {
  "$PY" - "$CACHE/versions.json" <<'PYEOF'
import json, sys
for name, v in json.load(open(sys.argv[1])).items():
    print("%-18s %s" % (name, " ".join("%s=%s" % kv for kv in sorted(v.items()))))
PYEOF
}

# Fast path: nothing changed since the last full import check (same script,
# same peers.json and pythons.json, same Pythons, all trees present) -> just
# print the summary. Set PEERS_VERIFY=1 (or pass --verify) to force the full check.
STAMP_NEW="$( {
  cat "${BASH_SOURCE[0]}" "$CACHE/peers.json" "$CACHE/pythons.json"
  for key in $(printf '%s\n' "${!PYTHON_OF[@]}" | sort); do "${PYTHON_OF[$key]}" -VV; done
} | sha256sum | cut -d' ' -f1)"
if [ "${1:-}" != "--verify" ] && [ "${PEERS_VERIFY:-0}" != 1 ] && [ -f "$CACHE/versions.json" ] &&
  [ "$(cat "$CACHE/.verified" 2>/dev/null)" = "$STAMP_NEW" ]; then
  print_summary
  log "ok (cached; PEERS_VERIFY=1 to re-run the import check): $CACHE/peers.json"
  exit 0
fi
rm -f "$CACHE/.verified"

CHECK_PRELUDE='import json, sys, os
_vers = {}
def V(**kw): _vers.update({k: str(v) for k, v in kw.items()})
'
CHECK_EPILOGUE='
cache = os.environ["PEERS_CACHE"]
bad = []
for name, mod in list(sys.modules.items()):
    f = getattr(mod, "__file__", None) or ""
    top = name.split(".")[0]
    if top in ("django", "flask", "werkzeug", "starlette", "redis", "django_redis", "flask_session", "flask_login", "msgspec", "psycopg2", "psycopg", "MySQLdb", "pymysql", "msgpack", "anyio", "asgiref", "itsdangerous", "jinja2", "cachelib", "uvicorn", "argon2", "bcrypt", "_cffi_backend", "allauth", "rest_framework", "axes", "ipware") and f and not f.startswith(cache):
        bad.append("%s from %s" % (name, f))
if bad:
    sys.exit("imported from outside the peer cache: " + ", ".join(sorted(bad)[:5]))
print(json.dumps(_vers, sort_keys=True))
'
CHKDIR="$CACHE/check"; rm -rf "$CHKDIR"; mkdir -p "$CHKDIR"
pids=()
for name in "${PEER_ORDER[@]}"; do
  (
    cd "$CHKDIR"
    PYTHONPATH="${PEER_PATH[$name]}" PYTHONDONTWRITEBYTECODE=1 PYTHONNOUSERSITE=1 PEERS_CACHE="$CACHE/" \
      "${PYTHON_OF[${PEER_PY[$name]}]}" -c "$CHECK_PRELUDE${PEER_CHECK[$name]}$CHECK_EPILOGUE" >"$CHKDIR/$name.out" 2>"$CHKDIR/$name.err"
  ) &
  pids+=($!)
done
fail=0
i=0
for name in "${PEER_ORDER[@]}"; do
  if ! wait "${pids[$i]}"; then
    fail=1
    log "peer $name FAILED to import with ${PYTHON_OF[${PEER_PY[$name]}]}:"
    sed 's/^/    /' "$CHKDIR/$name.err" >&2
  fi
  i=$((i + 1))
done
[ $fail = 0 ] || die "one or more peers are broken (see above); delete $CACHE to start over"

{
  printf '{\n'; first=1
  for name in "${PEER_ORDER[@]}"; do
    [ $first = 1 ] || printf ',\n'; first=0
    printf '  "%s": %s' "$name" "$(cat "$CHKDIR/$name.out")"
  done
  printf '\n}\n'
} >"$CACHE/versions.json"

print_summary
rm -rf "$CHKDIR"
echo "$STAMP_NEW" >"$CACHE/.verified"
log "ok: $CACHE/peers.json, pythons.json ($(for key in $(printf '%s\n' "${!PYTHON_OF[@]}" | sort); do printf '%s ' "${PYTHON_OF[$key]}"; done))"
