#!/usr/bin/env python3
"""A cable with latency: copies every Ethernet frame between two interfaces
of its namespace, each one DELAY_MS late, in order.

This kernel has no sch_netem, so the lab delays in user space. Packet
sockets see the frames the veth ends receive; the kernel itself ignores them
(the namespace has no addresses and no IPv6), so each frame crosses once.

usage: delayline.py IFACE_A IFACE_B DELAY_MS
"""
import collections
import select
import socket
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


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
                    line.append((now + delay, other[s], frame))
        while line and line[0][0] <= now:
            _, out, frame = line.popleft()
            try:
                out.send(frame)
            except OSError:
                pass  # an oversized or refused frame is lost, as on a wire


if __name__ == "__main__":
    main()
