#pragma once

// Private: what a worker host and its controller say about a run, as JSON on their link (host.h). The host sends
// its part of the run's snapshots and, at the end, its report; the controller reads them back into the same
// structs its own runner fills, so the two merge into one Snapshot and one Report (remote_hosts.cpp).
//
// Only what producers and consumers need is carried: programs run on the controller's machine (the scenario's
// validation says so), so pool and request books, program steps, holds and the timeline's events stay local.

#include "ipccore/runner.h"

#include <nlohmann/json.hpp>

#include <optional>

namespace ipccore::detail {

nlohmann::json ledgerToJson(const Ledger& ledger);
std::optional<Ledger> ledgerFromJson(const nlohmann::json& json);

// A snapshot's workers, objects, books and the events given (those since the last snapshot sent).
nlohmann::json snapshotToJson(const Snapshot& snapshot, const std::vector<RunEvent>& events);
// Fills workers, objects, objectLedgers, ledger, totalMsgsPerS, events and t; nothing when it is not a snapshot.
std::optional<Snapshot> snapshotFromJson(const nlohmann::json& json);

nlohmann::json reportToWire(const Report& report);
// Fills workers, objects, integrity, events, deadWorkers and cleanup; nothing when it is not a report.
std::optional<Report> reportFromWire(const nlohmann::json& json);

} // namespace ipccore::detail
