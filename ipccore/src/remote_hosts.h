#pragma once

// Private: a controller's side of the workers that run on worker hosts (host.h). For each host a scenario's workers
// name, a HostLink carries the host's part of the scenario there, brings back its snapshots and its report, and
// tells when the host stops answering. Runner merges what they bring into its own Snapshot and Report, so the CLI
// and the window see one run.

#include "ipccore/host.h"
#include "ipccore/runner.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ipccore::detail {

class RemoteHosts {
public:
    // How long a host may take to answer and start its part.
    static constexpr Duration StartWait = std::chrono::seconds(5);
    // How long a stop waits for a host's report while the host still answers.
    static constexpr Duration StopWait = std::chrono::seconds(20);

    // Starts `scenario`'s parts on its hosts (hostsInUse), naming the run `runId`; returns once every host has
    // started its part, or with the first refusal, the hosts already started being stopped.
    static Result<std::unique_ptr<RemoteHosts>> start(const Scenario& scenario, const std::string& runId);
    ~RemoteHosts(); // asks every host to stop what still runs, without waiting for the reports
    RemoteHosts(const RemoteHosts&) = delete;
    RemoteHosts& operator=(const RemoteHosts&) = delete;

    // Appends the hosts' workers, objects and books to `snapshot`, as their last snapshots showed them; the workers
    // of a host that stopped answering are shown lost (WorkerStatus::lostWithHost). Adds an event when a host is
    // lost and when it answers again.
    void merge(Snapshot& snapshot);
    bool allWorkersExited();

    // Asks every host to stop its part (at once, so they stop while this machine's part stops too).
    void requestStop();
    // Waits for the hosts' reports (never for a lost host, at most StopWait for one) and adds them to `report`; a
    // host that sent none adds what its last snapshot showed, its books marked not exact, and says so.
    void finish(Report& report);

private:
    struct Part;
    RemoteHosts() = default;
    void poll(Part& part);
    std::vector<std::unique_ptr<Part>> m_parts;
    std::vector<RunEvent> m_told; // the events merge added, for the report
};

} // namespace ipccore::detail
