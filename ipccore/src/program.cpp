#include "ipccore/program.h"

#include "sys_error.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace ipccore {

namespace {

constexpr std::pair<StepOp, const char*> OpNames[] = {
    { StepOp::Acquire, "acquire" },
    { StepOp::Release, "release" },
    { StepOp::Read, "read" },
    { StepOp::Write, "write" },
    { StepOp::Work, "work" },
    { StepOp::Put, "put" },
    { StepOp::Get, "get" },
    { StepOp::Map, "map" },
    { StepOp::Apply, "apply" },
    { StepOp::Request, "request" },
    { StepOp::Serve, "serve" },
};

constexpr std::pair<RequestOp, const char*> RequestOpNames[] = {
    { RequestOp::Get, "get" },
    { RequestOp::Set, "set" },
    { RequestOp::Append, "append" },
    { RequestOp::Len, "len" },
};

Error badStep(std::string_view text, const std::string& why)
{
    return detail::makeError(ErrorCode::InvalidArgument, "read program step", std::string(text), why);
}

// Seconds as Python writes them: 0.1, 2.5, 0 (no trailing zeros).
std::string seconds(double s)
{
    std::string t = std::to_string(s);
    while (t.ends_with('0'))
        t.pop_back();
    if (t.ends_with('.'))
        t.pop_back();
    return t;
}

template <typename T> bool parseInt(std::string_view s, T& out)
{
    if (s.empty())
        return false;
    if (s.front() == '+')
        s.remove_prefix(1);
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && end == s.data() + s.size();
}

std::vector<std::string_view> words(std::string_view text)
{
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && text[i] == ' ')
            ++i;
        const std::size_t start = i;
        while (i < text.size() && text[i] != ' ')
            ++i;
        if (i > start)
            out.push_back(text.substr(start, i - start));
    }
    return out;
}

// "counter[3]" -> object "counter", cell 3.
bool parseCellRef(std::string_view ref, std::string& object, std::uint32_t& cell)
{
    const std::size_t open = ref.find('[');
    if (open == std::string_view::npos || ref.back() != ']' || open == 0)
        return false;
    object = std::string(ref.substr(0, open));
    return parseInt(ref.substr(open + 1, ref.size() - open - 2), cell);
}

// A request's key: "d[KEY]" or "ns.ATTR" (get and set) or "l" (append and len), KEY and ATTR 1 to MaxKeyLength
// letters, digits or '_'. Empty when it is fine, else why not.
std::string keyProblem(RequestOp op, std::string_view key)
{
    const bool onList = op == RequestOp::Append || op == RequestOp::Len;
    if (onList)
        return key == "l" ? std::string() : "append and len work on the list 'l'";
    std::string_view name;
    if (key.starts_with("d[") && key.ends_with("]"))
        name = key.substr(2, key.size() - 3);
    else if (key.starts_with("ns."))
        name = key.substr(3);
    else
        return "get and set work on d[KEY] (the dict) or ns.ATTR (the Namespace), e.g. d[count]";
    if (name.empty() || name.size() > ProgramLimits::MaxKeyLength)
        return "a key or attribute has 1 to " + std::to_string(ProgramLimits::MaxKeyLength) + " characters";
    for (char c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_')
            return std::string("the character '") + c + "' cannot be in a key: use letters, digits and '_'";
    }
    return {};
}

// d[count] -> d['count']; ns.x and l stay as they are.
std::string pythonKey(const std::string& key)
{
    if (key.starts_with("d["))
        return "d['" + key.substr(2, key.size() - 3) + "']";
    return key;
}

} // namespace

const char* requestOpName(RequestOp op)
{
    for (const auto& [o, name] : RequestOpNames) {
        if (o == op)
            return name;
    }
    return "?";
}

const char* stepOpName(StepOp op)
{
    for (const auto& [o, name] : OpNames) {
        if (o == op)
            return name;
    }
    return "?";
}

bool stepCanTimeOut(StepOp op)
{
    return op == StepOp::Acquire || op == StepOp::Put || op == StepOp::Get || op == StepOp::Request;
}

std::optional<StepOp> parseStepOp(std::string_view text)
{
    for (const auto& [o, name] : OpNames) {
        if (text == name)
            return o;
    }
    return std::nullopt;
}

