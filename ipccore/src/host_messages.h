#pragma once

// Private: what a worker host and its controller say about a run, as JSON on their link (host.h). The host sends
// its part of the run's snapshots and, at the end, its report; the controller reads them back into the same
// structs its own runner fills, so the two merge into one Snapshot and one Report (remote_hosts.cpp).
//
// Only what producers and consumers need is carried: programs run on the controller's machine (the scenario's
// validation says so), so pool and request books, program steps and who holds what now stay local. The waits
// (Contention) are carried, and the timeline's events (at most MaxWireEvents per worker in one snapshot, the latest),
// in the host's clock, with what they mean (LaneInfo, for one step).

#include "ipccore/runner.h"

#include <nlohmann/json.hpp>

#include <optional>

namespace ipccore::detail {

nlohmann::json ledgerToJson(const Ledger& ledger);
std::optional<Ledger> ledgerFromJson(const nlohmann::json& json);

// A worker's timeline events in one snapshot at most, and all workers' (a snapshot stays well within the link's
// MaxLinkMessageBytes: about 20 bytes an event).
constexpr std::size_t MaxWireEvents = 2048;
constexpr std::size_t MaxWireEventsInAll = 65536;

// A snapshot's workers, objects, books and the events given (those since the last snapshot sent). Each worker's
// newEvents are those to send (at most MaxWireEvents); firstEvent[i]: how many events the host had taken from
// worker i's ring before the first of them (those it did not send included), so the controller can count the events
// it never got as lost.
nlohmann::json snapshotToJson(
    const Snapshot& snapshot, const std::vector<RunEvent>& events, const std::vector<std::uint64_t>& firstEvent);
// Fills workers (with their newEvents, eventsLost, lane and exitNs), objects, objectLedgers, ledger, totalMsgsPerS,
// events, contention (null when it had no waits) and t, and firstEvent per worker when given; nothing when it is
// not a snapshot (events that are not a producer's or consumer's, a wait that is not one, included).
std::optional<Snapshot> snapshotFromJson(const nlohmann::json& json, std::vector<std::uint64_t>* firstEvent = nullptr);

// A control of one of a host's workers, as the controller's Runner was asked for it (pauseWorker, setRate, ...):
// {"type": "control", "run": ID, "worker": NAME, "action": "pause", "value": N}. The host applies it to its own
// Runner; what cannot be applied comes back as a warning among its snapshot's events.
enum class WorkerControl : std::uint8_t { Pause, Resume, Terminate, Kill, Rate, MessageSize, WorkUs };
struct ControlRequest {
    std::string worker; // its name in the scenario (unique)
    WorkerControl action = WorkerControl::Pause;
    double value = 0; // Rate: messages a second; MessageSize: bytes; WorkUs: microseconds
};
const char* workerControlName(WorkerControl action);
nlohmann::json controlToJson(const std::string& runId, const ControlRequest& control);
// Nothing when it is not a control with a known action and, for the three that take one, a value in range.
std::optional<ControlRequest> controlFromJson(const nlohmann::json& message);
// Applies it to the worker at `index` of `runner`'s scenario.
Status applyControl(Runner& runner, std::size_t index, const ControlRequest& control);

nlohmann::json reportToWire(const Report& report);
// Fills workers, objects, integrity, events, deadWorkers, cleanup and contention; nothing when it is not a report.
std::optional<Report> reportFromWire(const nlohmann::json& json);

} // namespace ipccore::detail
