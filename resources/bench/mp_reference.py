"""IPC Lab bench: the Python multiprocessing reference (stdlib only).

Embedded into ipclab-cli at build time and run by `ipclab-cli bench` as `python3 -c <this file> MESSAGES`.
Prints one JSON object per line: {"name": ..., "msgs_per_s": ...}. One producer process and one consumer
process per mechanism, released together from a barrier so process start-up is outside the timed window;
the consumer takes the time from the release to its last message, like the C++ bench.

Then two systems the lab runs as programs, each line with a "system" key and its rate in "msgs_per_s": a
Manager's dict (requests per second: x = d["count"]; d["count"] = x + 1, two round trips through the server
process) and Pool.map with chunksize=1 over four workers (tasks per second, the pool started before the clock).
"""

import ctypes
import json
import multiprocessing as mp
import sys
import time

SIZE = 64


def message(i):
    return i.to_bytes(8, "little") + bytes(SIZE - 8)


def queue_producer(q, barrier, n):
    barrier.wait()
    for i in range(n):
        q.put(message(i))


def queue_consumer(q, barrier, n, out):
    barrier.wait()
    start = time.monotonic_ns()
    for _ in range(n):
        q.get()
    out.value = time.monotonic_ns() - start


def pipe_producer(conn, barrier, n):
    barrier.wait()
    for i in range(n):
        conn.send_bytes(message(i))


def pipe_consumer(conn, barrier, n, out):
    barrier.wait()
    start = time.monotonic_ns()
    for _ in range(n):
        conn.recv_bytes()
    out.value = time.monotonic_ns() - start


# A shared 64-byte value guarded by a lock: the producer writes each message under the lock, the consumer reads
# under the lock until it has seen the last one. Counts messages written per second (shm-value's semantics).
def value_producer(buf, seq, lock, barrier, n):
    barrier.wait()
    for i in range(n):
        with lock:
            buf.raw = message(i)
            seq.value = i + 1


def value_consumer(buf, seq, lock, barrier, n, out):
    barrier.wait()
    start = time.monotonic_ns()
    while True:
        with lock:
            _ = buf.raw
            done = seq.value >= n
        if done:
            break
    out.value = time.monotonic_ns() - start


def race(ctx, name, producer, producer_args, consumer, consumer_args, n):
    barrier = ctx.Barrier(2)
    out = ctx.Value(ctypes.c_uint64, 0, lock=False)
    p = ctx.Process(target=producer, args=producer_args + (barrier, n))
    c = ctx.Process(target=consumer, args=consumer_args + (barrier, n, out))
    c.start()
    p.start()
    p.join()
    c.join()
    if p.exitcode != 0 or c.exitcode != 0 or out.value == 0:
        raise RuntimeError(name + " failed")
    print(json.dumps({"name": name, "msgs_per_s": n / (out.value / 1e9)}), flush=True)


def manager_rate(ctx, requests):
    with ctx.Manager() as manager:
        d = manager.dict()
        d["count"] = 0
        start = time.monotonic_ns()
        for _ in range(requests // 2):
            x = d["count"]
            d["count"] = x + 1
        ns = time.monotonic_ns() - start
    return (requests // 2) * 2 / (ns / 1e9)


def identity(x):
    return x


def pool_rate(ctx, tasks):
    with ctx.Pool(4) as pool:
        pool.map(identity, range(100), chunksize=1)  # its workers are up
        start = time.monotonic_ns()
        pool.map(identity, range(tasks), chunksize=1)
        ns = time.monotonic_ns() - start
    return tasks / (ns / 1e9)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    # fork: the default on Linux up to 3.13, stated here so newer Pythons measure the same thing.
    ctx = mp.get_context("fork")
    q = ctx.Queue(maxsize=1000)
    race(ctx, "multiprocessing.Queue", queue_producer, (q,), queue_consumer, (q,), n)
    reader, writer = ctx.Pipe(duplex=False)
    race(ctx, "multiprocessing.Pipe", pipe_producer, (writer,), pipe_consumer, (reader,), n)
    lock = ctx.Lock()
    buf = ctx.RawArray(ctypes.c_char, SIZE)
    seq = ctx.RawValue(ctypes.c_uint64, 0)
    race(ctx, "multiprocessing.Value+Lock", value_producer, (buf, seq, lock), value_consumer, (buf, seq, lock), n)
    few = max(1000, n // 5)  # a request or a task costs tens of microseconds
    print(json.dumps({"name": "multiprocessing.Manager dict get/set", "system": "manager",
                      "msgs_per_s": manager_rate(ctx, few)}), flush=True)
    print(json.dumps({"name": "multiprocessing.Pool.map chunksize=1", "system": "pool",
                      "msgs_per_s": pool_rate(ctx, few)}), flush=True)


if __name__ == "__main__":
    main()
