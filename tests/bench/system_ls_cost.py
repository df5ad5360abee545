#!/usr/bin/env python3
"""What `ipclab-cli ls` costs: the time to list N POSIX objects and find their users, against a bare listing.

Creates QUEUES message queues, SEMAPHORES named semaphores and SEGMENTS shared-memory segments (4 KiB) named
"/lsbench-PID-...", runs `ipclab-cli ls --json` REPEAT times and prints the median, minimum and maximum wall time and
CPU time of one listing, beside two baselines measured in the same run:
  - `ipclab-cli --version`: starting the program, which every listing includes;
  - a bare listing in this process: os.scandir of /dev/mqueue and /dev/shm with an lstat of each entry (what
    `ls -l` does), without depths, values or users.
Then `ipclab-cli watch` follows WATCHED of those objects at HZ samples a second for WATCH_SECONDS, and its CPU time
is printed as a share of one core, beside a bare loop in this process making the same reads at the same rate
(mq_getattr on a held descriptor, pread of the semaphore's first bytes, stat of the segment).
Every object is removed at the end, also on Ctrl+C. A figure, not a test: the machine's load shows in it.

Usage: tests/bench/system_ls_cost.py [--cli PATH] [--queues N] [--semaphores N] [--segments N] [--repeat K]
                                     [--watched N] [--hz HZ] [--watch-seconds S]
  --cli   ipclab-cli (default: build/dev/bin/ipclab-cli)
  defaults: 200 queues, 400 semaphores, 400 segments (1000 objects), 9 repeats; 10 watched at 50 Hz for 10 s
Queues are made with 1 slot of 16 bytes, so 200 fit in the default RLIMIT_MSGQUEUE; at most 256 queues may exist
(fs.mqueue.queues_max) unless root raises it.
"""

import argparse
import ctypes
import ctypes.util
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import time


class MqAttr(ctypes.Structure):
    _fields_ = [("mq_flags", ctypes.c_long), ("mq_maxmsg", ctypes.c_long), ("mq_msgsize", ctypes.c_long),
                ("mq_curmsgs", ctypes.c_long), ("reserved", ctypes.c_long * 4)]


def spread(values):
    return f"median {statistics.median(values):.1f} ms (min {min(values):.1f}, max {max(values):.1f})"


