# Sourced by the regenerate.sh scripts beside it: tiny local projects that lockfiles name as
# git, URL, wheel and path sources, made and served without any network host. Needs $work
# and $python. Fixed dates make commit shas and archives reproducible. Set BUILD_REQUIRES and
# BUILD_BACKEND before sourcing to build with another backend than hatchling.

export SOURCE_DATE_EPOCH=1700000000 GIT_AUTHOR_DATE="2023-11-14T22:13:20Z" \
    GIT_COMMITTER_DATE="2023-11-14T22:13:20Z"
BUILD_REQUIRES="${BUILD_REQUIRES:-hatchling}"
BUILD_BACKEND="${BUILD_BACKEND:-hatchling.build}"

make_project() {  # name version dependencies: a buildable project in $work/<name>
    mkdir -p "$work/$1/src/$1"
    touch "$work/$1/src/$1/__init__.py"
    printf '[project]\nname = "%s"\nversion = "%s"\nrequires-python = ">=3.11"\ndependencies = [%s]\n\n[build-system]\nrequires = ["%s"]\nbuild-backend = "%s"\n' \
        "$1" "$2" "$3" "$BUILD_REQUIRES" "$BUILD_BACKEND" > "$work/$1/pyproject.toml"
}

make_git_project() {  # name version dependencies: the same, as a git repository tagged v<version>
    make_project "$@"
    git -C "$work/$1" init --quiet
    git -C "$work/$1" add .
    git -C "$work/$1" -c user.name=test -c user.email=test@example.invalid commit --quiet -m init
    git -C "$work/$1" tag "v$2"
}

serve_folder() {  # folder: serve it over HTTP on loopback; sets $port and $server_pid
    port="$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    "$python" -m http.server "$port" --bind 127.0.0.1 --directory "$1" >/dev/null 2>&1 &
    server_pid=$!
    sleep 1
}
