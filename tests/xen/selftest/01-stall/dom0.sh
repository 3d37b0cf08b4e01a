# The harness's own retry path: a job that stalls in the first boot of
# each Xen (BOOT_ID "XEN.BOOT") and passes in a later one. Its report
# line lists the retries; the job's next attempt must have gone back
# into the queue and been taken by a Xen in which nothing stalled
case "$BOOT_ID" in
*.1) stall "a stall made up, in the first boot of Xen ${BOOT_ID%.*}" ;;
esac
note "ran in boot $BOOT_ID"
