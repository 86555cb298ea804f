# The NAT lab: an emulated internet with sites behind NATs, built from
# network namespaces, veth pairs and nftables. Sourced by the lab tests and
# by `make demo`; needs root.
#
#   lab_up                      the fake internet 203.0.113.0/24 (namespace "inet")
#   lab_site NAME KIND N [MS]   a site on 10.N.0.0/24 behind a NAT of KIND, its
#                               router at 203.0.113.(100+N); KIND is one of
#                               open full-cone address-restricted port-restricted
#                               symmetric udp-blocked. With MS, the router's
#                               uplink delays every frame by MS each way.
#                               Its first host is NAME, at 10.N.0.2.
#   lab_host SITE NAME I        one more host on SITE's LAN, at 10.N.0.(1+I)
#                               (port-restricted, symmetric, udp-blocked: the
#                               cone NATs forward all inbound to the first host)
#   lab_servers                 Kamailio (SIP, UDP+TCP 5060) and coturn (STUN/TURN,
#                               UDP+TCP 3478, TLS 5349) on 203.0.113.10; SIP users
#                               alice, bob, u1..u200 with the password in
#                               $LAB_DIR/sip-secret, TURN user floe with $LAB_DIR/turn-secret
#   lab_ns NAME                 the namespace of host NAME (or "inet")
#   lab_spawn NS LOG CMD...     start CMD in NS in the background; stopped by lab_down
#   lab_loss SITE PERCENT       drop PERCENT% of UDP crossing SITE's router
#   lab_down                    stop what was started (by PID), delete every namespace
#
# Everything created is recorded under $LAB_DIR before it is created, so
# lab_down removes it after a failure too (callers trap EXIT to lab_down).

LAB_ID=${LAB_ID:-fl$$}
# A directory lab.sh made is lab.sh's to remove; one given is the caller's.
if [ -z "${LAB_DIR:-}" ]; then
	LAB_DIR=$(mktemp -d "${TMPDIR:-/tmp}/floe-lab.XXXXXX")
	LAB_DIR_OWNED=1
