#include "ipccore/ledger.h"

namespace ipccore {

RequestLedger requestLedger(
    std::span<const RequestMember> members, std::uint64_t inRequestQueue, std::uint64_t inReplyQueues, bool final)
{
    RequestLedger l;
    l.present = true;
    l.inRequestQueue = inRequestQueue;
    l.inReplyQueues = inReplyQueues;
    std::uint64_t repliesIn = 0;
    for (const RequestMember& m : members) {
        l.sent += m.counts.requestsOut;
        repliesIn += m.counts.repliesIn;
        l.stale += m.counts.stale;
        l.taken += m.counts.requestsIn;
        l.answered += m.counts.repliesOut;
        l.unanswered += m.counts.unanswered;
        if (m.killed && m.server)
            l.diedWithServer += m.counts.inHand;
        l.inDoubt += m.killed && m.inDoubtAtDeath;
    }
    l.returned = repliesIn - std::min(repliesIn, l.stale);
    // Each equation as (left side, right side): balanced when equal, or within one per member killed in doubt.
    auto within = [&](std::uint64_t a, std::uint64_t b) { return (a > b ? a - b : b - a) <= l.inDoubt; };
    l.exact = final && within(l.sent, l.taken + l.inRequestQueue)
        && within(l.taken, l.answered + l.unanswered + l.diedWithServer)
        && within(l.answered, l.returned + l.stale + l.inReplyQueues) && l.unanswered == 0;
    return l;
}

} // namespace ipccore
