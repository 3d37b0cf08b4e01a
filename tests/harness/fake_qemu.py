#!/usr/bin/python3
"""A stand-in for qemu-system-x86_64 that fails on purpose, for
test_demo.py. It finds its QMP and qtest channels in the arguments as the
harness passes them (socket chardevs on inherited fds: -chardev
socket,id=X,fd=N with -mon chardev=X / -qtest chardev:X; or the older
-qmp unix:PATH,server=on / -qtest unix:PATH) and then, by
FAKE_QEMU_MODE:

  exit          print an error and exit 1 at once
  hang          never greet on QMP (sleep until killed)
  greet-fail    send the QMP greeting, print an error and exit 1
  qtest-hang    greet, accept qmp_capabilities, then never answer qtest
  qtest-die     greet, accept qmp_capabilities, then print an error and
                exit 1 at the first qtest command
  qmp-hang      greet, accept qmp_capabilities, answer qtest commands
                ("OK 0"), and never answer the next QMP command

It writes its pid to FAKE_QEMU_PIDFILE and creates FAKE_QEMU_READY when
the command it will not answer arrives (qtest-hang: the first qtest
command; qmp-hang: the first QMP command after qmp_capabilities). It exits by itself
after 30 s, so that a broken harness cannot leave it behind for good.
"""

import json
import os
import select
import signal
import socket
import sys
import time

GREETING = {"QMP": {"version": {"qemu": {"micro": 0, "minor": 2,
                                         "major": 10}, "package": "fake"},
                    "capabilities": []}}


def channels(args):
    chardevs, qmp, qtest = {}, None, None
    for opt, val in zip(args, args[1:] + [""]):
        if opt == "-chardev":
            kv = dict(p.split("=", 1) for p in val.split(",") if "=" in p)
            chardevs[kv.get("id")] = kv
        elif opt == "-mon":
            kv = dict(p.split("=", 1) for p in val.split(",") if "=" in p)
            if kv.get("mode") == "control":
                qmp = ("chardev", kv["chardev"])
        elif opt == "-qmp":
            qmp = ("unix", val[len("unix:"):].split(",")[0])
        elif opt == "-qtest":
            kind, _, name = val.partition(":")
            qtest = (kind, name)
    return chardevs, qmp, qtest


def open_channel(chardevs, spec, server):
    kind, name = spec
    if kind == "chardev":
        return socket.socket(fileno=int(chardevs[name]["fd"]))
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    if server:
        s.bind(name)
        s.listen(1)
        return s.accept()[0]
    s.connect(name)
    return s


def read_json(sock, buf):
    dec = json.JSONDecoder()
    while True:
        text = buf[0].lstrip()
        if text:
            try:
                obj, end = dec.raw_decode(text)
                buf[0] = text[end:]
                return obj
            except ValueError:
                pass
        data = sock.recv(4096)
        if not data:
            sys.exit(0)
        buf[0] += data.decode()


def main():
    signal.alarm(30)
    mode = os.environ.get("FAKE_QEMU_MODE", "exit")
    if os.environ.get("FAKE_QEMU_PIDFILE"):
        with open(os.environ["FAKE_QEMU_PIDFILE"], "w") as f:
            f.write("%d\n" % os.getpid())
    if mode == "exit":
        sys.exit("fake-qemu: -device xen-platform: no such device (fake, "
                 "exits at once)")
    if mode == "hang":
        while True:
            time.sleep(1)
    chardevs, qmp_spec, qtest_spec = channels(sys.argv[1:])
    qtest = open_channel(chardevs, qtest_spec, server=False)
    qmp = open_channel(chardevs, qmp_spec, server=True)
    qmp.sendall((json.dumps(GREETING) + "\r\n").encode())
    if mode == "greet-fail":
        time.sleep(0.1)
        sys.exit("fake-qemu: machine init failed after the QMP greeting "
                 "(fake)")
    buf = [""]
    req = read_json(qmp, buf)
    reply = {"return": {}}
    if "id" in req:
        reply["id"] = req["id"]
    qmp.sendall((json.dumps(reply) + "\r\n").encode())
    if mode == "qmp-hang":
        qtest.setblocking(False)
        qmp.setblocking(False)
        while True:
            r, _, _ = select.select([qtest, qmp], [], [])
            if qtest in r:
                lines = qtest.recv(4096).decode().count("\n")
                qtest.sendall(b"OK 0\n" * lines)
            if qmp in r:
                if os.environ.get("FAKE_QEMU_READY"):
                    open(os.environ["FAKE_QEMU_READY"], "w").close()
                while True:
                    time.sleep(1)
    qtest.recv(4096)
    if os.environ.get("FAKE_QEMU_READY"):
        open(os.environ["FAKE_QEMU_READY"], "w").close()
    if mode == "qtest-die":
        sys.exit("fake-qemu: the guest did something fatal (fake)")
    while True:
        time.sleep(1)


if __name__ == "__main__":
    main()
