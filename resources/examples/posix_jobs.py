#!/usr/bin/env python3
"""A fast producer and a slow consumer on POSIX IPC objects of their own, outside IPC Lab, to watch with
`ipclab-cli ls --watch 1` or the window's System tab. Python's standard library only (ctypes over the C
library's POSIX calls), so nothing needs installing.

    python3 resources/examples/posix_jobs.py            # until Ctrl+C
    python3 resources/examples/posix_jobs.py --seconds 30

It makes three objects, named after its process id, and removes them when it ends (Ctrl+C included):

    /demo-PID-jobs      message queue, 10 messages of at most 64 bytes. The producer puts a job every
                        0.05 s, the consumer takes one every 0.5 s, so the queue fills and the producer
                        sleeps in mq_timedsend until there is room.
    /demo-PID-handled   named semaphore. The consumer posts it once per job handled: its value counts them.
    /demo-PID-stats     shared-memory segment of 4 KiB. Two counters, sent and handled, at bytes 0 and 8
                        (unsigned 64-bit, little-endian), each written by one process.

Three processes: this one (it prints the counts every second), the producer and the consumer.
"""

import argparse
import ctypes
import ctypes.util
import mmap
import os
import signal
import struct
import sys
import time

O_RDONLY, O_WRONLY, O_RDWR = os.O_RDONLY, os.O_WRONLY, os.O_RDWR
QUEUE_SLOTS, MESSAGE_BYTES, SEGMENT_BYTES = 10, 64, 4096


class MqAttr(ctypes.Structure):
    _fields_ = [("mq_flags", ctypes.c_long), ("mq_maxmsg", ctypes.c_long), ("mq_msgsize", ctypes.c_long),
                ("mq_curmsgs", ctypes.c_long), ("reserved", ctypes.c_long * 4)]


def load_posix():
    """The C library's POSIX IPC calls (in librt before glibc 2.34, in libc since)."""
    lib = ctypes.CDLL(ctypes.util.find_library("rt") or ctypes.util.find_library("c"), use_errno=True)
    lib.mq_open.restype = ctypes.c_int
    lib.mq_send.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint]
    lib.mq_receive.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_uint)]
    lib.mq_receive.restype = ctypes.c_ssize_t
    lib.mq_getattr.argtypes = [ctypes.c_int, ctypes.POINTER(MqAttr)]
    lib.sem_open.restype = ctypes.c_void_p
    lib.sem_post.argtypes = [ctypes.c_void_p]
    lib.sem_getvalue.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int)]
    lib.shm_open.restype = ctypes.c_int
    return lib


def check(result, what):
    """In a child: a failed call ends it (the main process notices nothing but its silence)."""
    if result == -1:
        print(f"posix_jobs: {what} failed: {os.strerror(ctypes.get_errno())}", file=sys.stderr, flush=True)
        os._exit(1)
    return result


def die_with_parent(parent):
    """A child ends when the demo's main process does (Linux prctl PR_SET_PDEATHSIG); if that process has died
    already, before the prctl took effect, the child ends at once."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.prctl(1, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(0)


def producer(lib, queue, counters, every):
    n = 0
    while True:
        job = f"job {n}".encode()
        check(lib.mq_send(queue, job, len(job), 0), "mq_send")  # sleeps while the queue is full
        n += 1
        struct.pack_into("<Q", counters, 0, n)
        time.sleep(every)


def consumer(lib, queue, handled, counters, every):
    buffer = ctypes.create_string_buffer(MESSAGE_BYTES)
    n = 0
    while True:
        check(lib.mq_receive(queue, buffer, MESSAGE_BYTES, None), "mq_receive")  # sleeps while empty
        time.sleep(every)  # "handling" the job
        n += 1
        struct.pack_into("<Q", counters, 8, n)
        lib.sem_post(handled)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=0, help="stop after this long (default: until Ctrl+C)")
    parser.add_argument("--put-every", type=float, default=0.05, help="seconds between the producer's jobs")
    parser.add_argument("--handle-seconds", type=float, default=0.5, help="seconds the consumer takes per job")
    args = parser.parse_args()

    lib = load_posix()
    base = f"/demo-{os.getpid()}"
    names = {"jobs": f"{base}-jobs".encode(), "handled": f"{base}-handled".encode(),
             "stats": f"{base}-stats".encode()}
    children = []
    cleaning = []

    def clean_up(status=0):
        """Stop the children and remove the three objects, once, whatever interrupts the demo."""
        if cleaning:
            return
        cleaning.append(True)
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        while children:
            pid = children.pop()
            try:
                os.kill(pid, signal.SIGTERM)
                os.waitpid(pid, 0)
            except OSError:
                pass
        lib.mq_unlink(names["jobs"])
        lib.sem_unlink(names["handled"])
        lib.shm_unlink(names["stats"])
        sys.exit(status)

    # Ctrl+C or SIGTERM before the objects and the children exist would leave objects behind: both signals wait
    # until everything is in place and the handler is set.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    signal.signal(signal.SIGINT, lambda *_: clean_up())
    signal.signal(signal.SIGTERM, lambda *_: clean_up())
    attr = MqAttr(0, QUEUE_SLOTS, MESSAGE_BYTES, 0)
    queue = lib.mq_open(names["jobs"], O_RDWR | os.O_CREAT | os.O_EXCL, 0o600, ctypes.byref(attr))
    if queue < 0:
        print(f"posix_jobs: mq_open {base}-jobs failed: {os.strerror(ctypes.get_errno())}", file=sys.stderr)
        sys.exit(1)
    handled = lib.sem_open(names["handled"], os.O_CREAT | os.O_EXCL, 0o600, 0)
    segment_fd = lib.shm_open(names["stats"], O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    if not handled or segment_fd < 0:
        print("posix_jobs: could not create the semaphore or the segment:", os.strerror(ctypes.get_errno()),
              file=sys.stderr)
        clean_up(1)
    os.ftruncate(segment_fd, SEGMENT_BYTES)
    counters = mmap.mmap(segment_fd, SEGMENT_BYTES)

    parent = os.getpid()
    for role in ("producer", "consumer"):
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the main process' to handle
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            die_with_parent(parent)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
            if role == "producer":
                producer(lib, queue, counters, args.put_every)
            else:
                consumer(lib, queue, handled, counters, args.handle_seconds)
            os._exit(0)
        children.append(pid)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})

    print(f"posix_jobs: producer {children[0]}, consumer {children[1]}, objects {base}-jobs, {base}-handled, "
          f"{base}-stats. Watch them with: ipclab-cli ls --watch 1", flush=True)
    start = time.monotonic()
    while not args.seconds or time.monotonic() - start < args.seconds:
        now = MqAttr()
        value = ctypes.c_int()
        lib.mq_getattr(queue, ctypes.byref(now))
        lib.sem_getvalue(handled, ctypes.byref(value))
        sent, done = struct.unpack_from("<QQ", counters, 0)
        print(f"sent {sent}  handled {done}  queue {now.mq_curmsgs} of {now.mq_maxmsg}  "
              f"semaphore {value.value}", flush=True)
        time.sleep(1)
    clean_up()


if __name__ == "__main__":
    main()