std::string stepText(const ProgramStep& s)
{
    const std::string op = stepOpName(s.op);
    switch (s.op) {
    case StepOp::Acquire:
        return op + " " + s.object + (s.timeoutMs ? " " + std::to_string(*s.timeoutMs) + "ms" : std::string());
    case StepOp::Release:
        return op + " " + s.object;
    case StepOp::Read:
        return op + " " + s.object + "[" + std::to_string(s.cell) + "]";
    case StepOp::Write:
        return op + " " + s.object + "[" + std::to_string(s.cell) + "] " + (s.add >= 0 ? "+" : "")
            + std::to_string(s.add);
    case StepOp::Work:
        return op + " " + std::to_string(s.us) + "us" + (s.perTask ? " each" : "");
    case StepOp::Map:
        return op + " " + s.object + " " + s.results + " " + std::to_string(s.tasks)
            + (s.chunk != 1 ? " chunk " + std::to_string(s.chunk) : std::string());
    case StepOp::Apply:
        return op + " " + s.object + " " + s.results + " " + std::to_string(s.tasks);
    case StepOp::Request: {
        const bool stores = s.request == RequestOp::Set || s.request == RequestOp::Append;
        return op + " " + s.object + (s.results == s.object ? std::string() : " " + s.results) + " "
            + requestOpName(s.request) + " " + s.key
            + (stores ? std::string(s.add >= 0 ? " +" : " ") + std::to_string(s.add) : std::string())
            + (s.timeoutMs ? " " + std::to_string(*s.timeoutMs) + "ms" : std::string());
    }
    case StepOp::Serve:
        return op + " " + s.object;
    case StepOp::Put:
    case StepOp::Get:
        return op + " " + s.object + (s.timeoutMs ? " " + std::to_string(*s.timeoutMs) + "ms" : std::string())
            + (s.priority ? " prio " + std::to_string(s.priority) : std::string());
    }
    return op;
}

namespace {
// A timeout or a work time that did not parse, with what was probably meant: the number and its unit are one word.
std::string timeoutProblem(std::string_view t, const char* example)
{
    std::uint32_t n = 0;
    return "the timeout '" + std::string(t) + "' is not a whole number of milliseconds written as one word, e.g. "
        + example + (parseInt(t, n) ? " (write 'ms' right after the number)" : "");
}
std::string workProblem(std::string_view t)
{
    std::uint32_t n = 0;
    std::string why
        = "the work '" + std::string(t) + "' is not a whole number of microseconds written as one word, e.g. 50us";
    if (parseInt(t, n))
        why += " (write 'us' right after the number)";
    else if (t.ends_with("ms") && parseInt(t.substr(0, t.size() - 2), n))
        why += " (work is in microseconds: " + std::string(t) + " is " + std::to_string(std::uint64_t(n) * 1000)
            + "us)";
    return why;
}

bool isRequestWord(std::string_view word)
{
    return std::any_of(
        std::begin(RequestOpNames), std::end(RequestOpNames), [&](const auto& named) { return word == named.second; });
}
} // namespace

