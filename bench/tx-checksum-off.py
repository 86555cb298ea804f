#!/usr/bin/env python3
"""Turns transmit checksum offload off on the named interfaces of the
current network namespace (ETHTOOL_STXCSUM through SIOCETHTOOL; the lab
machine has no ethtool program).

Why: the NAT lab's user-space delay line copies frames with packet
sockets. A veth hands over UDP frames whose checksum the sender left for
"hardware" to fill in; copied as they are, they reach the far side with a
wrong checksum and are dropped (Udp InCsumErrors), so no UDP crosses a
delayed uplink. With offload off, checksums are complete before the copy.

usage: tx-checksum-off.py IFACE...   (run inside the namespace)"""
import array
import fcntl
import socket
import struct
import sys

SIOCETHTOOL = 0x8946
ETHTOOL_STXCSUM = 0x00000017


def main():
    failed = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for dev in sys.argv[1:]:
            value = array.array("B", struct.pack("II", ETHTOOL_STXCSUM, 0))
            ifreq = struct.pack("16sP", dev.encode(), value.buffer_info()[0]) + bytes(16)
            try:
                fcntl.ioctl(s.fileno(), SIOCETHTOOL, ifreq)
            except OSError as e:
                print("tx-checksum-off: %s: %s" % (dev, e), file=sys.stderr)
                failed = 1
    return failed


if __name__ == "__main__":
    sys.exit(main())
