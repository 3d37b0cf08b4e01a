# runs on: every 3 s a read of the PV disk and a ping of dom0 through
# the PV NIC
nic=$(for n in /sys/class/net/*; do [ "$(basename "$(readlink $n/device/driver 2>/dev/null)")" = vif ] && basename $n; done | head -n 1)
if [ -n "$nic" ]; then
    ip addr add 10.9.0.2/24 dev $nic
    ip link set $nic up
fi
(
    i=0
    while :; do
        disk=$(dd if=/dev/xvda bs=512 count=1 iflag=direct 2>/dev/null | head -c 13)
        net=net-down
        [ -n "$nic" ] && ping -c 1 -W 2 10.9.0.1 >/dev/null 2>&1 && net=net-ok
        echo "GUEST tick $i disk ${disk:-none} $net"
        i=$((i + 1))
        sleep 3
    done
) &
