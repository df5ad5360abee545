// `ipclab-cli ls`: the machine's POSIX IPC objects as a table or JSON, once or every few seconds.
#include "ipccore/system_ipc.h"

#include "cli_args.h"
#include "json_file.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <thread>
#include <unistd.h>

namespace ipccore {

namespace {

constexpr int ExitOk = 0;
constexpr int ExitBadInput = 2;
constexpr double MinWatchS = 0.1;
constexpr double MaxWatchS = 3600;
constexpr std::size_t UsersShown = 4; // the rest of a busy object's users are counted, not named

const char* const LsUsage
    = "Usage: ipclab-cli ls [--json] [--watch SECONDS] [--count N]\n"
      "\n"
      "Lists every POSIX message queue, named semaphore and shared-memory segment on this machine, whoever made\n"
      "it, and the processes using each one. Objects marked * are IPC Lab's own. The columns:\n"
      "  SIZE            a queue's bytes of queued messages (its QSIZE), a semaphore's file, a segment's length\n"
      "  DEPTH / VALUE   a queue's messages of its slots; a semaphore's value and the threads waiting on it\n"
      "  USED BY         pid and command of each process with it open or mapped, and what it does at that\n"
      "                  instant: (in CALL) waits on this object, in mq_timedsend (queue full), mq_timedreceive\n"
      "                  (queue empty) or sem_wait (value 0); (elsewhere: CALL) sleeps in another call, perhaps on\n"
      "                  another object; (running) is on a CPU. 'none': no process has it open or mapped (left\n"
      "                  behind by a program that died?); 'none seen': none of those this user may inspect.\n"
      "Nothing is disturbed: queues are opened read-only and never received from, semaphores are read without\n"
      "waiting or posting, and nothing is created or removed. To follow a few objects many times a second, use\n"
      "ipclab-cli watch NAME... (ipclab-cli list, without s, lists the bundled scenarios).\n"
      "  --json             one JSON object per listing, each on one line (JSON Lines)\n"
      "  --watch SECONDS    list again every SECONDS (0.1 to 3600), with the change since the last listing,\n"
      "                     until Ctrl+C\n"
      "  --count N          stop after N listings (with --watch; N at least 1)\n"
      "Objects of other users show 'no permission'; run as their owner or as root to read them.\n";

int badInput(const std::string& message)
{
    std::fprintf(stderr, "ipclab-cli ls: %s\n(ipclab-cli ls --help lists the options)\n", message.c_str());
    return ExitBadInput;
}

std::string key(const SystemObject& o)
{
    return std::string(systemObjectKindName(o.kind)) + " " + o.name;
}

void appendRow(std::string& out, const std::vector<std::string>& cells, const std::vector<std::size_t>& widths)
{
    std::string line;
    for (std::size_t c = 0; c < cells.size(); ++c) {
        line += cells[c];
        if (c + 1 < cells.size())
            line += std::string(widths[c] > cells[c].size() ? widths[c] - cells[c].size() + 2 : 2, ' ');
    }
    while (!line.empty() && line.back() == ' ')
        line.pop_back();
    out += line + "\n";
}

} // namespace

std::string systemListingToText(const SystemListing& listing, const SystemListing* before)
{
    std::map<std::string, const SystemObject*> previous;
    if (before)
        for (const SystemObject& o : before->objects)
            previous.emplace(key(o), &o);
    std::vector<std::vector<std::string>> rows;
    rows.push_back({ "", "KIND", "NAME", "OWNER", "MODE", "SIZE", "DEPTH / VALUE", "USED BY" });
    bool anyLab = false;
    std::size_t unreadable = 0;
    std::vector<std::string> problems;
    for (const SystemObject& o : listing.objects) {
        const auto it = previous.find(key(o));
        const SystemObject* was = it == previous.end() ? nullptr : it->second;
        anyLab = anyLab || o.lab;
        if (o.permissionDenied)
            ++unreadable;
        else if (!o.problem.empty())
            problems.push_back(std::string(systemObjectKindName(o.kind)) + " " + printableText(o.name) + ": "
                + printableText(o.problem));
        std::string mark = o.lab ? "*" : "";
        if (before && !was)
            mark += "new";
        rows.push_back({ mark, systemObjectKindName(o.kind), printableText(o.name), printableText(o.owner),
            systemObjectModeText(o), systemObjectSizeText(o), systemObjectStateText(o, was),
            systemObjectUsersText(o, UsersShown, listing.processesUnreadable > 0) });
        if (was)
            previous.erase(it);
    }
    std::vector<std::size_t> widths(rows.front().size(), 0);
    for (const auto& row : rows)
        for (std::size_t c = 0; c < row.size(); ++c)
            widths[c] = std::max(widths[c], row[c].size());
    std::string out;
    if (listing.objects.empty())
        out += "No POSIX message queues, semaphores or shared-memory segments on this machine.\n";
    else
        for (const auto& row : rows)
            appendRow(out, row, widths);
    for (const auto& [name, o] : previous)
        out += "gone since the last listing: " + printableText(name) + "\n";
    if (anyLab)
        out += "* IPC Lab's own objects.\n";
    if (unreadable > 0)
        out += std::to_string(unreadable) + (unreadable == 1 ? " object" : " objects")
            + " could not be read (no permission): run as the owner or as root (sudo ipclab-cli ls) to see depths "
              "and values.\n";
    for (const std::string& p : problems)
        out += p + "\n";
    for (const std::string& note : listing.notes)
        out += "Note: " + note + ".\n";
    return out;
}

std::string systemListingToJson(const SystemListing& listing)
{
    nlohmann::json objects = nlohmann::json::array();
    for (const SystemObject& o : listing.objects) {
        nlohmann::json users = nlohmann::json::array();
        for (const ObjectUser& u : o.users) {
            nlohmann::json user { { "pid", u.pid }, { "command", u.command }, { "open", u.hasOpen },
                { "mapped", u.hasMapped } };
            if (!u.blockedIn.empty()) {
                user["blocked_in"] = u.blockedIn;
                user["blocked_tid"] = u.blockedTid;
            } else if (!u.elsewhere.empty())
                user["elsewhere"] = u.elsewhere;
            users.push_back(std::move(user));
        }
        nlohmann::json j { { "kind", systemObjectKindName(o.kind) }, { "name", o.name }, { "owner", o.owner },
            { "uid", o.uid }, { "gid", o.gid }, { "inode", o.inode }, { "mode", systemObjectModeText(o) },
            { "lab", o.lab }, { "listed", o.listed }, { "users", std::move(users) } };
        if (!systemObjectSizeText(o).empty()) // a queue's bytes are unknown without permission or /dev/mqueue
            j["size_bytes"] = o.sizeBytes;
        if (o.depth)
            j["depth"] = *o.depth;
        if (o.capacity)
            j["capacity"] = *o.capacity;
        if (o.messageSize)
            j["message_size"] = *o.messageSize;
        if (o.value)
            j["value"] = *o.value;
        if (o.waiters)
            j["waiters"] = *o.waiters;
        if (!o.problem.empty())
            j["problem"] = o.problem;
        if (o.permissionDenied)
            j["no_permission"] = true;
        objects.push_back(std::move(j));
    }
    const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    const nlohmann::json j { { "time", std::round(now * 1000) / 1000 }, { "mqueue_mounted", listing.mqueueMounted },
        { "processes_scanned", listing.processesScanned }, { "processes_unreadable", listing.processesUnreadable },
        { "notes", listing.notes }, { "objects", std::move(objects) } };
    // Names are bytes, not always UTF-8: replace what is not (U+FFFD) instead of throwing.
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

int runLsCommand(int argc, char** argv)
{
    bool json = false;
    std::optional<double> watchS;
    std::optional<long> count;
    for (int i = 2; i < argc; ++i) {
        const auto [arg, attached] = detail::splitCliArg(argv[i]);
        if (arg == "--help" || arg == "-h") {
            std::fputs(LsUsage, stdout);
            return ExitOk;
        }
        if (arg == "--json" && !attached) {
            json = true;
            continue;
        }
        if (arg.rfind("-", 0) != 0)
            return badInput("ls lists every object and takes no name ('" + arg
                + "'): to follow a few objects, use ipclab-cli watch NAME...; to pick some, filter --json");
        if (arg != "--watch" && arg != "--count")
            return badInput("unknown option '" + arg + "'" + detail::didYouMeanJson(arg));
        if (!attached && i + 1 >= argc)
            return badInput(arg + " needs a value: " + (arg == "--watch" ? "seconds between listings" : "a count"));
        const std::string value = attached ? *attached : std::string(argv[++i]);
        const char* text = value.c_str();
        char* end = nullptr;
        errno = 0;
        if (arg == "--watch") {
            const double s = std::strtod(text, &end);
            if (end == text || *end != '\0' || !std::isfinite(s) || s < MinWatchS || s > MaxWatchS)
                return badInput(
                    "--watch: '" + std::string(text) + "': give the seconds between listings, from 0.1 to 3600");
            watchS = s;
        } else {
            const long n = std::strtol(text, &end, 10);
            if (end == text || *end != '\0' || errno == ERANGE || n < 1)
                return badInput("--count: '" + std::string(text) + "' is not a whole number of at least 1");
            count = n;
        }
    }
    if (count && !watchS)
        return badInput("--count counts the listings of --watch: give --watch SECONDS too");
    const bool tty = isatty(STDOUT_FILENO) && !json;
    std::optional<SystemListing> before;
    auto next = std::chrono::steady_clock::now();
    for (long n = 0; !count || n < *count; ++n) {
        if (n > 0) {
            next += std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                std::chrono::duration<double>(*watchS));
            std::this_thread::sleep_until(next);
            if (next < std::chrono::steady_clock::now())
                next = std::chrono::steady_clock::now(); // a listing slower than the interval: no catching up
        }
        SystemListing listing = scanSystemIpc();
        if (json)
            std::printf("%s\n", systemListingToJson(listing).c_str());
        else {
            if (watchS) {
                const std::time_t t = std::time(nullptr);
                char clock[16];
                std::strftime(clock, sizeof clock, "%H:%M:%S", std::localtime(&t));
                std::printf("%sEvery %g s: ipclab-cli ls  (%s)\n\n", tty ? "\033[H\033[2J" : (n > 0 ? "\n" : ""),
                    *watchS, clock);
            }
            std::fputs(systemListingToText(listing, before ? &*before : nullptr).c_str(), stdout);
        }
        std::fflush(stdout);
        if (!watchS)
            break;
        before = std::move(listing);
    }
    return ExitOk;
}

} // namespace ipccore
