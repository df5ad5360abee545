#include "ipccore/ledger.h"

#include <algorithm>

namespace ipccore {

RequestLedger requestLedger(std::span<const RequestMember> members, std::uint64_t inRequestQueue,
    std::uint64_t inReplyQueues, bool final, bool repliesOnConnections)
{
    std::uint64_t endedClients = 0;
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
        endedClients += m.ended && !m.server;
    }
    l.returned = repliesIn - std::min(repliesIn, l.stale);
    // Each equation as (left side, right side): balanced when equal, or within one per member killed in doubt.
    auto within = [&](std::uint64_t a, std::uint64_t b) { return (a > b ? a - b : b - a) <= l.inDoubt; };
    l.exact = final && within(l.sent, l.taken + l.inRequestQueue)
        && within(l.taken, l.answered + l.unanswered + l.diedWithServer)
        && within(l.answered, l.returned + l.stale + l.inReplyQueues)
        && l.unanswered <= (repliesOnConnections ? endedClients : 0);
    return l;
}

std::vector<ServerKeyBook> serverKeyBooks(std::span<const ServerEntry> entries, std::span<const ProgramCounts> clients)
{
    std::vector<ServerKeyBook> books;
    for (const ProgramCounts& c : clients) {
        if (!c.program)
            continue;
        for (std::size_t k = 0; k < c.program->size() && k < c.done.size(); ++k) {
            const ProgramStep& step = (*c.program)[k];
            const bool sets = step.op == StepOp::Request && step.request == RequestOp::Set;
            const bool appends = step.op == StepOp::Request && step.request == RequestOp::Append;
            if (!sets && !appends)
                continue;
            const auto entry
                = std::find_if(entries.begin(), entries.end(), [&](const ServerEntry& e) { return e.key == step.key; });
            if (entry == entries.end())
                continue;
            auto book
                = std::find_if(books.begin(), books.end(), [&](const ServerKeyBook& b) { return b.key == step.key; });
            if (book == books.end()) {
                books.push_back({ step.key, entry->value, 0, 0 });
                book = books.end() - 1;
            }
            book->increments += std::int64_t(c.done[k]) * (sets ? step.add : 1);
            book->negativeAdds = book->negativeAdds || (sets && step.add < 0);
        }
    }
    // A set the server applied whose reply its client never took (it was stopped waiting) is in the value but not
    // in the client's done count, so the value can exceed the increments by the requests in flight at stop.
    for (ServerKeyBook& b : books)
        b.lost = std::max<std::int64_t>(0, b.increments - b.value);
    return books;
}

} // namespace ipccore