fi
mkdir -p "$LAB_DIR"
LAB_INET_GW=203.0.113.1
LAB_SERVER=203.0.113.10
LAB_SRCDIR=${LAB_SRCDIR:-${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab}

lab_ns ()
{
	echo "$LAB_ID-$1"
}

lab_log ()
{
	echo "lab: $*" >&2
}

lab_fail ()
{
	echo "lab: error: $*" >&2
	return 1
}

lab_require_root ()
{
	if [ "$(id -u)" -ne 0 ] || ! ip netns list >/dev/null 2>&1; then
		echo "lab: needs root and network namespaces (ip netns)" >&2
		return 77
	fi
}

_lab_netns_add ()
{
	echo "$1" >>"$LAB_DIR/namespaces" || return 1
	ip netns add "$1" || return 1
	ip -n "$1" link set lo up
}

lab_up ()
{
	inet=$(lab_ns inet)
	_lab_netns_add "$inet" || return 1
	ip -n "$inet" link add br0 type bridge
	ip -n "$inet" addr add "$LAB_INET_GW/24" dev br0
	ip -n "$inet" link set br0 up
	# Traffic to addresses nobody holds vanishes into a sink instead of
	# failing with ENETUNREACH, which would make coturn drop whole
	# allocations when a peer offers an unroutable candidate.
	# (A veth whose far end accepts nothing, with a permanent neighbour for
	# the gateway: this kernel has no dummy interfaces.)
	ip -n "$inet" link add sink type veth peer name sink-end
	ip -n "$inet" addr add 192.0.2.2/30 dev sink
	ip -n "$inet" link set sink up
	ip -n "$inet" link set sink-end up
	ip -n "$inet" neigh add 192.0.2.1 lladdr 02:00:00:00:00:01 dev sink nud permanent
	ip -n "$inet" route add default via 192.0.2.1 dev sink
}

# lab_server_addr IP: give the fake internet one more address for a server.
lab_server_addr ()
{
	ip -n "$(lab_ns inet)" addr add "$1/24" dev br0
}

# Namespace $1's interface $2 sends and receives only frames of wire size.
_lab_wire_frames ()
{
	ip netns exec "$1" ethtool -K "$2" tso off gso off gro off >/dev/null
}

# Plug namespace $1's interface $2 into the fake internet with address $3
# (port name suffix $4). With a delay $5 (ms), the cable runs through a
# namespace of its own where tests/lab/delayline.py holds every frame.
_lab_attach_wan ()
{
	port="w$LAB_ID-$4"
	if [ -n "${5:-}" ]; then
		dly=$(lab_ns "d-$4")
		_lab_netns_add "$dly" || return 1
		# No addresses and no IPv6 there: the namespace only carries frames.
		ip netns exec "$dly" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1
		ip link add name "$2" netns "$1" type veth peer name up0 netns "$dly" || return 1
		ip link add name up1 netns "$dly" type veth peer name "$port" netns "$(lab_ns inet)" || return 1
		# The line copies frames one by one: a TCP segment the kernel
		# merged or left for the "hardware" to split (GRO/TSO/GSO) would be
		# larger than the wire takes and be lost, so every end sends and
		# receives frames of wire size.
		_lab_wire_frames "$1" "$2" && _lab_wire_frames "$dly" up0 &&
			_lab_wire_frames "$dly" up1 && _lab_wire_frames "$(lab_ns inet)" "$port" || return 1
		ip -n "$dly" link set up0 up
		ip -n "$dly" link set up1 up
		lab_spawn "$dly" "$LAB_DIR/delay-$4.log" \
			python3 "$LAB_SRCDIR/delayline.py" up0 up1 "$5"
	else
		ip link add name "$2" netns "$1" type veth peer name "$port" netns "$(lab_ns inet)" || return 1
	fi
	ip -n "$(lab_ns inet)" link set "$port" master br0 up
	ip -n "$1" addr add "$3/24" dev "$2"
	ip -n "$1" link set "$2" up
	ip -n "$1" route add default via "$LAB_INET_GW"
}

lab_site ()
{
	name=$1 kind=$2 n=$3 delay=${4:-}
	wan_ip=203.0.113.$((100 + n))
	echo "$kind" >"$LAB_DIR/kind-$name"
	echo "$n" >"$LAB_DIR/net-$name"
	if [ "$kind" = open ]; then
		_lab_netns_add "$(lab_ns "$name")" || return 1
		_lab_attach_wan "$(lab_ns "$name")" eth0 "$wan_ip" "$n" "$delay"
		return
	fi

	router=$(lab_ns "r-$name")
	_lab_netns_add "$router" || return 1
	_lab_attach_wan "$router" wan "$wan_ip" "$n" "$delay" || return 1
	# The LAN is a bridge, so that a site can hold more than one host.
	ip -n "$router" link add lan type bridge
	ip -n "$router" addr add "10.$n.0.1/24" dev lan
	ip -n "$router" link set lan up
	ip netns exec "$router" sysctl -qw net.ipv4.ip_forward=1
	lab_nat_rules "$kind" "10.$n.0.2" | ip netns exec "$router" nft -f - ||
		lab_fail "could not install the $kind NAT rules for $name" || return 1
	lab_host "$name" "$name" 1
}

lab_host ()
{
	site=$1 name=$2 i=$3
	n=$(cat "$LAB_DIR/net-$site")
	host=$(lab_ns "$name")
	router=$(lab_ns "r-$site")
	_lab_netns_add "$host" || return 1
	ip link add name eth0 netns "$host" type veth peer name "l$i" netns "$router" || return 1
	ip -n "$router" link set "l$i" master lan up
	ip -n "$host" addr add "10.$n.0.$((1 + i))/24" dev eth0
	ip -n "$host" link set eth0 up
	ip -n "$host" route add default via "10.$n.0.1"
}

# The nftables ruleset of each NAT kind (RFC 4787 terms). Linux's masquerade
# keeps the inside port when it is free, which gives endpoint-independent
# mapping; "random" picks a new port per destination (address-and-port-
# dependent mapping). Unsolicited inbound packets are dropped before
# conntrack confirms them: a confirmed stray entry would claim the mapping's
# port and turn a port-restricted NAT symmetric toward that peer.
lab_nat_rules ()
{
	kind=$1 inside=$2
	# inbound: how a new inbound packet finds the inside host (none: it is
	# dropped as unsolicited); filter: extra forwarding rule of the kind.
	masq=masquerade inbound= filter=
	case $kind in
	full-cone) inbound="dnat ip to $inside" ;;
	address-restricted)
		inbound="dnat ip to $inside"
		filter='iifname "wan" ct state new ip saddr != @contacted drop' ;;
	port-restricted) ;;
	symmetric) masq="masquerade random" ;;
	udp-blocked) filter='meta l4proto udp drop' ;;
	*) lab_fail "unknown NAT kind '$kind'"; return 1 ;;
	esac
	if [ -n "$inbound" ]; then
		prerouting="iifname \"wan\" meta l4proto udp $inbound;"
		unsolicited=
	else
		prerouting=
		unsolicited='iifname "wan" ct state new drop;'
	fi
	cat <<RULES
table ip floe_nat {
	set contacted { type ipv4_addr; flags dynamic,timeout; timeout 5m; }
	chain postrouting { type nat hook postrouting priority srcnat; oifname "wan" $masq; }
	chain prerouting { type nat hook prerouting priority dstnat; $prerouting }
	chain unsolicited { type filter hook prerouting priority -150; $unsolicited }
	chain forwarding {
		type filter hook forward priority filter;
		iifname "lan" update @contacted { ip daddr };
		$filter
	}
	chain loss { type filter hook forward priority filter + 10; }
}
RULES
}

lab_loss ()
{
	ip netns exec "$(lab_ns "r-$1")" nft add rule ip floe_nat loss \
		meta l4proto udp numgen random mod 100 "<" "$2" drop
}

# _lab_wait_tcp NS IP PORT LOG: wait until something listens there.
_lab_wait_tcp ()
{
	i=0
	until ip netns exec "$1" python3 -c 'import socket, sys
socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1).close()' "$2" "$3" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -ge 100 ]; then
			cat "$4" >&2
			lab_fail "nothing listens on $2:$3 (see $4)"
			return 1
		fi
		sleep 0.1
	done
}

