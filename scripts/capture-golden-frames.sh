#!/usr/bin/env bash
#
# Captures golden frames that the Linux kernel itself produced, for the packet flyweight tests.
#
# Two network namespaces joined by a veth pair, addresses from 198.18.0.0/15 (RFC 2544 benchmarking space) only,
# checksum and segmentation offloads off on both ends so the kernel writes complete checksums into every frame.
# tcpdump records, on the client's veth end:
#   - an ARP request and its reply (triggered by one ping; the ICMP itself is filtered out);
#   - one complete TCP connection between real sockets: handshake with MSS, SACK-permitted, timestamps and
#     window scale, payloads of 1 and 1000 bytes client to server and 37 and 1000 bytes back, FIN each way;
#   - a connection attempt to a closed port, refused with RST.
# The pcap is then turned into hex text, one frame per line, each after a '#' line that describes it:
#   dataplane/src/test/resources/frames/arp.hex
#   dataplane/src/test/resources/frames/tcp-exchange.hex
#   dataplane/src/test/resources/frames/tcp-refused.hex
#
# Usage (as root): scripts/capture-golden-frames.sh [output-dir]
# Needs: ip (iproute2), ethtool, tcpdump, ping, python3. Leaves no namespace, process or file behind.

set -euo pipefail

readonly REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly OUT_DIR=${1:-$REPO_ROOT/dataplane/src/test/resources/frames}

readonly NS_CLIENT=tgf-$$-client
readonly NS_SERVER=tgf-$$-server
readonly DEV_CLIENT=veth-c
readonly DEV_SERVER=veth-s
# Locally administered MACs, fixed so that the tests can assert them.
readonly MAC_CLIENT=02:74:67:66:00:01
readonly MAC_SERVER=02:74:67:66:00:02
readonly IP_CLIENT=198.18.100.1
readonly IP_SERVER=198.18.100.2
readonly PREFIX_LENGTH=24
readonly SERVER_PORT=8080
# Nothing listens here: the connection is refused with RST.
readonly CLOSED_PORT=9

CREATED_NAMESPACES=()
BACKGROUND_PIDS=()
WORK_DIR=""