def timed(command):
    """Wall and CPU milliseconds of one run of `command`, and its standard output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    out = subprocess.run(command, check=True, capture_output=True).stdout
    wall = (time.perf_counter() - start) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
    return wall, cpu, out


def bare_listing():
    start = time.perf_counter()
    count = 0
    for folder in ("/dev/mqueue", "/dev/shm"):
        if os.path.isdir(folder):
            for entry in os.scandir(folder):
                entry.stat(follow_symlinks=False)
                count += 1
    return (time.perf_counter() - start) * 1000, count


def watch(lib, made, args):
    """ipclab-cli watch on `args.watched` objects (queues, semaphores, segments in turn) against a bare loop."""
    kinds = [k for k in ("queue", "semaphore", "segment") if made[k]]
    names = []
    for i in range(args.watched):
        pool = made[kinds[i % len(kinds)]]
        if i // len(kinds) < len(pool):
            names.append((kinds[i % len(kinds)], pool[i // len(kinds)]))
    wall, cpu, out = timed([args.cli, "watch", "--json", "--hz", str(args.hz), "--seconds", str(args.watch_seconds)]
                           + [name.decode() for _, name in names])
    samples = out.count(b"\n")
    expected = int(args.watch_seconds * args.hz) + 1

    # The bare loop: the same reads, from this process, at the same rate.
    lib.mq_open.restype = ctypes.c_int
    held = []
    for kind, name in names:
        if kind == "queue":
            held.append((kind, lib.mq_open(name, os.O_RDONLY)))
        elif kind == "semaphore":
            held.append((kind, os.open("/dev/shm/sem." + name.decode()[1:], os.O_RDONLY | os.O_NOFOLLOW)))
        else:
            held.append((kind, "/dev/shm/" + name.decode()[1:]))
    attr = MqAttr()
    start_cpu = time.process_time()
    start = time.monotonic()
    period = 1.0 / args.hz
    next_at = start
    bare_samples = 0
    while time.monotonic() - start < args.watch_seconds:
        for kind, handle in held:
            if kind == "queue":
                lib.mq_getattr(handle, ctypes.byref(attr))
            elif kind == "semaphore":
                os.pread(handle, 32, 0)
            else:
                os.stat(handle)
        bare_samples += 1
        next_at += period
        time.sleep(max(0.0, next_at - time.monotonic()))
    bare_cpu = (time.process_time() - start_cpu) * 1000
    for kind, handle in held:
        if kind == "queue":
            lib.mq_close(handle)
        elif kind == "semaphore":
            os.close(handle)
    print(f"ipclab-cli watch --json, {len(names)} objects at {args.hz:g} Hz for {args.watch_seconds:g} s: "
          f"{samples} samples of {expected} scheduled")
    share = cpu / wall * 100
    bare_share = bare_cpu / (args.watch_seconds * 1000) * 100
    print(f"  CPU:                          {cpu:.0f} ms in {wall / 1000:.1f} s, {share:.2f}% of one core "
          f"({cpu * 1000 / max(samples, 1):.0f} us per sample, program start included)")
    print(f"  baseline, the same reads in a bare Python loop: {bare_cpu:.0f} ms, {bare_share:.2f}% of one core "
          f"({bare_samples} samples); ipclab-cli watch uses {share / max(bare_share, 0.001):.2f}x its CPU")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cli", default="build/dev/bin/ipclab-cli")
    parser.add_argument("--queues", type=int, default=200)
    parser.add_argument("--semaphores", type=int, default=400)
    parser.add_argument("--segments", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--watched", type=int, default=10)
    parser.add_argument("--hz", type=float, default=50)
    parser.add_argument("--watch-seconds", type=float, default=10)
    args = parser.parse_args()
    if min(args.queues, args.semaphores, args.segments) < 0 or args.repeat < 1:
        sys.exit("system_ls_cost.py: counts must be 0 or more and --repeat at least 1")
    if args.queues and not os.path.ismount("/dev/mqueue"):
        # Message queues are listed from that filesystem; without it no program can list them (mq_open by name still
        # works).
        print("system_ls_cost.py: /dev/mqueue is not mounted, so no listing can see message queues: measuring "
              "without them (as root: mkdir -p /dev/mqueue && mount -t mqueue none /dev/mqueue)")
        args.queues = 0

    lib = ctypes.CDLL(ctypes.util.find_library("rt") or ctypes.util.find_library("c"), use_errno=True)
    lib.sem_open.restype = ctypes.c_void_p
    base = f"/lsbench-{os.getpid()}"
    made = {"queue": [], "semaphore": [], "segment": []}

    def remove_all(*_):
        for name in made["queue"]:
            lib.mq_unlink(name)
        for name in made["semaphore"]:
            lib.sem_unlink(name)
        for name in made["segment"]:
            lib.shm_unlink(name)
        made["queue"].clear()
        made["semaphore"].clear()
        made["segment"].clear()

    def interrupted(*_):
        remove_all()
        sys.exit(130)

    signal.signal(signal.SIGINT, interrupted)
    signal.signal(signal.SIGTERM, interrupted)
    try:
        attr = MqAttr(0, 1, 16, 0)
        for i in range(args.queues):
            name = f"{base}-q{i}".encode()
            fd = lib.mq_open(name, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600, ctypes.byref(attr))
            if fd < 0:
                sys.exit(f"system_ls_cost.py: queue {i + 1} of {args.queues}: mq_open failed: "
                         f"{os.strerror(ctypes.get_errno())} (fewer --queues, or raise fs.mqueue.queues_max)")
            made["queue"].append(name)
            os.close(fd)
        for i in range(args.semaphores):
            name = f"{base}-s{i}".encode()
            sem = lib.sem_open(name, os.O_CREAT | os.O_EXCL, 0o600, 1)
            if not sem:
                sys.exit(f"system_ls_cost.py: sem_open failed: {os.strerror(ctypes.get_errno())}")
            made["semaphore"].append(name)
            lib.sem_close(ctypes.c_void_p(sem))
        for i in range(args.segments):
            name = f"{base}-m{i}".encode()
            fd = lib.shm_open(name, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
            if fd < 0:
                sys.exit(f"system_ls_cost.py: shm_open failed: {os.strerror(ctypes.get_errno())}")
            made["segment"].append(name)
            os.ftruncate(fd, 4096)
            os.close(fd)
        ours = args.queues + args.semaphores + args.segments

        walls, cpus, starts, bares = [], [], [], []
        listed = processes = 0
        for _ in range(args.repeat):
            wall, cpu, out = timed([args.cli, "ls", "--json"])
            walls.append(wall)
            cpus.append(cpu)
            listing = json.loads(out)
            listed = sum(1 for o in listing["objects"] if o["name"].startswith(base + "-"))
            processes = listing["processes_scanned"]
            starts.append(timed([args.cli, "--version"])[0])
            bares.append(bare_listing()[0])
        if listed != ours:
            sys.exit(f"system_ls_cost.py: ipclab-cli ls listed {listed} of the {ours} objects made")
        print(f"ipclab-cli ls --json, {ours} objects ({args.queues} queues, {args.semaphores} semaphores, "
              f"{args.segments} segments) among {len(listing['objects'])}, {processes} processes, "
              f"{args.repeat} runs:")
        print(f"  one listing, wall:            {spread(walls)}")
        print(f"  one listing, CPU:             {spread(cpus)}")
        print(f"  baseline, program start:      {spread(starts)} (ipclab-cli --version)")
        print(f"  baseline, bare listing:       {spread(bares)} (scandir + lstat of each entry, in Python)")
        listing_only = statistics.median(walls) - statistics.median(starts)
        print(f"  listing without the start:    {listing_only:.1f} ms, "
              f"{listing_only / max(statistics.median(bares), 0.001):.1f}x the bare listing")
        if args.watched > 0 and ours > 0:
            watch(lib, made, args)
    finally:
        remove_all()


if __name__ == "__main__":
    main()
