#!/usr/bin/env python3
"""Sends malformed TCP/IPv4 frames to the balancer: each kind COUNT times, raw, on one interface.

usage: bad_frames.py IFACE SRC_MAC DST_MAC SRC_IP DST_IP DST_PORT COUNT
Kinds: truncated (IP total length beyond the frame), bad_header (IHL 4), options (IHL 6), fragment (MF set),
ip_checksum (wrong IPv4 checksum), tcp_checksum (wrong TCP checksum). Each is otherwise a well-formed SYN.
"""
import socket
import struct
import sys


def checksum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def mac(text):
    return bytes(int(b, 16) for b in text.split(':'))


def frame(kind, src_mac, dst_mac, src_ip, dst_ip, dst_port, sport):
    tcp = struct.pack('!HHIIBBHHH', sport, dst_port, 1000, 0, 5 << 4, 0x02, 64240, 0, 0)
    pseudo = src_ip + dst_ip + struct.pack('!BBH', 0, 6, len(tcp))
    tcp_sum = checksum(pseudo + tcp)
    if kind == 'tcp_checksum':
        tcp_sum ^= 0x5555
    tcp = tcp[:16] + struct.pack('!H', tcp_sum) + tcp[18:]
    ihl = {'bad_header': 4, 'options': 6}.get(kind, 5)
    options = b'\x01\x01\x01\x00' if kind == 'options' else b''
    flags_frag = 0x2000 if kind == 'fragment' else 0x4000
    total = 20 + len(options) + len(tcp)
    if kind == 'truncated':
        total += 200
    header = struct.pack('!BBHHHBBH4s4s', (4 << 4) | ihl, 0, total, 1, flags_frag, 64, 6, 0, src_ip, dst_ip) + options
    ip_sum = checksum(header)
    if kind == 'ip_checksum':
        ip_sum ^= 0x5555
    header = header[:10] + struct.pack('!H', ip_sum) + header[12:]
    return dst_mac + src_mac + b'\x08\x00' + header + tcp


def main():
    iface, src_mac, dst_mac, src_ip, dst_ip, dst_port, count = sys.argv[1:8]
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    sport = 30000
    kinds = ['truncated', 'bad_header', 'options', 'fragment', 'ip_checksum', 'tcp_checksum']
    for kind in kinds:
        for _ in range(int(count)):
            sport += 1
            s.send(frame(kind, mac(src_mac), mac(dst_mac), socket.inet_aton(src_ip), socket.inet_aton(dst_ip),
                         int(dst_port), sport))
    print('sent', len(kinds) * int(count), flush=True)


if __name__ == '__main__':
    main()