cleanup()
{
    local rc=$?
    set +e
    local pid
    for pid in "${BACKGROUND_PIDS[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null
            wait "$pid" 2>/dev/null
        fi
    done
    local ns
    for ns in "${CREATED_NAMESPACES[@]}"; do
        # Deleting a namespace also deletes the veth end inside it, and with it the peer.
        ip netns delete "$ns" 2>/dev/null
    done
    if [[ -n $WORK_DIR ]]; then
        rm -rf "$WORK_DIR"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die()
{
    echo "capture-golden-frames: $*" >&2
    exit 1
}

in_ns()
{
    local ns=$1
    shift
    ip netns exec "$ns" "$@"
}

[[ $EUID -eq 0 ]] || die "must run as root (network namespaces, tcpdump)"
for tool in ip ethtool tcpdump ping python3 timeout; do
    command -v "$tool" >/dev/null || die "missing tool: $tool"
done

WORK_DIR=$(mktemp -d "/tmp/tgf-$$.XXXXXX")
chmod 0755 "$WORK_DIR"
readonly PCAP=$WORK_DIR/capture.pcap

# --- namespaces and the veth pair ---------------------------------------------------------------------------------
for ns in "$NS_CLIENT" "$NS_SERVER"; do
    ip netns add "$ns"
    CREATED_NAMESPACES+=("$ns")
    # No IPv6 (no link-local addresses, router solicitations or MLD reports in the capture) and the kernel's
    # defaults written out, so that a regenerated capture shows the same options and flags.
    in_ns "$ns" sh -c '
        if [ -d /proc/sys/net/ipv6 ]; then
            echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6
            echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6
        fi
        echo 64 > /proc/sys/net/ipv4/ip_default_ttl
        echo 0 > /proc/sys/net/ipv4/ip_no_pmtu_disc
        echo 1 > /proc/sys/net/ipv4/tcp_timestamps
        echo 1 > /proc/sys/net/ipv4/tcp_sack
        echo 1 > /proc/sys/net/ipv4/tcp_window_scaling
        echo 0 > /proc/sys/net/ipv4/tcp_ecn
    '
done

ip link add name "$DEV_CLIENT" address "$MAC_CLIENT" netns "$NS_CLIENT" type veth \
    peer name "$DEV_SERVER" address "$MAC_SERVER" netns "$NS_SERVER"

configure_end()
{
    local ns=$1 dev=$2 address=$3
    # Offloads off: with tx checksumming on, veth hands frames over with CHECKSUM_PARTIAL and the capture would
    # show only the pseudo-header sum in the TCP checksum field.
    in_ns "$ns" ethtool -K "$dev" tx off rx off gso off tso off gro off >/dev/null
    local features
    features=$(in_ns "$ns" ethtool -k "$dev")
    grep -q '^tx-checksumming: off' <<<"$features" || die "$dev in $ns: tx checksumming still on"
    grep -q '^tcp-segmentation-offload: off' <<<"$features" || die "$dev in $ns: TSO still on"
    in_ns "$ns" ip address add "$address/$PREFIX_LENGTH" dev "$dev"
    in_ns "$ns" ip link set "$dev" mtu 1500 up
}
configure_end "$NS_CLIENT" "$DEV_CLIENT" "$IP_CLIENT"
configure_end "$NS_SERVER" "$DEV_SERVER" "$IP_SERVER"

# --- capture ------------------------------------------------------------------------------------------------------
# Not through in_ns: a function sent to the background runs in a subshell, and $! would be that subshell's pid.
# --immediate-mode: without it, frames wait in the kernel's capture ring for a block timeout, and the last ones
# are lost when tcpdump is stopped.
# ip netns exec execs tcpdump, so here $! is tcpdump's own pid. -Z root: keep privileges to write into WORK_DIR.
ip netns exec "$NS_CLIENT" tcpdump -i "$DEV_CLIENT" -U --immediate-mode -s 0 -n -Z root -w "$PCAP" 'arp or tcp' 2>"$WORK_DIR/tcpdump.log" &
readonly TCPDUMP_PID=$!
BACKGROUND_PIDS+=("$TCPDUMP_PID")
for _ in $(seq 50); do
    grep -q 'listening on' "$WORK_DIR/tcpdump.log" && break
    kill -0 "$TCPDUMP_PID" 2>/dev/null || die "tcpdump exited: $(cat "$WORK_DIR/tcpdump.log")"
    sleep 0.1
done
grep -q 'listening on' "$WORK_DIR/tcpdump.log" || die "tcpdump did not start"

# ARP: the neighbour tables are empty, so the first IPv4 packet makes the kernel ask.
in_ns "$NS_CLIENT" ping -c 1 -W 2 "$IP_SERVER" >/dev/null
# Pin both neighbours so that no ARP probe turns up in the middle of the TCP exchange.
in_ns "$NS_CLIENT" ip neigh replace "$IP_SERVER" lladdr "$MAC_SERVER" dev "$DEV_CLIENT" nud permanent
in_ns "$NS_SERVER" ip neigh replace "$IP_CLIENT" lladdr "$MAC_CLIENT" dev "$DEV_SERVER" nud permanent

# TCP: a server that answers 37 bytes to a 1-byte request and 1000 bytes to a 1000-byte request, then closes
# after the client's FIN; the client half-closes first and reads until the server's FIN.
readonly READY_FILE=$WORK_DIR/server.ready
timeout 20 ip netns exec "$NS_SERVER" python3 - "$IP_SERVER" "$SERVER_PORT" "$READY_FILE" <<'PY' &
import socket, sys

host, port, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3]


def payload(n, salt):
    return (salt + b' tandem golden frame ' * 64)[:n]


def recv_exactly(conn, n):
    data = b''
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise SystemExit('server: peer closed early')
        data += chunk
    return data


with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.listen(1)
    listener.settimeout(10)
    open(ready, 'w').close()
    conn, _ = listener.accept()
    with conn:
        conn.settimeout(10)
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        recv_exactly(conn, 1)
        conn.sendall(payload(37, b'R'))
        recv_exactly(conn, 1000)
        conn.sendall(payload(1000, b'S'))
        if conn.recv(1) != b'':
            raise SystemExit('server: expected FIN')
