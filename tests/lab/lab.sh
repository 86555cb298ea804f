# The NAT lab: an emulated internet with sites behind NATs, built from
# network namespaces, veth pairs and nftables. Sourced by the lab tests and
# by `make demo`; needs root.
#
#   lab_up                      the fake internet 203.0.113.0/24 (namespace "inet")
#   lab_site NAME KIND N        a site on 10.N.0.0/24 behind a NAT of KIND, its
#                               router at 203.0.113.(100+N); KIND is one of
#                               open full-cone address-restricted port-restricted
#                               symmetric udp-blocked
#   lab_ns NAME                 the namespace of host NAME (or "inet")
#   lab_spawn NS LOG CMD...     start CMD in NS in the background; stopped by lab_down
#   lab_loss SITE PERCENT       drop PERCENT% of UDP crossing SITE's router
#   lab_down                    stop what was started (by PID), delete every namespace
#
# Everything created is recorded under $LAB_DIR before it is created, so
# lab_down removes it after a failure too (callers trap EXIT to lab_down).

LAB_ID=${LAB_ID:-fl$$}
LAB_DIR=${LAB_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/floe-lab.XXXXXX")}
LAB_INET_GW=203.0.113.1

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
	echo "$1" >>"$LAB_DIR/namespaces"
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

# Plug namespace $1's interface $2 into the fake internet with address $3.
_lab_attach_wan ()
{
	port="w$LAB_ID-$4"
	ip link add "$2" netns "$1" type veth peer name "$port" netns "$(lab_ns inet)" || return 1
	ip -n "$(lab_ns inet)" link set "$port" master br0 up
	ip -n "$1" addr add "$3/24" dev "$2"
	ip -n "$1" link set "$2" up
	ip -n "$1" route add default via "$LAB_INET_GW"
}

lab_site ()
{
	name=$1 kind=$2 n=$3
	host=$(lab_ns "$name")
	wan_ip=203.0.113.$((100 + n))
	_lab_netns_add "$host" || return 1
	echo "$kind" >"$LAB_DIR/kind-$name"
	if [ "$kind" = open ]; then
		_lab_attach_wan "$host" eth0 "$wan_ip" "$n"
		return
	fi

	router=$(lab_ns "r-$name")
	_lab_netns_add "$router" || return 1
	_lab_attach_wan "$router" wan "$wan_ip" "$n" || return 1
	ip link add eth0 netns "$host" type veth peer name lan netns "$router" || return 1
	ip -n "$router" addr add "10.$n.0.1/24" dev lan
	ip -n "$router" link set lan up
	ip -n "$host" addr add "10.$n.0.2/24" dev eth0
	ip -n "$host" link set eth0 up
	ip -n "$host" route add default via "10.$n.0.1"
	ip netns exec "$router" sysctl -qw net.ipv4.ip_forward=1
	lab_nat_rules "$kind" "10.$n.0.2" | ip netns exec "$router" nft -f - ||
		lab_fail "could not install the $kind NAT rules for $name"
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
	rm -f "$LAB_DIR"/kind-*
	rmdir "$LAB_DIR" 2>/dev/null || true
}
