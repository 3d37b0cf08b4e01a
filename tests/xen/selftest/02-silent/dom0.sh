# The harness's watchdog: a Xen that stops for good. At the job's first
# attempt dom0 stops its signs of life and the job waits far longer
# than XEN_SILENCE_LIMIT: the host must end that Xen and put the next
# attempt back into the queue; it passes, and the report says why
if [ "$ATTEMPT" = 1 ]; then
    kill -STOP "$(cat /run/heartbeat.pid)"
    sleep 100000
fi
note "ran at attempt $ATTEMPT in boot $BOOT_ID"
