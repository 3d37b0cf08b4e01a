# the platform device's config space: status (bit 4: capabilities), the
# capability pointer and the 8 bytes at 0x40
for d in /sys/bus/pci/devices/*; do
    [ "$(cat $d/vendor)" = 0x5853 ] || continue
    c=$d/config
    echo "GUEST config ${d##*/}: status $(od -An -tx1 -j6 -N1 $c | tr -d ' ') capptr $(od -An -tx1 -j52 -N1 $c | tr -d ' ') cap40 $(od -An -tx1 -j64 -N8 $c | tr -d ' ')"
done
