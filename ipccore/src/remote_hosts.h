#pragma once

// Private: a controller's side of the workers that run on worker hosts (host.h). For each host a scenario's workers
// name, a HostLink carries the host's part of the scenario there, brings back its snapshots and its report, and
// tells when the host stops answering. Runner merges what they bring into its own Snapshot and Report, so the CLI
// and the window see one run.

#include "host_messages.h"
#include "ipccore/channel.h"
#include "ipccore/host.h"
#include "ipccore/runner.h"

#include <map>
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
    // started its part, or with the first refusal, the hosts already started being stopped. Each part's workers
    // wait at their pause gates until go(): the caller makes its own part first, and a failure there leaves the
    // hosts' parts having moved nothing.
    static Result<std::unique_ptr<RemoteHosts>> start(const Scenario& scenario, const std::string& runId);
    // Lets every host's workers go ("go"; said again while a host's snapshots still show them held).
    void go();
    ~RemoteHosts(); // asks every host to stop what still runs, without waiting for the reports
    RemoteHosts(const RemoteHosts&) = delete;
    RemoteHosts& operator=(const RemoteHosts&) = delete;

    // Appends the hosts' workers, objects and books to `snapshot`, as their last snapshots showed them; the workers
    // of a host that stopped answering are shown lost (WorkerStatus::lostWithHost). Adds an event when a host is
    // lost and when it answers again.
    // An object between machines (objectsBetweenMachines) is listed once, its halves of books joined.
    void merge(Snapshot& snapshot);
    // Where the consumers of objects between machines listen, as their hosts said, not taken before: the endpoint
    // with the host's address as this controller reaches it, and the consumer's public key.
    struct HostReach {
        std::string object, host;
        std::vector<std::string> consumers; // the consumers' names, at the endpoints' places (others empty)
        ChannelObject::Reach reach;
    };
    std::vector<HostReach> takeReaches();
    // The consumers on hosts of an object between machines, as their hosts' last snapshots (or reports) showed them:
    // what they have received, and those alive ("c1@lab2") on hosts that answer; nullopt when none is (nothing more
    // will be received).
    struct Consumers {
        std::uint64_t received = 0;
        std::vector<std::string> alive;
        bool allWaiting = true; // every one alive waits for a message (WorkerState::BlockedEmpty)
    };
    std::optional<Consumers> consumersOf(const std::string& object);
    // Whether every host whose consumers take from `object` stopped answering, no longer runs its part, or has left
    // (its events say why nothing more is taken).
    bool servedByLostHost(const std::string& object) const;
    // For an object between machines, as its links estimate now: the clock its producers stamp in (stampClock),
    // the clocks of its consumers' hosts in scenario order, and the shifts that merge and finish from now on take off
    // its consumers' latencies, host by host. nullopt while a host has not answered.
    struct ClockOffset {
        StampClock stamp;
        std::vector<HostClock> hosts;
    };
    std::optional<ClockOffset> clockOffsetOf(const std::string& object);
    bool allWorkersExited();

    // Sends a control of a worker (pauseWorker, setRate, ...) to the host it runs on, which applies it before its
    // next snapshot (that shows it done, or a warning says why not); refused at once when that host's part has ended,
    // is stopping, or the host does not answer.
    Status control(const std::string& host, const ControlRequest& control);
    // At a stop: resumes the consumers of `object` (one between machines) that its host's last snapshot showed paused,
    // for they must take what this machine's producers sent before those close their sockets.
    void resumePausedConsumersOf(const std::string& object);
    // Asks every host to stop its part (at once, so they stop while this machine's part stops too); those serving
    // objects between machines only with `serving` (after this machine's producers of them have exited).
    void requestStop(bool serving = true);
    // Hosts stopped during the run ("leaving": 'ipclab-cli host' there got a signal) that have not been asked for
    // their report yet, each with the objects between machines its consumers serve (their producers here). The
    // runner holds those producers until the consumers have what was sent, then asks with stopPart.
    struct Leaving {
        std::string host;
        std::vector<std::string> served;
    };
    std::vector<Leaving> leavingHosts();
    void stopPart(const std::string& host);
    // True once `host`'s part has ended (its report is in, or it is gone) or the host no longer answers.
    bool partOver(const std::string& host);
    // Waits for the hosts' reports (never for a lost host, at most StopWait for one) and adds them to `report`; a
    // host that sent none adds what its last snapshot showed, its books marked not exact, and says so.
    void finish(Report& report);

private:
    struct Part;
    RemoteHosts() = default;
    void poll(Part& part);
    std::vector<std::unique_ptr<Part>> m_parts;
    std::vector<RunEvent> m_told; // the events merge added, for the report
    std::vector<HostReach> m_reaches; // not taken yet
    // Per object between machines and host: how much its consumers' latencies read high (clockOffsetOf).
    std::map<std::pair<std::string, std::string>, std::int64_t> m_latencyShiftNs;
    double latencyHere(const std::string& object, const std::string& host, double us) const;
    // Each object between machines: the hosts its consumers run on, "lab2+lab3", the name it is listed on.
    std::map<std::string, std::string> m_hostsOf;
    // The depths of objects between machines as merge joined them, for the report.
    struct DepthStats {
        std::int64_t min = 0, max = 0;
        double sum = 0;
        std::uint64_t samples = 0;
        void add(std::int64_t depth)
        {
            min = samples ? std::min(min, depth) : depth;
            max = samples ? std::max(max, depth) : depth;
            sum += double(depth);
            ++samples;
        }
    };
    std::map<std::string, DepthStats> m_depths;
    // The Waits tables as merge joined them last (joinedContention), from this machine's `m_contentionHere` and the
    // hosts' latest; stale once a host's snapshot or report came.
    std::shared_ptr<const Contention> m_contentionHere, m_contention;
    bool m_contentionStale = true;
    // Each host's latest waits: its report's, else its last snapshot's; its name with them.
    std::vector<std::pair<std::string, const Contention*>> hostsContention() const;
};

} // namespace ipccore::detail