Result<ProgramStep> parseStepText(std::string_view text)
{
    std::vector<std::string_view> w = words(text);
    if (w.empty())
        return badStep(text, "an empty step; write e.g. 'read counter[0]'");
    const auto op = parseStepOp(w[0]);
    if (!op)
        return badStep(text,
            "'" + std::string(w[0])
                + "' is not a step (use acquire, release, read, write, put, get, work, map, apply, request or serve)");
    ProgramStep s;
    s.op = *op;
    auto arity = [&](std::size_t lo, std::size_t hi, const char* form) -> std::optional<Error> {
        if (w.size() < lo || w.size() > hi)
            return badStep(text, std::string("expected ") + form);
        return std::nullopt;
    };
    switch (s.op) {
    case StepOp::Acquire: {
        if (auto e = arity(2, 3, "'acquire OBJECT' or 'acquire OBJECT 100ms'"))
            return *e;
        s.object = std::string(w[1]);
        if (w.size() == 3) {
            std::string_view t = w[2];
            std::uint32_t ms = 0;
            if (!t.ends_with("ms") || !parseInt(t.substr(0, t.size() - 2), ms))
                return badStep(text, timeoutProblem(t, "100ms"));
            s.timeoutMs = ms;
        }
        break;
    }
    case StepOp::Release:
        if (auto e = arity(2, 2, "'release OBJECT'"))
            return *e;
        s.object = std::string(w[1]);
        break;
    case StepOp::Read:
        if (auto e = arity(2, 2, "'read OBJECT[CELL]'"))
            return *e;
        if (!parseCellRef(w[1], s.object, s.cell))
            return badStep(text, "expected OBJECT[CELL] with a cell from 0, e.g. counter[0]");
        break;
    case StepOp::Write:
        if (auto e = arity(3, 3, "'write OBJECT[CELL] +N'"))
            return *e;
        if (!parseCellRef(w[1], s.object, s.cell))
            return badStep(text, "expected OBJECT[CELL] with a cell from 0, e.g. counter[0]");
        if ((w[2].front() != '+' && w[2].front() != '-') || !parseInt(w[2], s.add))
            return badStep(text, "expected what to add to the value read, e.g. +1");
        break;
    case StepOp::Put:
    case StepOp::Get: {
        const bool put = s.op == StepOp::Put;
        if (auto e = arity(2, put ? 5 : 3, put ? "'put OBJECT [100ms] [prio N]'" : "'get OBJECT [100ms]'"))
            return *e;
        s.object = std::string(w[1]);
        std::size_t k = 2;
        if (k < w.size() && w[k] != "prio") {
            std::string_view t = w[k++];
            std::uint32_t ms = 0;
            if (!t.ends_with("ms") || !parseInt(t.substr(0, t.size() - 2), ms))
                return badStep(text, timeoutProblem(t, "100ms"));
            s.timeoutMs = ms;
        }
        if (k < w.size()) {
            if (!put || w[k] != "prio" || k + 2 != w.size() || !parseInt(w[k + 1], s.priority))
                return badStep(text, put ? "expected 'put OBJECT [100ms] [prio N]'" : "expected 'get OBJECT [100ms]'");
        }
        break;
    }
    case StepOp::Work: {
        if (auto e = arity(2, 3, "'work 50us' or 'work 50us each'"))
            return *e;
        std::string_view t = w[1];
        if (!t.ends_with("us") || !parseInt(t.substr(0, t.size() - 2), s.us))
            return badStep(text, workProblem(t));
        if (w.size() == 3 && w[2] != "each")
            return badStep(text, "expected 'each' after the work, or nothing");
        s.perTask = w.size() == 3;
        break;
    }
    case StepOp::Request: {
        constexpr const char* form
            = "'request SERVER REPLIES get d[KEY]', 'request SERVER REPLIES set d[KEY] +1', '... append l +1' or "
              "'... len l', each with an optional timeout such as 500ms; without REPLIES when SERVER is a zmq or "
              "zmq-tcp object (its replies come back on the request's own connection)";
        // REPLIES left out: the word after SERVER is a request, and the one after that is not (a reply queue may
        // be named "get").
        if (w.size() >= 4 && isRequestWord(w[2]) && !isRequestWord(w[3]))
            w.insert(w.begin() + 2, w[1]);
        if (auto e = arity(5, 7, form))
            return *e;
        s.object = std::string(w[1]);
        s.results = std::string(w[2]);
        bool known = false;
        for (const auto& [o, name] : RequestOpNames) {
            if (w[3] == name) {
                s.request = o;
                known = true;
            }
        }
        if (!known)
            return badStep(text, "'" + std::string(w[3]) + "' is not a request (use get, set, append or len)");
        s.key = std::string(w[4]);
        if (const std::string why = keyProblem(s.request, s.key); !why.empty())
            return badStep(text, why);
        std::size_t k = 5;
        const bool stores = s.request == RequestOp::Set || s.request == RequestOp::Append;
        if (stores) {
            if (k >= w.size() || (w[k].front() != '+' && w[k].front() != '-') || !parseInt(w[k], s.add))
                return badStep(text, "expected what to add to the register after the key, e.g. +1");
            ++k;
        }
        if (k < w.size()) {
            std::string_view t = w[k++];
            std::uint32_t ms = 0;
            if (!t.ends_with("ms") || !parseInt(t.substr(0, t.size() - 2), ms))
                return badStep(text, timeoutProblem(t, "500ms"));
            s.timeoutMs = ms;
        }
        if (k != w.size())
            return badStep(text, std::string("expected ") + form);
        break;
    }
    case StepOp::Serve:
        if (auto e = arity(2, 2, "'serve SERVER'"))
            return *e;
        s.object = std::string(w[1]);
        break;
    case StepOp::Map:
    case StepOp::Apply: {
        const bool map = s.op == StepOp::Map;
        if (auto e = arity(4, map ? 6 : 4, map ? "'map TASKS RESULTS N [chunk K]'" : "'apply TASKS RESULTS N'"))
            return *e;
        s.object = std::string(w[1]);
        s.results = std::string(w[2]);
        if (!parseInt(w[3], s.tasks) || s.tasks == 0)
            return badStep(text, "the number of tasks '" + std::string(w[3]) + "' is not a whole number from 1");
        if (w.size() > 4) {
            if (w[4] != "chunk" || w.size() != 6 || !parseInt(w[5], s.chunk) || s.chunk == 0)
                return badStep(text, "expected 'chunk K' with K from 1 after the number of tasks");
        }
        break;
    }
    }
    return s;
}

std::string programText(const ProgramSteps& program)
{
    std::string out;
    for (const ProgramStep& s : program)
        out += (out.empty() ? "" : "; ") + stepText(s);
    return out;
}

