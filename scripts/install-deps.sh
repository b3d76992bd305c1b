#!/usr/bin/env bash
# Installs, with apt-get, what Tandem's build and tests need on a Debian/Ubuntu machine: Maven, and the tools the
# root-tagged tests drive (ip, nft, ethtool, tcpdump, iperf3, python3). The JDK 25 is not installed here: ./tandem
# finds one, and says how to get one when there is none.
#
#   scripts/install-deps.sh           install what is missing (needs root); silent when nothing is missing
#   scripts/install-deps.sh --check   print the missing packages, exit 1 when some are missing, 0 otherwise
#
# Idempotent: apt-get runs (update once, then install) only when a package is missing.
set -euo pipefail

# Debian package and the command that shows it is there (a tool installed another way counts as present).
readonly PACKAGES=(
    maven:mvn
    iproute2:ip
    nftables:nft
    ethtool:ethtool
    tcpdump:tcpdump
    iperf3:iperf3
    python3:python3
    iputils-ping:ping
    curl:curl
    keepalived:keepalived
)

is_present()
{
    local package=$1 command=$2
    if dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q '^install ok installed$'; then
        return 0
    fi
    # Tools like ip and nft live in sbin, which is not on a normal user's PATH.
    PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin" command -v "$command" >/dev/null 2>&1
}

missing_packages()
{
    local entry
    for entry in "${PACKAGES[@]}"; do
        is_present "${entry%%:*}" "${entry#*:}" || printf '%s\n' "${entry%%:*}"
    done
}

main()
{
    local -a missing
    mapfile -t missing < <(missing_packages)

    if [[ ${1:-} == --check ]]; then
        if ((${#missing[@]} > 0)); then
            echo "${missing[*]}"
            return 1
        fi
        return 0
    elif [[ -n ${1:-} ]]; then
        echo "usage: $0 [--check]" >&2
        return 2
    fi

    ((${#missing[@]} == 0)) && return 0

    if ((EUID != 0)); then
        echo "install-deps: missing ${missing[*]}; run as root: sudo $0" >&2
        return 1
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "install-deps: missing ${missing[*]}, and there is no apt-get here: install them with the system's" \
            "package manager" >&2
        return 1
    fi

    echo "install-deps: installing ${missing[*]} with apt-get" >&2
    local log
    log=$(mktemp)
    # noninteractive: CI has no stdin, and iperf3 would otherwise ask whether to start a daemon.
    if ! {
        DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=300 update &&
            DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=300 -o Dpkg::Use-Pty=0 \
                --no-install-recommends install "${missing[@]}"
    } >"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        echo "install-deps: apt-get failed (output above)" >&2
        return 1
    fi
    rm -f "$log"

    mapfile -t missing < <(missing_packages)
    if ((${#missing[@]} > 0)); then
        echo "install-deps: still missing after apt-get: ${missing[*]}" >&2
        return 1
    fi
}

main "$@"
