# The platform flags' ROM lock (bit 0 of port 0x10, 1-byte): while it is
# set, Xen makes 0xc0000-0xfffff read-only to the guest. Each address:
# write the complement of its byte through /dev/mem, read it back,
# restore it
ADDRS="0xc0000 0xe0000 0xf0000"
probe() {
    for a in $ADDRS; do
        o=$(xpio peek $a) || { echo "GUEST rom $1 $a: no access"; continue; }
        xpio poke $a $((o ^ 0xff))
        n=$(xpio peek $a)
        if [ "$n" = "$o" ]; then r=kept; else r=sticks; fi
        xpio poke $a $o
        echo "GUEST rom $1 $a: write $r (0x$(printf %02x $((o ^ 0xff))) over $o, read $n)"
    done
}
echo "GUEST flags $(xpio inb 0x10)"
probe unlocked
xpio outb 0x10 1
echo "GUEST flags after setting bit 0: $(xpio inb 0x10)"
probe locked
xpio outb 0x10 0
echo "GUEST flags after clearing bit 0: $(xpio inb 0x10)"
probe unlocked-again
