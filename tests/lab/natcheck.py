#!/usr/bin/env python3
"""Tells what kind of NAT stands between this host and the lab's reflector.

server mode (in the fake internet): answers on UDP PRIMARY:3900,
PRIMARY:3901 and SECONDARY:3900, and TCP PRIMARY:3900.
  "map T"          -> "T <observed-ip> <observed-port>" from the same socket
  "reply-from W T" -> "T" sent from socket W ("port": PRIMARY:3901,
                      "ip": SECONDARY:3900) to the asker's observed address
client mode (behind a NAT): prints one of open, full-cone,
address-restricted, port-restricted, symmetric, udp-blocked.
The mapping and filtering tests follow RFC 4787's definitions.
"""
import select
import socket
import sys

PORT = 3900
WAIT = 0.5


def serve(primary, secondary):
    socks = {
        "main": (primary, PORT),
        "port": (primary, PORT + 1),
        "ip": (secondary, PORT),
    }
    udp = {}
    for name, addr in socks.items():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(addr)
        udp[name] = s
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind((primary, PORT))
    tcp.listen(8)
    print("natcheck: serving", flush=True)
    while True:
        ready, _, _ = select.select(list(udp.values()) + [tcp], [], [])
        for s in ready:
            if s is tcp:
                conn, peer = tcp.accept()
                conn.sendall(("%s %d\n" % peer).encode())
                conn.close()
                continue
            data, peer = s.recvfrom(512)
            words = data.decode(errors="replace").split()
            if len(words) == 2 and words[0] == "map":
                s.sendto(("%s %s %d" % (words[1], peer[0], peer[1])).encode(), peer)
            elif len(words) == 3 and words[0] == "reply-from" and words[1] in udp:
                udp[words[1]].sendto(words[2].encode(), peer)


def ask(sock, dest, message, token):
    sock.sendto(message.encode(), dest)
    while True:
        ready, _, _ = select.select([sock], [], [], WAIT)
        if not ready:
            return None
        words = sock.recv(512).decode(errors="replace").split()
        if words and words[0] == token:
            return words[1:]


def classify(primary, secondary):
    def fresh():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("0.0.0.0", 0))
        return s

    main = (primary, PORT)
    # Filtering first: the mapping test below contacts the secondary address,
    # which would open an address-restricted NAT toward it.
    s = fresh()
    mapped = ask(s, main, "map f1", "f1")
    if mapped is None:
        with socket.create_connection(main, timeout=2) as tcp:
            tcp.recv(64)
        return "udp-blocked"
    local = s.getsockname()
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.connect(main)
    local_ip = probe.getsockname()[0]
    if mapped[0] == local_ip and int(mapped[1]) == local[1]:
        return "open"
    from_port = ask(s, main, "reply-from port f2", "f2") is not None
    from_ip = ask(s, main, "reply-from ip f3", "f3") is not None

    s = fresh()
    m1 = ask(s, main, "map m1", "m1")
    m2 = ask(s, (secondary, PORT), "map m2", "m2")
    if m1 is None or m2 is None:
        return "unreliable"
    if m1 != m2:
        return "symmetric"
    if from_ip:
        return "full-cone"
    if from_port:
        return "address-restricted"
    return "port-restricted"


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("server", "client"):
        sys.exit("usage: natcheck.py server|client PRIMARY SECONDARY")
    if sys.argv[1] == "server":
        serve(sys.argv[2], sys.argv[3])
    else:
        print(classify(sys.argv[2], sys.argv[3]))


if __name__ == "__main__":
    main()