Result<ProgramSteps> parseProgramText(std::string_view text)
{
    ProgramSteps p;
    while (!text.empty()) {
        const std::size_t end = text.find(';');
        auto step = parseStepText(text.substr(0, end));
        if (!step)
            return step.error();
        p.push_back(std::move(*step));
        if (end == std::string_view::npos)
            break;
        text.remove_prefix(end + 1);
    }
    if (p.empty())
        return badStep(text, "a program needs at least one step");
    return p;
}

std::string stepPython(const ProgramStep& s)
{
    switch (s.op) {
    case StepOp::Acquire:
        if (!s.timeoutMs)
            return s.object + ".acquire()";
        if (*s.timeoutMs == 0)
            return s.object + ".acquire(timeout=0)";
        return s.object + ".acquire(timeout=" + seconds(double(*s.timeoutMs) / 1000.0) + ")";
    case StepOp::Release:
        return s.object + ".release()";
    case StepOp::Read:
        return "x = " + s.object + "[" + std::to_string(s.cell) + "]";
    case StepOp::Write:
        return s.object + "[" + std::to_string(s.cell) + "] = x " + (s.add >= 0 ? "+ " : "- ")
            + std::to_string(s.add >= 0 ? s.add : -s.add);
    case StepOp::Work:
        if (s.perTask)
            return "for task in chunk: time.sleep(" + seconds(double(s.us) / 1e6) + ")";
        return "time.sleep(" + seconds(double(s.us) / 1e6) + ")";
    case StepOp::Map:
        return "pool.map(f, range(" + std::to_string(s.tasks) + ")"
            + (s.chunk != 1 ? ", chunksize=" + std::to_string(s.chunk) : std::string()) + ")";
    case StepOp::Apply:
        return "[r.get() for r in [pool.apply_async(f, (i,)) for i in range(" + std::to_string(s.tasks) + ")]]";
    case StepOp::Request: {
        const std::string timeout
            = s.timeoutMs ? "  # waits at most " + seconds(double(*s.timeoutMs) / 1000.0) + " s" : std::string();
        const std::string x = s.add >= 0 ? "x + " + std::to_string(s.add) : "x - " + std::to_string(-s.add);
        switch (s.request) {
        case RequestOp::Get:
            return "x = " + pythonKey(s.key) + timeout;
        case RequestOp::Set:
            return pythonKey(s.key) + " = " + x + timeout;
        case RequestOp::Append:
            return "l.append(" + x + ")" + timeout;
        case RequestOp::Len:
            return "x = len(l)" + timeout;
        }
        return {};
    }
    case StepOp::Serve:
        return "manager.get_server().serve_forever()  # one request: apply it, send the reply";
    case StepOp::Put:
        if (s.priority)
            return s.object + ".send(msg" + (s.timeoutMs ? ", timeout=" + seconds(double(*s.timeoutMs) / 1000.0) : "")
                + ", priority=" + std::to_string(s.priority) + ")";
        if (!s.timeoutMs)
            return s.object + ".put(msg)";
        if (*s.timeoutMs == 0)
            return s.object + ".put_nowait(msg)";
        return s.object + ".put(msg, timeout=" + seconds(double(*s.timeoutMs) / 1000.0) + ")";
    case StepOp::Get:
        if (!s.timeoutMs)
            return "msg = " + s.object + ".get()";
        if (*s.timeoutMs == 0)
            return "msg = " + s.object + ".get_nowait()";
        return "msg = " + s.object + ".get(timeout=" + seconds(double(*s.timeoutMs) / 1000.0) + ")";
    }
    return {};
}

std::vector<std::string> programObjects(const ProgramSteps& program)
{
    std::vector<std::string> out;
    for (const ProgramStep& s : program) {
        for (const std::string* name : { &s.object, &s.results }) {
            if (!name->empty() && std::find(out.begin(), out.end(), *name) == out.end())
                out.push_back(*name);
        }
    }
    return out;
}

std::vector<std::size_t> lockPairs(const ProgramSteps& program)
{
    std::vector<std::size_t> pairs(program.size(), program.size());
    std::vector<std::size_t> open; // acquires not given back yet, in order
    for (std::size_t i = 0; i < program.size(); ++i) {
        if (program[i].op == StepOp::Acquire) {
            open.push_back(i);
        } else if (program[i].op == StepOp::Release) {
            const auto a = std::find_if(
                open.rbegin(), open.rend(), [&](std::size_t k) { return program[k].object == program[i].object; });
            if (a == open.rend())
                continue;
            pairs[i] = *a;
            pairs[*a] = i;
            open.erase(std::next(a).base());
        }
    }
    return pairs;
}

} // namespace ipccore
