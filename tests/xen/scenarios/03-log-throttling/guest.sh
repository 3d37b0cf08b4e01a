# a driver that floods its log: lines of one letter ("f") to port 0x12
# through /dev/port, one byte per write, until the guest ends. Each byte
# is an ioreq (a few hundred a second here); a 2-byte line costs the
# bucket 16 bytes
xpio log 0x12 0 2 &
echo "GUEST flooding port 0x12"
