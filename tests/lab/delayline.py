#!/usr/bin/env python3
"""A cable with latency: copies every Ethernet frame between two interfaces
of its namespace, each one DELAY_MS late, in order.

This kernel has no sch_netem, so the lab delays in user space. Packet
sockets see the frames the veth ends receive; the kernel itself ignores them
(the namespace has no addresses and no IPv6), so each frame crosses once.

Frames a veth sends may carry a UDP or TCP checksum left for the hardware
to fill in (checksum offload); copied as raw bytes it would arrive wrong
and be dropped, so the line writes the checksum of every IPv4 UDP and TCP
frame itself.

usage: delayline.py IFACE_A IFACE_B DELAY_MS
"""
import collections
import select
import socket
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def ones_complement_sum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(memoryview(data).cast("H"))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def fix_l4_checksum(frame):
    """The frame with its IPv4 UDP/TCP checksum computed; others unchanged."""
    if len(frame) < 34 or frame[12:14] != b"\x08\x00":
        return frame
    ihl = (frame[14] & 0x0F) * 4
    total_len = int.from_bytes(frame[16:18], "big")
    proto = frame[23]
    frag = int.from_bytes(frame[20:22], "big") & 0x3FFF  # MF flag or offset
    offset = {17: 6, 6: 16}.get(proto)
    if offset is None or frag or ihl < 20 or total_len < ihl + offset + 2 or 14 + total_len > len(frame):
        return frame
    seg = bytearray(frame[14 + ihl:14 + total_len])
    seg[offset:offset + 2] = b"\0\0"
    pseudo = frame[26:34] + bytes([0, proto]) + len(seg).to_bytes(2, "big")
    # memoryview.cast("H") sums in native order; swapping the result back
    # gives the big-endian checksum on little-endian hosts.
    csum = ~ones_complement_sum(bytes(pseudo) + bytes(seg)) & 0xFFFF
    csum_bytes = csum.to_bytes(2, sys.byteorder)
    if proto == 17 and csum_bytes == b"\0\0":
        csum_bytes = b"\xff\xff"
    seg[offset:offset + 2] = csum_bytes
    return frame[:14 + ihl] + bytes(seg) + frame[14 + total_len:]


def open_port(ifname):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((ifname, 0))
    s.setblocking(False)
    return s


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: delayline.py IFACE_A IFACE_B DELAY_MS")
    a, b = open_port(sys.argv[1]), open_port(sys.argv[2])
    delay = float(sys.argv[3]) / 1000.0
    other = {a: b, b: a}
    # One constant delay keeps frames in order, so a FIFO is enough.
    line = collections.deque()
    print("delayline: %s <-> %s, %.0f ms" % (sys.argv[1], sys.argv[2], delay * 1000), flush=True)
    while True:
        timeout = max(0.0, line[0][0] - time.monotonic()) if line else None
        ready, _, _ = select.select([a, b], [], [], timeout)
        now = time.monotonic()
        for s in ready:
            while True:
                try:
                    frame, addr = s.recvfrom(65536)
                except BlockingIOError:
                    break
                if addr[2] != PACKET_OUTGOING:  # not our own copy going out
                    line.append((now + delay, other[s], fix_l4_checksum(frame)))
        while line and line[0][0] <= now:
            _, out, frame = line.popleft()
            try:
                out.send(frame)
            except OSError:
                pass  # an oversized or refused frame is lost, as on a wire


if __name__ == "__main__":
    main()