_lab_secret ()
{
	od -An -N12 -tx1 /dev/urandom | tr -d ' \n'
}

# The lab's servers on $LAB_SERVER: Kamailio as registrar and proxy for
# users alice, bob and u1..u$LAB_USERS, every one with the password in
# $LAB_DIR/sip-secret; coturn with the long-term credential
# floe:$(cat $LAB_DIR/turn-secret) in realm floe.lab, its relay addresses
# on the same IP, TLS with a self-signed certificate in $LAB_DIR/turn.pem.
lab_servers ()
{
	inet=$(lab_ns inet)
	lab_server_addr "$LAB_SERVER" || return 1
	_lab_secret >"$LAB_DIR/sip-secret"
	_lab_secret >"$LAB_DIR/turn-secret"
	chmod 600 "$LAB_DIR/sip-secret" "$LAB_DIR/turn-secret"
	sip=$(cat "$LAB_DIR/sip-secret")
	{
		for user in alice bob $(seq -f 'u%g' 1 "${LAB_USERS:-200}"); do
			printf '$sht(users=>%s) = "%s";\n' "$user" "$sip"
		done
	} >"$LAB_DIR/users.cfg"
	mpath=
	for d in /usr/lib/*/kamailio/modules /usr/lib/kamailio/modules; do
		[ -f "$d/tm.so" ] && mpath=$d && break
	done
	[ -n "$mpath" ] || lab_fail "Kamailio's modules are not installed" || return 1
	sed -e "s|@IP@|$LAB_SERVER|g" -e "s|@DIR@|$LAB_DIR|g" -e "s|@MPATH@|$mpath|g" \
		"$LAB_SRCDIR/kamailio-lab.cfg" >"$LAB_DIR/kamailio.cfg"
	lab_spawn "$inet" "$LAB_DIR/kamailio.log" \
		/usr/sbin/kamailio -f "$LAB_DIR/kamailio.cfg" -DD -E -Y "$LAB_DIR" \
		-w "$LAB_DIR" -P "$LAB_DIR/kamailio.pid"

	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$LAB_SERVER" \
		-keyout "$LAB_DIR/turn.key" -out "$LAB_DIR/turn.pem" >/dev/null 2>&1 ||
		lab_fail "openssl could not make the TURN certificate" || return 1
	# The credential goes in a config file, not on a command line others see.
	cat >"$LAB_DIR/turnserver.conf" <<CONF
listening-ip=$LAB_SERVER
relay-ip=$LAB_SERVER
listening-port=3478
tls-listening-port=5349
cert=$LAB_DIR/turn.pem
pkey=$LAB_DIR/turn.key
no-dtls
lt-cred-mech
fingerprint
realm=floe.lab
user=floe:$(cat "$LAB_DIR/turn-secret")
userdb=$LAB_DIR/turndb
log-file=$LAB_DIR/turnserver.log
simple-log
no-stdout-log
pidfile=$LAB_DIR/turnserver.pid
no-cli
CONF
	chmod 600 "$LAB_DIR/turnserver.conf"
	lab_spawn "$inet" "$LAB_DIR/turnserver.out" \
		/usr/bin/turnserver -c "$LAB_DIR/turnserver.conf"
	_lab_wait_tcp "$inet" "$LAB_SERVER" 5060 "$LAB_DIR/kamailio.log" || return 1
	_lab_wait_tcp "$inet" "$LAB_SERVER" 3478 "$LAB_DIR/turnserver.log" || return 1
	_lab_wait_tcp "$inet" "$LAB_SERVER" 5349 "$LAB_DIR/turnserver.log"
}

lab_spawn ()
{
	ns=$1 log=$2
	shift 2
	ip netns exec "$ns" "$@" >"$log" 2>&1 &
	echo "$!" >>"$LAB_DIR/pids"
	LAB_LAST_PID=$!
}

lab_down ()
{
	set +e # a cleanup step that fails must not stop the ones after it
	if [ -f "$LAB_DIR/pids" ]; then
		while read -r pid; do
			kill "$pid" 2>/dev/null
		done <"$LAB_DIR/pids"
		sleep 0.2
		while read -r pid; do
			kill -KILL "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
		done <"$LAB_DIR/pids"
		rm -f "$LAB_DIR/pids"
	fi
	if [ -f "$LAB_DIR/namespaces" ]; then
		while read -r ns; do
			ip netns del "$ns" 2>/dev/null
		done <"$LAB_DIR/namespaces"
		rm -f "$LAB_DIR/namespaces"
	fi
	rm -f "$LAB_DIR"/kind-* "$LAB_DIR"/net-*
	if [ "${LAB_DIR_OWNED:-}" = 1 ]; then
		rm -rf "$LAB_DIR"
	fi
}

# Run as a program (sh lab.sh FUNCTION ARGS...), for tests written in other
# languages: LAB_ID and LAB_DIR must then come from the environment.
case ${0##*/} in
lab.sh) "$@" ;;
esac
