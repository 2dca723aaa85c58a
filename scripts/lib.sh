# Shared by scripts/run and scripts/test.

# Makes cargo available and checks the Rust version (the workspace needs 1.95+).
need_rust() {
    if ! command -v cargo >/dev/null 2>&1 && [ -f "$HOME/.cargo/env" ]; then
        # shellcheck disable=SC1091
        . "$HOME/.cargo/env"
    fi
    if ! command -v cargo >/dev/null 2>&1; then
        echo "error: Rust is not installed. Install Rust 1.95 or newer with rustup (https://rustup.rs), then run this again." >&2
        exit 1
    fi
    local v
    v=$(rustc --version | awk '{print $2}')
    if [ "$(printf '%s\n1.95.0\n' "$v" | sort -V | head -n1)" != "1.95.0" ]; then
        echo "error: Rust $v is too old; Orthrus needs 1.95 or newer (rustup update stable)." >&2
        exit 1
    fi
}

# apt-get install, once per run, only the packages that are missing.
APT_UPDATED=0
apt_install() {
    local missing=()
    for p in "$@"; do
        dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "error: missing Debian packages: ${missing[*]} (run as root, or install them with apt-get)" >&2
        exit 1
    fi
    if [ "$APT_UPDATED" -eq 0 ]; then
        apt-get update -qq
        APT_UPDATED=1
    fi
    echo "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}
