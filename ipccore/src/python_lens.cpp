#include "ipccore/python_lens.h"

#include "ipccore/program.h"
#include "ipccore/transport.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <set>

namespace ipccore {

namespace {

// Names the generated program uses itself: an object or process of the same name gets a '_' after it.
const std::set<std::string> Taken = { "mp", "os", "sys", "time", "queue", "signal", "socket", "tempfile", "ctypes",
    "work", "frame", "task", "try_put", "try_get", "die_with_parent", "BoundedBuffer", "Channel", "processes",
    "seconds", "home", "manager", "pool", "d", "ns", "l", "x", "item", "seq", "fd", "sock", "results", "p", "DURATION",
    "main", "and", "as", "assert", "break", "class", "continue", "def", "del", "elif", "else", "except", "finally",
    "for", "from", "global", "if", "import", "in", "is", "lambda", "not", "or", "pass", "raise", "return", "try",
    "while", "with", "yield", "None", "True", "False", "print", "range", "len", "list", "dict", "id", "type" };

std::string ident(const std::string& name)
{
    std::string out;
    for (const char c : name)
        out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0])))
        out = "_" + out;
    return Taken.count(out) ? out + "_" : out;
}

std::string number(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

std::string seconds(std::uint32_t ms)
{
    return number(double(ms) / 1000.0);
}

class Lines {
public:
    int add(const std::string& line)
    {
        m_lines.push_back(line);
        return int(m_lines.size());
    }
    std::string text() const
    {
        std::string out;
        for (const std::string& l : m_lines)
            out += l + "\n";
        return out;
    }

private:
    std::vector<std::string> m_lines;
};

struct Lens {
    const Scenario& s;
    Lines out;
    PythonProgram result;
    std::set<std::string> poolTasks, poolResults, managerObjects; // objects Python hides inside a Pool or Manager
    std::vector<bool> inPool, isServer; // per worker: a pool's process, a Manager's server
    std::map<std::string, std::vector<std::size_t>> endUsers; // a Pipe(): the two processes that hold its ends
    // Processes that do the same thing (four adders) share one function, as a person would write it: per worker, the
    // first worker of its group, and the function's name.
    std::vector<std::size_t> groupOf;
    std::vector<std::string> functionOf;

    explicit Lens(const Scenario& scenario)
        : s(scenario)
    { }

    const ObjectSpec* object(const std::string& name) const
    {
        for (const ObjectSpec& o : s.objects) {
            if (o.name == name)
                return &o;
        }
        return nullptr;
    }
    TransportKind kindOf(const std::string& name) const
    {
        const ObjectSpec* o = object(name);
        return o ? o->transport : TransportKind::Mq;
    }
    bool uses(TransportKind kind) const
    {
        return std::any_of(
            s.objects.begin(), s.objects.end(), [&](const ObjectSpec& o) { return o.transport == kind; });
    }
    // A named pipe or a socket: a private directory for it, and frames of bytes.
    bool streams() const { return uses(TransportKind::Fifo) || uses(TransportKind::Socket); }
    // A put or get on a queue with a timeout: the program needs try_put and try_get.
    bool givesUp() const
    {
        for (const WorkerSpec& w : s.workers) {
            for (const ProgramStep& step : w.program) {
                if ((step.op == StepOp::Put || step.op == StepOp::Get) && step.timeoutMs
                    && kindOf(step.object) == TransportKind::Mq && !poolTasks.count(step.object)
                    && !poolResults.count(step.object))
                    return true;
            }
        }
        return false;
    }
    bool anyOf(const std::vector<bool>& v) const { return std::find(v.begin(), v.end(), true) != v.end(); }

    void classify()
    {
        for (const WorkerSpec& w : s.workers) {
            for (const ProgramStep& step : w.program) {
                if (isPoolCall(step.op)) {
                    poolTasks.insert(step.object);
                    poolResults.insert(step.results);
                }
                if (step.op == StepOp::Serve)
                    managerObjects.insert(step.object);
                if (step.op == StepOp::Request) {
                    managerObjects.insert(step.object);
                    managerObjects.insert(step.results);
                }
            }
        }
        for (std::size_t i = 0; i < s.workers.size(); ++i) {
            const WorkerSpec& w = s.workers[i];
            bool pool = false, server = false;
            for (const ProgramStep& step : w.program) {
                pool = pool || (step.op == StepOp::Get && poolTasks.count(step.object));
                server = server || step.op == StepOp::Serve;
            }
            inPool.push_back(pool);
            isServer.push_back(server);
            for (const std::string& name : objectsOf(w)) {
                if (kindOf(name) == TransportKind::SocketPair)
                    endUsers[name].push_back(i);
            }
        }
    }

    // The objects a process is handed, in the order its steps name them (Pool's and Manager's plumbing left out).
    std::vector<std::string> objectsOf(const WorkerSpec& w) const
    {
        std::vector<std::string> names;
        auto add = [&](const std::string& n) {
            if (!n.empty() && !poolTasks.count(n) && !poolResults.count(n) && !managerObjects.count(n)
                && std::find(names.begin(), names.end(), n) == names.end())
                names.push_back(n);
        };
        if (w.role != Role::Program)
            add(w.object);
        for (const ProgramStep& step : w.program)
            add(step.object);
        return names;
    }
    // A Manager client's proxies: d, ns and l as its requests use them.
    std::vector<std::string> proxiesOf(const WorkerSpec& w) const
    {
        std::vector<std::string> names;
        for (const ProgramStep& step : w.program) {
            if (step.op != StepOp::Request)
                continue;
            const std::string p = step.key.rfind("ns.", 0) == 0 ? "ns" : step.key == "l" ? "l" : "d";
            if (std::find(names.begin(), names.end(), p) == names.end())
                names.push_back(p);
        }
        return names;
    }

    void preamble()
    {
        out.add("#!/usr/bin/env python3");
        out.add("# " + s.title);
        out.add("#");
        out.add("# IPC Lab's scenario \"" + s.name + "\" as a Python program, generated from its worker programs: a");
        out.add("# function per kind of process, a line per step. Standard library only. Run: python3 FILE [SECONDS]");
        out.add("import multiprocessing as mp");
        if (streams())
            out.add("import os");
        out.add("import signal");
        out.add("import sys");
        out.add("import time");
        if (givesUp())
            out.add("import queue");
        if (uses(TransportKind::Socket))
            out.add("import socket");
        if (streams())
            out.add("import tempfile");
        if (anyOf(inPool))
            out.add("import ctypes");
        out.add("");
        out.add("DURATION = " + number(s.durationS) + "  # seconds, as the scenario runs");
        for (const ObjectSpec& o : s.objects) {
            if (o.transport == TransportKind::Global)
                out.add(ident(o.name) + " = [0] * " + std::to_string(std::max<std::uint32_t>(1, o.capacity))
                    + "  # a module-level global: every process has its own copy");
        }
        out.add("");
        out.add("");
        out.add("def work(us):  # the lab's simulated work: a sleep");
        out.add("    time.sleep(us / 1e6)");
        if (streams()) {
            out.add("");
            out.add("");
            out.add("def frame(seq, size):  # a fixed-size message: the reader takes exactly one at a time");
            out.add("    return seq.to_bytes(8, \"little\").ljust(size, b\"\\0\")");
        }
        if (givesUp()) {
            out.add("");
            out.add("");
            out.add(
                "def try_put(q, item, timeout):  # put(..., timeout) that says False instead of raising queue.Full");
            out.add("    try:");
            out.add("        q.put(item, timeout=timeout) if timeout > 0 else q.put_nowait(item)");
            out.add("        return True");
            out.add("    except queue.Full:");
            out.add("        return False");
            out.add("");
            out.add("");
            out.add("def try_get(q, timeout):  # get(..., timeout) that gives None instead of raising queue.Empty");
            out.add("    try:");
            out.add("        return q.get(timeout=timeout) if timeout > 0 else q.get_nowait()");
            out.add("    except queue.Empty:");
            out.add("        return None");
        }
        if (uses(TransportKind::ShmRing) || uses(TransportKind::ShmSpsc)) {
            out.add("");
            out.add("");
            out.add(
                "class BoundedBuffer:  # the shared-memory ring: slots, and semaphores counting empty and full ones");
            out.add("    def __init__(self, slots):");
            out.add("        self.slots = mp.Array(\"q\", slots, lock=False)");
            out.add("        self.head = mp.Value(\"q\", 0, lock=False)");
            out.add("        self.tail = mp.Value(\"q\", 0, lock=False)");
            out.add("        self.empty = mp.Semaphore(slots)");
            out.add("        self.full = mp.Semaphore(0)");
            out.add("        self.mutex = mp.Lock()");
            out.add("");
            out.add("    def put(self, item):");
            out.add("        self.empty.acquire()  # sem_wait(empty): blocks while every slot is full");
            out.add("        with self.mutex:");
            out.add("            self.slots[self.head.value % len(self.slots)] = item");
            out.add("            self.head.value += 1");
            out.add("        self.full.release()  # sem_post(full)");
            out.add("");
            out.add("    def get(self):");
            out.add("        self.full.acquire()  # sem_wait(full): blocks while every slot is empty");
            out.add("        with self.mutex:");
            out.add("            item = self.slots[self.tail.value % len(self.slots)]");
            out.add("            self.tail.value += 1");
            out.add("        self.empty.release()  # sem_post(empty)");
            out.add("        return item");
        }
        if (uses(TransportKind::Rendezvous)) {
            out.add("");
            out.add("");
            out.add("class Channel:  # a CSP channel: send() returns only once a receiver has taken the message");
            out.add("    def __init__(self):");
            out.add("        self.slot = mp.Queue(maxsize=1)");
            out.add("        self.taken = mp.Semaphore(0)");
            out.add("");
            out.add("    def send(self, item):");
            out.add("        self.slot.put(item)");
            out.add("        self.taken.acquire()");
            out.add("");
            out.add("    def recv(self):");
            out.add("        item = self.slot.get()");
            out.add("        self.taken.release()");
            out.add("        return item");
        }
        if (anyOf(inPool)) {
            out.add("");
            out.add("");
            out.add("def die_with_parent():  # a pool process ends with the process that made the pool");
            out.add("    ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # prctl(PR_SET_PDEATHSIG, SIGKILL)");
        }
    }

    // A put or get of `value` on an object, as the process function holds it; one line.
    std::string put(const std::string& name, const std::string& value, const WorkerSpec& w, std::uint32_t size) const
    {
        const std::string v = ident(name);
        switch (kindOf(name)) {
        case TransportKind::Mq:
            return v + ".put(" + value + ")" + (w.priority ? "  # Queue has no priorities: posix_ipc's has" : "");
        case TransportKind::Fifo:
            return "os.write(fd, frame(" + value + ", " + std::to_string(size) + "))";
        case TransportKind::Socket:
            return "sock.sendall(frame(" + value + ", " + std::to_string(size) + "))";
        case TransportKind::ShmValue:
            return v + ".value = " + value + "  # overwrites what the reader has not seen yet";
        case TransportKind::Rendezvous:
            return v + ".send(" + value + ")";
        case TransportKind::Pipe:
        case TransportKind::SocketPair:
            return v + ".send(" + value + ")";
        case TransportKind::ZmqPub:
        case TransportKind::ZmqPubTcp:
            return "for q in " + v + ": q.put(" + value + ")  # a copy for each subscriber";
        default:
            return v + ".put(" + value + ")";
        }
    }
    std::string get(const std::string& name, const std::string& into, std::uint32_t size) const
    {
        const std::string v = ident(name);
        switch (kindOf(name)) {
        case TransportKind::Fifo:
            return into + " = os.read(fd, " + std::to_string(size) + ")";
        case TransportKind::Socket:
            return into + " = sock.recv(" + std::to_string(size) + ", socket.MSG_WAITALL)";
        case TransportKind::ShmValue:
            return into + " = " + v + ".value  # the latest value, whether or not it changed";
        case TransportKind::Rendezvous:
        case TransportKind::Pipe:
        case TransportKind::SocketPair:
            return into + " = " + v + ".recv()";
        default:
            return into + " = " + v + ".get()";
        }
    }

    // Opening what a fifo or socket process needs before its loop.
    void openEnds(const std::vector<std::string>& objects, bool writer, const std::string& pad)
    {
        for (const std::string& name : objects) {
            const std::string v = ident(name);
            if (kindOf(name) == TransportKind::Fifo)
                out.add(pad + "fd = os.open(" + v + ", " + (writer ? "os.O_WRONLY" : "os.O_RDONLY")
                    + ")  # a named pipe: open blocks until the other end is opened too");
            if (kindOf(name) == TransportKind::Socket) {
                if (writer) {
                    out.add(pad + "sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)");
                    out.add(pad + "sock.connect(" + v + ")");
                } else
                    out.add(pad + "sock, _ = " + v + ".accept()");
            }
        }
    }

    std::string loopHead(const WorkerSpec& w) const
    {
        return w.count ? "for _ in range(" + std::to_string(w.count) + "):" : "while True:";
    }

    // What makes two processes the same function: everything but their names.
    std::string signature(const WorkerSpec& w) const
    {
        std::string sig = std::to_string(int(w.role)) + "|" + w.object + "|" + number(w.rate) + "|"
            + std::to_string(w.messageSize) + "|" + std::to_string(w.workUs) + "|" + std::to_string(w.count) + "|"
            + std::to_string(w.priority) + "|" + std::to_string(w.crashInLockAfter);
        for (ProgramStep step : w.program) {
            if (step.op == StepOp::Request)
                step.results.clear(); // each client's reply queue: Python's proxies hide it
            sig += "|" + stepText(step);
        }
        return sig;
    }
    static std::string stem(const std::string& name)
    {
        std::size_t end = name.size();
        while (end > 0 && std::isdigit(static_cast<unsigned char>(name[end - 1])))
            --end;
        return end > 1 && end < name.size() && (name[end - 1] == '-' || name[end - 1] == '_') ? name.substr(0, end - 1)
                                                                                              : std::string();
    }
    void group()
    {
        std::map<std::string, std::size_t> first;
        for (std::size_t i = 0; i < s.workers.size(); ++i) {
            const WorkerSpec& w = s.workers[i];
            // A Pipe()'s two ends go to two different functions' processes: never shared.
            const bool ends = std::any_of(endUsers.begin(), endUsers.end(),
                [&](const auto& e) { return std::find(e.second.begin(), e.second.end(), i) != e.second.end(); });
            const auto [it, fresh] = first.emplace(ends ? "#" + std::to_string(i) : signature(w), i);
            groupOf.push_back(it->second);
        }
        std::set<std::string> used;
        for (const ObjectSpec& o : s.objects)
            used.insert(ident(o.name));
        functionOf.assign(s.workers.size(), {});
        for (std::size_t i = 0; i < s.workers.size(); ++i) {
            if (groupOf[i] != i)
                continue;
            std::vector<std::string> members;
            for (std::size_t j = i; j < s.workers.size(); ++j) {
                if (groupOf[j] == i)
                    members.push_back(s.workers[j].name);
            }
            std::string name = ident(s.workers[i].name);
            const std::string common = stem(members.front());
            if (members.size() > 1 && !common.empty()
                && std::all_of(members.begin(), members.end(), [&](const std::string& m) { return stem(m) == common; })
                && !used.count(ident(common)))
                name = ident(common);
            used.insert(name);
            functionOf[i] = name;
        }
        for (std::size_t i = 0; i < s.workers.size(); ++i)
            functionOf[i] = functionOf[groupOf[i]];
    }
    std::string membersOf(std::size_t index) const
    {
        std::string names;
        for (std::size_t j = 0; j < s.workers.size(); ++j) {
            if (groupOf[j] == groupOf[index])
                names += (names.empty() ? "" : ", ") + s.workers[j].name;
        }
        return names;
    }

    void mover(std::size_t index)
    {
        const WorkerSpec& w = s.workers[index];
        const std::string v = ident(w.object);
        const ObjectSpec* o = object(w.object);
        const bool producer = w.role == Role::Producer;
        out.add("def " + functionOf[index] + "(" + v + "):");
        out.add("    \"\"\"" + membersOf(index) + ": "
            + (producer ? "puts numbered messages into " : "takes messages from ") + w.object + " ("
            + transportName(o ? o->transport : TransportKind::Mq) + ")"
            + (w.rate > 0 ? ", " + number(w.rate) + " a second" : "") + ".\"\"\"");
        openEnds({ w.object }, producer, "    ");
        int line = 0;
        if (producer) {
            out.add("    seq = 0");
            out.add("    " + loopHead(w));
            out.add("        seq += 1");
            line = out.add("        " + put(w.object, "seq", w, w.messageSize));
            if (w.crashInLockAfter)
                out.add("        # (the lab kills this process inside the buffer's lock after "
                    + std::to_string(w.crashInLockAfter) + " puts)");
        } else {
            out.add("    " + loopHead(w));
            line = out.add("        " + get(w.object, "item", w.messageSize));
            if (o && o->transport == TransportKind::Rendezvous)
                out.add("        if item is None:  # poison: the sender has finished");
            if (o && o->transport == TransportKind::Rendezvous)
                out.add("            break");
        }
        if (w.workUs)
            out.add("        work(" + std::to_string(w.workUs) + ")");
        if (w.rate > 0)
            out.add("        time.sleep(1 / " + number(w.rate) + ")");
        if (producer && o && o->transport == TransportKind::Rendezvous && w.count)
            out.add("    " + v + ".send(None)  # poison: tell the reader there is no more");
        result.stepLines[index] = { line };
    }

    int programStep(const WorkerSpec& w, const ProgramStep& step, const std::string& pad)
    {
        const std::string v = ident(step.object);
        const TransportKind kind = kindOf(step.object);
        const bool array = kind == TransportKind::ShmArray;
        const std::string lock = array ? v + ".get_lock()" : v;
        switch (step.op) {
        case StepOp::Acquire:
            if (step.timeoutMs) {
                const int line
                    = out.add(pad + "if not " + lock + ".acquire(timeout=" + seconds(*step.timeoutMs) + "):");
                out.add(pad + "    continue  # gave up: the rest of this pass is skipped");
                return line;
            }
            return out.add(pad + lock + ".acquire()");
        case StepOp::Release:
            return out.add(pad + lock + ".release()");
        case StepOp::Read:
            return out.add(pad + "x = " + v + "[" + std::to_string(step.cell) + "]");
        case StepOp::Write:
            return out.add(pad + v + "[" + std::to_string(step.cell) + "] = x " + (step.add >= 0 ? "+ " : "- ")
                + std::to_string(step.add >= 0 ? step.add : -step.add));
        case StepOp::Work:
            return out.add(pad + "work(" + std::to_string(step.us) + ")");
        case StepOp::Put:
            if (step.timeoutMs && kind == TransportKind::Mq) {
                const int line
                    = out.add(pad + "if not try_put(" + v + ", x, " + seconds(*step.timeoutMs) + "):  # queue.Full");
                out.add(pad + "    continue");
                return line;
            }
            return out.add(pad + put(step.object, "x", w, w.messageSize));
        case StepOp::Get: {
            if (step.timeoutMs && kind == TransportKind::Mq) {
                const int line = out.add(pad + "x = try_get(" + v + ", " + seconds(*step.timeoutMs) + ")");
                out.add(pad + "if x is None:  # queue.Empty");
                out.add(pad + "    continue");
                return line;
            }
            const int line = out.add(pad + get(step.object, "x", w.messageSize));
            if (kind == TransportKind::Rendezvous) {
                out.add(pad + "if x is None:  # poison: pass it on, then end");
                for (const ProgramStep& other : w.program) {
                    if (other.op == StepOp::Put && kindOf(other.object) == TransportKind::Rendezvous)
                        out.add(pad + "    " + ident(other.object) + ".send(None)");
                }
                out.add(pad + "    return");
            }
            return line;
        }
        case StepOp::Map:
            return out.add(pad + "results = pool.map(task, range(" + std::to_string(step.tasks)
                + "), chunksize=" + std::to_string(step.chunk) + ")");
        case StepOp::Apply:
            return out.add(pad + "results = [r.get() for r in [pool.apply_async(task, (n,)) for n in range("
                + std::to_string(step.tasks) + ")]]");
        case StepOp::Request: {
            const bool ns = step.key.rfind("ns.", 0) == 0;
            std::string target = step.key;
            if (!ns && step.key != "l") {
                const auto open = step.key.find('['), close = step.key.rfind(']');
                const std::string key = open != std::string::npos && close > open
                    ? step.key.substr(open + 1, close - open - 1)
                    : step.key;
                target = "d[\"" + key + "\"]";
            }
            const std::string added = "x " + std::string(step.add >= 0 ? "+ " : "- ")
                + std::to_string(step.add >= 0 ? step.add : -step.add);
            switch (step.request) {
            case RequestOp::Get:
                return out.add(pad + "x = " + target + "  # a request to the manager's process, and its reply");
            case RequestOp::Set:
                return out.add(pad + target + " = " + added + "  # a request to the manager's process");
            case RequestOp::Append:
                return out.add(pad + "l.append(" + (step.add == 0 ? std::string("x") : added)
                    + ")  # a request to the manager's process");
            case RequestOp::Len:
                return out.add(pad + "x = len(l)  # a request to the manager's process, and its reply");
            }
            return 0;
        }
        case StepOp::Serve:
            return 0;
        }
        return 0;
    }

    void program(std::size_t index)
    {
        const WorkerSpec& w = s.workers[index];
        std::vector<std::string> params;
        for (const std::string& name : objectsOf(w)) {
            if (kindOf(name) != TransportKind::Global)
                params.push_back(ident(name));
        }
        for (const std::string& p : proxiesOf(w))
            params.push_back(p);
        std::string list;
        for (const std::string& p : params)
            list += (list.empty() ? "" : ", ") + p;
        out.add("def " + functionOf[index] + "(" + list + "):");
        out.add("    \"\"\"" + membersOf(index) + "\"\"\"");
        const bool pool
            = std::any_of(w.program.begin(), w.program.end(), [](const ProgramStep& st) { return isPoolCall(st.op); });
        std::string pad = "    ";
        if (pool) {
            std::size_t processes = 0;
            for (const bool p : inPool)
                processes += p ? 1 : 0;
            out.add("    with mp.Pool(" + std::to_string(std::max<std::size_t>(1, processes))
                + ", initializer=die_with_parent) as pool:");
            pad += "    ";
        }
        const bool registers = std::any_of(w.program.begin(), w.program.end(), [](const ProgramStep& st) {
            return st.op == StepOp::Read || st.op == StepOp::Write || st.op == StepOp::Put || st.op == StepOp::Get
                || st.op == StepOp::Request;
        });
        if (registers)
            out.add(pad + "x = 0  # the value its last read or get took");
        out.add(pad + loopHead(w));
        pad += "    ";
        for (const ProgramStep& step : w.program)
            result.stepLines[index].push_back(programStep(w, step, pad));
        if (w.rate > 0)
            out.add(pad + "time.sleep(1 / " + number(w.rate) + ")");
    }

    // A Pool's processes run one function: the first pool process's steps, the others named beside it.
    void poolTask()
    {
        std::size_t first = s.workers.size();
        for (std::size_t i = 0; i < s.workers.size(); ++i) {
            if (inPool[i] && first == s.workers.size())
                first = i;
        }
        if (first == s.workers.size())
            return;
        const int head = out.add("def task(n):  # what each of the pool's processes does with a task");
        int workLine = head, back = head;
        for (std::size_t i = 0; i < s.workers.size(); ++i) {
            if (!inPool[i])
                continue;
            for (const ProgramStep& step : s.workers[i].program) {
                if (step.op == StepOp::Work && i == first)
                    workLine = out.add("    work(" + std::to_string(step.us) + ")  # one task's work ("
                        + s.workers[i].name + "'s: the lab may give each pool process its own)");
            }
        }
        back = out.add("    return n");
        for (std::size_t i = 0; i < s.workers.size(); ++i) {
            if (!inPool[i])
                continue;
            for (const ProgramStep& step : s.workers[i].program)
                result.stepLines[i].push_back(step.op == StepOp::Get ? head
                        : step.op == StepOp::Work                    ? workLine
                                                                     : back);
        }
        out.add("");
        out.add("");
    }

    // The arguments a process is started with: its objects, one end of a Pipe, the path of a fifo or socket.
    std::string argsOf(std::size_t index) const
    {
        const WorkerSpec& w = s.workers[index];
        std::vector<std::string> args;
        for (const std::string& name : objectsOf(w)) {
            const std::string v = ident(name);
            switch (kindOf(name)) {
            case TransportKind::Global:
                continue;
            case TransportKind::Pipe: {
                bool writes = w.role == Role::Producer;
                for (const ProgramStep& step : w.program)
                    writes = writes || (step.op == StepOp::Put && step.object == name);
                args.push_back(v + (writes ? "_w" : "_r"));
                break;
            }
            case TransportKind::SocketPair: {
                const auto& users = endUsers.at(name);
                args.push_back(v + (!users.empty() && users.front() == index ? "_a" : "_b"));
                break;
            }
            case TransportKind::Socket:
                args.push_back(w.role == Role::Consumer ? v + "_listener" : v);
                break;
            case TransportKind::ZmqPub: // a subscriber gets its own Queue, a producer all of them
            case TransportKind::ZmqPubTcp:
                if (w.role == Role::Consumer) {
                    std::size_t nth = 0;
                    for (std::size_t k = 0; k < index; ++k)
                        nth += s.workers[k].role == Role::Consumer && s.workers[k].object == name;
                    args.push_back(v + "[" + std::to_string(nth) + "]");
                } else
                    args.push_back(v);
                break;
            default:
                args.push_back(v);
            }
        }
        for (const std::string& p : proxiesOf(w))
            args.push_back(p);
        std::string list;
        for (const std::string& a : args)
            list += (list.empty() ? "" : ", ") + a;
        return "(" + list + (args.size() == 1 ? ",)" : ")"); // (buffer,): a tuple of one
    }

    void mainBlock()
    {
        out.add("if __name__ == \"__main__\":");
        out.add("    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else DURATION");
        out.add("    mp.set_start_method(\"fork\")  # each process starts as a copy of this one, as the lab's do");
        if (streams())
            out.add("    home = tempfile.mkdtemp()  # a private directory for the named pipe or socket");
        for (const ObjectSpec& o : s.objects) {
            if (poolTasks.count(o.name) || poolResults.count(o.name) || managerObjects.count(o.name))
                continue;
            const std::string v = ident(o.name);
            const std::string cap = std::to_string(o.capacity);
            switch (o.transport) {
            case TransportKind::Mq:
                out.add("    " + v + " = mp.Queue(maxsize=" + cap + ")");
                break;
            case TransportKind::Fifo:
                out.add("    " + v + " = os.path.join(home, \"" + o.name + "\")");
                out.add("    os.mkfifo(" + v + ", 0o600)");
                break;
            case TransportKind::Socket:
                out.add("    " + v + " = os.path.join(home, \"" + o.name + "\")");
                out.add("    " + v + "_listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)");
                out.add("    " + v + "_listener.bind(" + v + ")");
                out.add("    " + v + "_listener.listen()");
                break;
            case TransportKind::ShmRing:
            case TransportKind::ShmSpsc:
                out.add("    " + v + " = BoundedBuffer(" + cap + ")");
                break;
            case TransportKind::ShmValue:
                out.add("    " + v + " = mp.Value(\"q\", 0)");
                break;
            case TransportKind::Pipe:
                out.add("    " + v + "_r, " + v + "_w = mp.Pipe(duplex=False)");
                break;
            case TransportKind::SocketPair:
                out.add("    " + v + "_a, " + v + "_b = mp.Pipe()");
                break;
            case TransportKind::ShmArray:
                out.add("    " + v + " = mp.Array(\"q\", " + cap + ")  # with a lock beside it: " + v + ".get_lock()");
                break;
            case TransportKind::Semaphore:
                out.add("    " + v + " = mp.Semaphore(" + cap + ")");
                break;
            case TransportKind::Rendezvous:
                out.add("    " + v + " = Channel()");
                break;
            case TransportKind::Global:
                break;
            case TransportKind::ZmqPub:
            case TransportKind::ZmqPubTcp:
                // No standard-library stand-in hands every message to every reader: one Queue per subscriber.
                out.add(
                    "    # ZeroMQ in pyzmq (pip install pyzmq): each subscriber binds a SUB socket and subscribes to");
                if (o.transport == TransportKind::ZmqPub)
                    out.add("    # everything, .socket(zmq.SUB).bind(\"ipc://" + o.name
                        + ".zmq\") then .setsockopt(zmq.SUBSCRIBE, b\"\"); producers connect");
                else
                    out.add("    # everything: sets curve_server, then .bind_to_random_port(\"tcp://127.0.0.1\") and "
                            ".setsockopt(zmq.SUBSCRIBE, b\"\"); producers connect (with curve_serverkey)");
                out.add("    # XPUB sockets with zmq.XPUB_NODROP (wait, not drop, at the high-water mark) and send().");
                out.add(
                    "    # Stands in: one Queue per subscriber, each producer put()s every message into all of them.");
                out.add("    " + v + " = [mp.Queue(maxsize=" + cap + ") for _ in range("
                    + std::to_string(std::max<std::size_t>(1,
                        std::count_if(s.workers.begin(), s.workers.end(),
                            [&](const WorkerSpec& w) { return w.role == Role::Consumer && w.object == o.name; })))
                    + ")]");
                break;
            case TransportKind::Zmq:
            case TransportKind::ZmqTcp:
                // Standard library only: a Queue stands in, and the comment gives the pyzmq lines it stands for.
                out.add(
                    "    # ZeroMQ in pyzmq (pip install pyzmq): each consumer binds a PULL socket, producers connect");
                if (o.transport == TransportKind::Zmq)
                    out.add("    # PUSH sockets: zmq.Context().socket(zmq.PULL).bind(\"ipc://" + o.name
                        + ".zmq\"), .socket(zmq.PUSH).connect(...), then send()/recv().");
                else
                    out.add(
                        "    # PUSH sockets: zmq.Context().socket(zmq.PULL).bind_to_random_port(\"tcp://127.0.0.1\"),"
                        " .socket(zmq.PUSH).connect(...) (with curve_serverkey), then send()/recv().");
                out.add(
                    "    " + v + " = mp.Queue(maxsize=" + cap + ")  # stands in for the PUSH/PULL pair, HWM " + cap);
                if (std::count_if(s.workers.begin(), s.workers.end(),
                        [&](const WorkerSpec& w) { return w.role == Role::Consumer && w.object == o.name; })
                    > 1) {
                    out.add(
                        "    # Not the same with several consumers: PUSH deals round-robin, so a slow one keeps its");
                    out.add("    # share queued, while one Queue hands each message to whichever consumer is free.");
                }
                break;
            }
        }
        if (!managerObjects.empty()) {
            const int line = out.add("    manager = mp.Manager()  # a server process that holds d, ns and l");
            for (std::size_t i = 0; i < s.workers.size(); ++i) {
                if (isServer[i])
                    result.stepLines[i] = std::vector<int>(s.workers[i].program.size(), line);
            }
            out.add("    d, ns, l = manager.dict(), manager.Namespace(), manager.list()");
            for (const std::string& name : managerObjects) {
                if (!requestsOverConnections(kindOf(name)))
                    continue;
                out.add("    # Each proxy has a connection of its own to the server, and its replies come back on it,");
                out.add("    # as '" + name + "' (" + transportName(kindOf(name))
                    + ") gives each client a DEALER connected to the server's ROUTER.");
                if (kindOf(name) == TransportKind::ZmqTcp)
                    out.add("    # Over TCP as a manager started with address=('127.0.0.1', 0) and an authkey (CURVE "
                            "here).");
            }
            std::set<std::string> keys;
            for (const WorkerSpec& w : s.workers) {
                for (const ProgramStep& step : w.program) {
                    if (step.op != StepOp::Request || step.key == "l" || !keys.insert(step.key).second)
                        continue;
                    if (step.key.rfind("ns.", 0) == 0)
                        out.add("    " + step.key + " = 0");
                    else if (const auto open = step.key.find('['); open != std::string::npos)
                        out.add("    d[\"" + step.key.substr(open + 1, step.key.size() - open - 2) + "\"] = 0");
                }
            }
        }
        out.add("    processes = [");
        for (std::size_t i = 0; i < s.workers.size(); ++i) {
            if (inPool[i] || isServer[i])
                continue;
            out.add("        mp.Process(target=" + functionOf[i] + ", args=" + argsOf(i) + ", name=\""
                + s.workers[i].name + "\"),");
        }
        out.add("    ]");
        out.add("    for p in processes:");
        out.add("        p.start()");
        out.add("    time.sleep(seconds)");
        out.add("    for p in processes:");
        out.add("        p.terminate()");
        out.add("    for p in processes:");
        out.add("        p.join()");
        if (!managerObjects.empty()) {
            out.add("    print(\"d:\", dict(d), \"ns.x:\", ns.x, \"len(l):\", len(l))  # what the manager holds");
            out.add("    manager.shutdown()");
        }
        if (streams()) {
            out.add("    for name in os.listdir(home):");
            out.add("        os.unlink(os.path.join(home, name))");
            out.add("    os.rmdir(home)");
        }
        for (const ObjectSpec& o : s.objects) {
            // Read past the lock: a process terminated while holding it never gave it back.
            if (o.transport == TransportKind::ShmArray)
                out.add("    print(\"" + o.name + ":\", list(" + ident(o.name)
                    + ".get_obj()))  # past its lock, which a terminated process may still hold");
            if (o.transport == TransportKind::ShmValue)
                out.add("    print(\"" + o.name + ":\", " + ident(o.name)
                    + ".get_obj().value)  # past its lock, which a terminated process may still hold");
        }
        out.add("    # Ended by terminate() (SIGTERM), or finished: anything else is a failure.");
        out.add("    failed = [p.name for p in processes if p.exitcode not in (0, -signal.SIGTERM)]");
        out.add("    if failed:");
        out.add("        sys.exit(\"failed: \" + \", \".join(failed))");
    }

    PythonProgram build()
    {
        classify();
        result.stepLines.assign(s.workers.size(), {});
        preamble();
        out.add("");
        out.add("");
        poolTask();
        group();
        for (std::size_t i = 0; i < s.workers.size(); ++i) {
            if (inPool[i] || isServer[i])
                continue;
            if (groupOf[i] != i) { // the function is written: the same lines
                result.stepLines[i] = result.stepLines[groupOf[i]];
                continue;
            }
            if (s.workers[i].role == Role::Program)
                program(i);
            else
                mover(i);
            out.add("");
            out.add("");
        }
        mainBlock();
        result.text = out.text();
        return std::move(result);
    }
};

} // namespace

PythonProgram pythonProgram(const Scenario& scenario)
{
    return Lens(scenario).build();
}

} // namespace ipccore
