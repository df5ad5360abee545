#include "ipccore/ledger.h"

#include <algorithm>
#include <vector>

namespace ipccore {

void addToTotal(Ledger& total, const Ledger& l, TransportKind transport)
{
    total.sent += l.sent;
    total.received += l.received;
    total.left += l.left;
    total.lost += l.lost;
    total.duplicated += l.duplicated;
    total.corrupt += l.corrupt;
    total.outOfOrder += l.outOfOrder;
    total.lostWithDeadWorkers += l.lostWithDeadWorkers;
    total.sentByDeadUncounted += l.sentByDeadUncounted;
    total.workerErrors += l.workerErrors;
    if (!traits(transport).perProcess) {
        total.writes += l.writes;
        total.increments += l.increments;
        total.cellSum += l.cellSum;
        total.lostUpdates += l.lostUpdates;
    }
    total.acquires += l.acquires;
    total.releases += l.releases;
    total.timeouts += l.timeouts;
    total.permitsHeldByDead += l.permitsHeldByDead;
}

Ledger messageLedger(
    const TransportTraits& transport, std::span<const MessageParty> parties, std::uint64_t left, bool final)
{
    // The counts added up as for one machine's half, then judged.
    Ledger l = halfLedger(parties, 0);
    const std::uint64_t deadProducersHolding = l.mostSentUncountedByKilled;
    const std::uint64_t deadConsumersHolding = l.mostDiedWithKilled;
    l.half = false;
    l.mostSentUncountedByKilled = l.mostDiedWithKilled = 0;
    std::uint64_t gaps = 0, producers = 0, killed = 0, midFrame = 0;
    for (const MessageParty& p : parties) {
        gaps += p.gaps;
        producers += p.producer;
        killed += p.killed;
        midFrame += p.diedMidFrame;
    }
    l.corrupt -= std::min(l.corrupt, midFrame);
    if (!transport.consumingReads) {
        // A writer killed after publishing but before counting: the value may have been read.
        if (l.received > l.sent) {
            l.sentByDeadUncounted = std::min(l.received - l.sent, deadProducersHolding);
            l.sent += l.sentByDeadUncounted;
        }
        // Readers of a shared value do not consume: what they never saw was overwritten.
        l.lost = l.sent > l.received ? l.sent - l.received : 0;
        if (final && l.received > l.sent)
            l.duplicated += l.received - l.sent;
        // With one producer and no deaths every overwritten value shows up as a gap in the sequence the reader
        // saw. A reader started after a kill begins counting from the value it first sees, so then only the
        // totals are checked.
        const bool gapsAgree = (producers == 1 && killed == 0) ? gaps == l.lost : true;
        l.exact = final && l.duplicated == 0 && l.corrupt == 0 && gapsAgree && l.workerErrors == 0;
        return l;
    }
    l.left = left;
    // While running, the counters and the depth are read at slightly different instants, so the balance is only
    // judged at stop, when every worker has exited and published its last count.
    if (final && l.received + l.left > l.sent) {
        // More arrived than was counted as sent: a producer killed between sending and counting accounts for at
        // most one each; anything beyond that is a real duplicate.
        const std::uint64_t extra = l.received + l.left - l.sent;
        l.sentByDeadUncounted = std::min(extra, deadProducersHolding);
        l.sent += l.sentByDeadUncounted;
        l.duplicated += extra - l.sentByDeadUncounted;
    } else if (final) {
        const std::uint64_t missing = l.sent - l.received - l.left;
        l.lostWithDeadWorkers = std::min(missing, deadConsumersHolding);
        l.lost = missing - l.lostWithDeadWorkers;
    }
    // Live, a producer counts a message just after its send has made it visible, so a consumer can count it first
    // (the runner reads consumers before producers, which leaves at most one such message per producer). A message
    // received was sent: the live books say so rather than show more received than sent.
    if (!final)
        l.sent = std::max(l.sent, l.received);
    l.exact = final && l.sent == l.received + l.left + l.lostWithDeadWorkers && l.lost == 0 && l.duplicated == 0
        && l.corrupt == 0 && l.workerErrors == 0;
    return l;
}

Ledger halfLedger(std::span<const MessageParty> parties, std::uint64_t left)
{
    Ledger l;
    l.half = true;
    l.left = left;
    for (const MessageParty& p : parties) {
        l.sent += p.sent;
        l.received += p.received;
        l.duplicated += p.duplicated;
        l.corrupt += p.corrupt;
        l.outOfOrder += p.outOfOrder;
        l.workerErrors += p.errors;
        l.mostDiedWithKilled += p.mayHaveTakenUncounted;
        l.mostSentUncountedByKilled += p.mayHaveSentUncounted;
    }
    return l;
}

Ledger joinHalves(const TransportTraits& transport, std::span<const Ledger> halves, bool final)
{
    auto party = [](const Ledger& half) {
        MessageParty p;
        p.sent = half.sent;
        p.received = half.received;
        p.duplicated = half.duplicated;
        p.corrupt = half.corrupt;
        p.outOfOrder = half.outOfOrder;
        p.errors = half.workerErrors;
        p.killed = half.mostDiedWithKilled > 0 || half.mostSentUncountedByKilled > 0;
        p.mayHaveTakenUncounted = half.mostDiedWithKilled;
        p.mayHaveSentUncounted = half.mostSentUncountedByKilled;
        return p;
    };
    std::vector<MessageParty> parties;
    std::uint64_t left = 0, sent = 0, received = 0;
    for (const Ledger& half : halves) {
        parties.push_back(party(half));
        left += half.left;
        sent += half.sent;
        received += half.received;
    }
    // While running, what ZeroMQ holds is known only as sent less received (TransportTraits::depthFromCounters).
    if (!final && transport.depthFromCounters)
        left = sent > received ? sent - received : 0;
    return messageLedger(transport, parties, left, final);
}

} // namespace ipccore
