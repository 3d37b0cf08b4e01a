# The harness's own retry path: a job that stalls in its first two
# attempts. Each stall must end its Xen's boot and put the next attempt
# back into the queue, for a Xen in which nothing stalled; the third
# passes, and the report lists both retries
case "$ATTEMPT" in
1|2) stall "a stall made up, attempt $ATTEMPT in boot $BOOT_ID" ;;
esac
note "ran at attempt $ATTEMPT in boot $BOOT_ID"
