# a driver that floods its log: 100-byte lines to port 0x12 through
# /dev/port, one byte per write, until the guest ends
xpio log 0x12 0 100 &
echo "GUEST flooding port 0x12"