PY
readonly SERVER_PID=$!
BACKGROUND_PIDS+=("$SERVER_PID")
for _ in $(seq 50); do
    [[ -e $READY_FILE ]] && break
    sleep 0.1
done
[[ -e $READY_FILE ]] || die "server did not start"

timeout 20 ip netns exec "$NS_CLIENT" python3 - "$IP_SERVER" "$SERVER_PORT" "$CLOSED_PORT" <<'PY'
import socket, sys, time

host, port, closed_port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])


def payload(n, salt):
    return (salt + b' tandem golden frame ' * 64)[:n]


def recv_exactly(conn, n):
    data = b''
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise SystemExit('client: peer closed early')
        data += chunk
    return data


with socket.create_connection((host, port), timeout=10) as conn:
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    conn.sendall(payload(1, b'Q'))
    assert recv_exactly(conn, 37) == payload(37, b'R')
    conn.sendall(payload(1000, b'P'))
    assert recv_exactly(conn, 1000) == payload(1000, b'S')
    conn.shutdown(socket.SHUT_WR)
    if conn.recv(1) != b'':
        raise SystemExit('client: expected FIN')

# Let the last ACK go out before the next connection starts, so that the two stay apart in the capture.
time.sleep(0.3)
try:
    socket.create_connection((host, closed_port), timeout=5).close()
    raise SystemExit('client: connection to the closed port succeeded')
except ConnectionRefusedError:
    pass
PY
wait "$SERVER_PID" || die "server failed"

sleep 1
# SIGTERM rather than SIGINT: a background job of a non-interactive shell starts with SIGINT ignored.
kill -TERM "$TCPDUMP_PID"
wait "$TCPDUMP_PID" || true

# --- pcap to hex ----------------------------------------------------------------------------------------------------
mkdir -p "$OUT_DIR"
python3 - "$PCAP" "$OUT_DIR" "$IP_CLIENT" "$IP_SERVER" "$MAC_CLIENT" "$MAC_SERVER" "$SERVER_PORT" "$CLOSED_PORT" \
    "$(uname -r)" <<'PY'
import os, struct, sys

pcap, out_dir, ip_client, ip_server, mac_client, mac_server = sys.argv[1:7]
server_port, closed_port, kernel = int(sys.argv[7]), int(sys.argv[8]), sys.argv[9]


def read_pcap(path):
    """Frames of a classic pcap file: 24-byte global header, then 16-byte record headers each before its bytes."""
    with open(path, 'rb') as f:
        data = f.read()
    magic = data[:4]
    if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1'):
        endian = '<'
    elif magic in (b'\xa1\xb2\xc3\xd4', b'\xa1\xb2\x3c\x4d'):
        endian = '>'
    else:
        raise SystemExit('not a classic pcap file (pcapng?): magic %s' % magic.hex())
    _, _, _, _, snaplen, linktype = struct.unpack(endian + 'HHiIII', data[4:24])
    if linktype != 1:
        raise SystemExit('link type %d is not Ethernet' % linktype)
    frames = []
    at = 24
    while at < len(data):
        _, _, incl_len, orig_len = struct.unpack(endian + 'IIII', data[at:at + 16])
        at += 16
        if incl_len != orig_len:
            raise SystemExit('truncated frame in the capture (%d of %d bytes)' % (incl_len, orig_len))
        frames.append(data[at:at + incl_len])
        at += incl_len
    return frames


def ip_text(b):
    return '.'.join(str(x) for x in b)


def mac_text(b):
    return ':'.join('%02x' % x for x in b)


def tcp_options(opts):
    out = []
    i = 0
    while i < len(opts):
        kind = opts[i]
        if kind == 0:
            out.append('eol')
            break
        if kind == 1:
            out.append('nop')
            i += 1
            continue
        length = opts[i + 1]
        body = opts[i + 2:i + length]
        if kind == 2:
            out.append('mss:%d' % struct.unpack('>H', body)[0])
        elif kind == 3:
            out.append('wscale:%d' % body[0])
        elif kind == 4:
            out.append('sackOK')
        elif kind == 8:
            out.append('ts:%d:%d' % struct.unpack('>II', body))
        else:
            out.append('kind%d:%s' % (kind, body.hex()))
        i += length
    return ','.join(out)


