#include "ipccore/runner.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <sstream>

namespace ipccore {

namespace {

std::string fmt(const char* format, double value)
{
    char text[64];
    std::snprintf(text, sizeof text, format, value);
    return text;
}

// A plain text table: columns sized to their widest cell, numbers right-aligned.
class Table {
public:
    explicit Table(std::vector<std::string> header)
        : m_rows { std::move(header) }
    { }
    void add(std::vector<std::string> row) { m_rows.push_back(std::move(row)); }
    std::string render(const std::vector<bool>& rightAlign) const
    {
        std::vector<std::size_t> width(m_rows[0].size(), 0);
        for (const auto& row : m_rows)
            for (std::size_t c = 0; c < row.size(); ++c)
                width[c] = std::max(width[c], row[c].size());
        std::string out;
        for (const auto& row : m_rows) {
            out += "  ";
            for (std::size_t c = 0; c < row.size(); ++c) {
                const std::string pad(width[c] - row[c].size(), ' ');
                const bool right = c < rightAlign.size() && rightAlign[c];
                out += right ? pad + row[c] : row[c] + (c + 1 < row.size() ? pad : "");
                if (c + 1 < row.size())
                    out += "  ";
            }
            out += "\n";
        }
        return out;
    }

private:
    std::vector<std::vector<std::string>> m_rows;
};

// The "worker errors" column appears only in runs that had some, so the usual table stays as narrow as it was.
std::vector<std::string> ledgerRow(const std::string& name, const Ledger& l, bool withErrors)
{
    std::vector<std::string> row { name, std::to_string(l.sent), std::to_string(l.received), std::to_string(l.left),
        std::to_string(l.lost), std::to_string(l.lostWithDeadWorkers), std::to_string(l.duplicated),
        std::to_string(l.corrupt) };
    if (withErrors)
        row.push_back(std::to_string(l.workerErrors));
    row.push_back(l.exact ? "yes" : "NO");
    return row;
}

} // namespace

std::string reportToText(const Report& r)
{
    std::ostringstream out;
    out << "Scenario " << r.scenario << " ran " << fmt("%.2f", r.durationS) << " s\n\nWorkers\n";
    Table workers({ "name", "role", "object", "pid", "messages", "msgs/s", "MB/s", "blocked", "exit" });
    for (const WorkerSummary& w : r.workers)
        workers.add({ w.name, roleName(w.role), w.object, std::to_string(w.pid), std::to_string(w.messages),
            fmt("%.1f", w.msgsPerS), fmt("%.3f", w.mbPerS), fmt("%.1f%%", 100.0 * w.blockedFraction), w.exitText });
    out << workers.render({ false, false, false, true, true, true, true, true, false });

    out << "\nObjects (depth in messages, sampled)\n";
    Table objects({ "name", "kind", "capacity", "depth min", "mean", "max", "semaphores (min..max)" });
    bool anyStream = false;
    for (const ObjectSummary& o : r.objects) {
        std::string sems;
        for (const std::string& s : o.semaphoreText)
            sems += (sems.empty() ? "" : "; ") + s;
        const bool streams = traits(o.transport).stream;
        anyStream = anyStream || streams;
        objects.add({ o.name, transportName(o.transport), streams ? "-" : std::to_string(o.capacity),
            streams ? "-" : std::to_string(o.depthMin), streams ? "-" : fmt("%.2f", o.depthMean),
            streams ? "-" : std::to_string(o.depthMax), sems.empty() ? "-" : sems });
    }
    out << objects.render({ false, false, true, true, true, true, false });
    if (anyStream)
        out << "  (a fifo or socket is a byte stream: it has no message slots, so no capacity or depth in messages)\n";

    out << "\nIntegrity ledger (left = still in the object at stop; on shm-value, lost = overwritten before read)\n";
    const bool withErrors = r.integrity.workerErrors > 0;
    std::vector<std::string> header { "object", "sent", "received", "left", "lost", "died with worker", "duplicated",
        "corrupt" };
    std::vector<bool> right { false, true, true, true, true, true, true, true };
    if (withErrors) {
        header.push_back("worker errors");
        right.push_back(true);
    }
    header.push_back("exact");
    right.push_back(false);
    Table ledger(header);
    for (const ObjectSummary& o : r.objects)
        ledger.add(ledgerRow(o.name, o.ledger, withErrors));
    ledger.add(ledgerRow("total", r.integrity, withErrors));
    out << ledger.render(right);
    for (const std::string& note : r.deadWorkers)
        out << "  killed: " << note << "\n";
    if (withErrors) {
        out << "\nWorker errors (a worker that fails and goes on does only part of its work: the run is not exact)\n";
        for (const WorkerSummary& w : r.workers) {
            if (w.errors > 0)
                out << "  " << w.name << " (" << roleName(w.role) << ", pid " << w.pid << "): failed " << w.errors
                    << (w.errors == 1 ? " time" : " times") << "; " << w.errorText << "\n";
        }
    }

    if (!r.events.empty()) {
        out << "\nEvents\n";
        for (const RunEvent& e : r.events)
            out << "  " << fmt("%7.2f s  ", e.t) << e.text << "\n";
    }
    out << "\nIntegrity: " << (r.integrity.exact ? "exact" : "NOT exact");
    if (withErrors)
        out << " (workers hit " << r.integrity.workerErrors << " errors: see Worker errors)";
    out << "\n";
    return out.str();
}

std::string reportToJson(const Report& r)
{
    using nlohmann::json;
    auto ledgerJson = [](const Ledger& l) {
        return json { { "sent", l.sent }, { "received", l.received }, { "left", l.left }, { "lost", l.lost },
            { "duplicated", l.duplicated }, { "corrupt", l.corrupt }, { "out_of_order", l.outOfOrder },
            { "lost_with_dead_workers", l.lostWithDeadWorkers }, { "sent_by_dead_uncounted", l.sentByDeadUncounted },
            { "worker_errors", l.workerErrors }, { "exact", l.exact } };
    };
    json j;
    j["scenario"] = r.scenario;
    j["duration_s"] = r.durationS;
    j["workers"] = json::array();
    for (const WorkerSummary& w : r.workers)
        j["workers"].push_back({ { "name", w.name }, { "role", roleName(w.role) }, { "object", w.object },
            { "pid", w.pid }, { "messages", w.messages }, { "bytes", w.bytes }, { "msgs_per_s", w.msgsPerS },
            { "mb_per_s", w.mbPerS }, { "blocked_fraction", w.blockedFraction }, { "exit", w.exitText },
            { "errors", w.errors }, { "error", w.errorText } });
    j["objects"] = json::array();
    for (const ObjectSummary& o : r.objects)
        j["objects"].push_back({ { "name", o.name }, { "os_name", o.osName }, { "kind", transportName(o.transport) },
            { "capacity", o.capacity }, { "depth_min", o.depthMin }, { "depth_mean", o.depthMean },
            { "depth_max", o.depthMax }, { "semaphores", o.semaphoreText }, { "integrity", ledgerJson(o.ledger) } });
    j["integrity"] = ledgerJson(r.integrity);
    j["events"] = json::array();
    for (const RunEvent& e : r.events)
        j["events"].push_back({ { "t", e.t }, { "text", e.text } });
    j["dead_workers"] = r.deadWorkers;
    j["cleanup"] = r.cleanup;
    return j.dump(2) + "\n";
}

} // namespace ipccore