FLAG_NAMES = ((0x02, 'SYN'), (0x01, 'FIN'), (0x04, 'RST'), (0x08, 'PSH'), (0x10, 'ACK'), (0x20, 'URG'),
              (0x40, 'ECE'), (0x80, 'CWR'))


def describe_tcp(n, frame):
    ip = frame[14:]
    ihl = (ip[0] & 0x0F) * 4
    total = struct.unpack('>H', ip[2:4])[0]
    tcp = ip[ihl:total]
    sport, dport, seq, ack, off, flags, win = struct.unpack('>HHIIBBH', tcp[:16])
    hlen = (off >> 4) * 4
    src, dst = ip_text(ip[12:16]), ip_text(ip[16:20])
    direction = 'client>server' if src == ip_client else 'server>client'
    names = '|'.join(name for bit, name in FLAG_NAMES if flags & bit)
    text = '%d %s %s %s:%d > %s:%d seq=%d ack=%d win=%d len=%d ttl=%d id=%d' % (
        n, direction, names, src, sport, dst, dport, seq, ack, win, len(tcp) - hlen, ip[8],
        struct.unpack('>H', ip[4:6])[0])
    if hlen > 20:
        text += ' opts=' + tcp_options(tcp[20:hlen])
    return text, (min(sport, dport), max(sport, dport))


def describe_arp(n, frame):
    arp = frame[14:]
    op = struct.unpack('>H', arp[6:8])[0]
    what = {1: 'request', 2: 'reply'}.get(op, 'op%d' % op)
    return '%d ARP %s sha=%s spa=%s tha=%s tpa=%s' % (
        n, what, mac_text(arp[8:14]), ip_text(arp[14:18]), mac_text(arp[18:24]), ip_text(arp[24:28]))


arp, exchange, refused = [], [], []
for frame in read_pcap(pcap):
    ether_type = struct.unpack('>H', frame[12:14])[0]
    if ether_type == 0x0806:
        arp.append(describe_arp(len(arp) + 1, frame) + '\n' + frame.hex())
    elif ether_type == 0x0800 and frame[14 + 9] == 6:
        ports = struct.unpack('>HH', frame[14 + (frame[14] & 0x0F) * 4:][:4])
        target = exchange if server_port in ports else refused if closed_port in ports else None
        if target is None:
            raise SystemExit('unexpected TCP ports %s' % (ports,))
        text, _ = describe_tcp(len(target) + 1, frame)
        target.append(text + '\n' + frame.hex())
    else:
        raise SystemExit('unexpected frame: %s' % frame.hex())

if len(arp) < 2 or len(exchange) < 10 or len(refused) != 2:
    raise SystemExit('capture incomplete: %d ARP, %d exchange, %d refused frames' % (len(arp), len(exchange),
                                                                                          len(refused)))

HEADER = ('# Captured by scripts/capture-golden-frames.sh on Linux %s; regenerate with that script, do not edit.\n'
          '# Client %s (%s), server %s (%s), veth offloads off.\n'
          '# One Ethernet frame per line as hex, after a "#" line that describes it (key=value fields decoded\n'
          '# by the capture script, independently of the Java flyweights).\n'
          % (kernel, ip_client, mac_client, ip_server, mac_server))


def write(name, title, entries):
    with open(os.path.join(out_dir, name), 'w') as f:
        f.write(HEADER + '# ' + title + '\n')
        for entry in entries:
            f.write('#\n# ' + entry + '\n')
    print('%s: %d frames' % (name, len(entries)))


write('arp.hex', 'ARP request for the server and its reply, triggered by one ping.', arp)
write('tcp-exchange.hex', 'One TCP connection to port %d: handshake, 1 and 1000 bytes up, 37 and 1000 bytes down, '
      'FIN each way.' % server_port, exchange)
write('tcp-refused.hex', 'A connection to closed port %d, refused with RST.' % closed_port, refused)
PY

echo "capture-golden-frames: wrote $OUT_DIR"
