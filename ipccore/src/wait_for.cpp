#include "ipccore/wait_for.h"

#include <algorithm>
#include <functional>

namespace ipccore {

namespace {

bool contains(const std::vector<std::string>& list, const std::string& item)
{
    return std::find(list.begin(), list.end(), item) != list.end();
}

// Whether q could end p's wait: it holds what p waits for, posts to it, or moves messages the way p needs (a put
// gives data, a get gives room).
bool canEnd(const WaitForProcess& q, const WaitForProcess& p)
{
    using Needs = WaitForProcess::Needs;
    return &q != &p
        && (contains(q.holds, p.waitsFor) || contains(q.posts, p.waitsFor)
            || (p.needs != Needs::Room && contains(q.fills, p.waitsFor))
            || (p.needs != Needs::Data && contains(q.drains, p.waitsFor)));
}

std::string joined(const std::vector<std::string>& items)
{
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i)
        out += (i == 0 ? "" : i + 1 == items.size() ? " and " : ", ") + items[i];
    return out;
}

} // namespace

WaitForVerdict judgeWaits(const std::vector<WaitForProcess>& processes)
{
    // Stuck for good: stuck, and no process outside the set that is free could end the wait. Taking one out can
    // free another (its wait may be ended by the one taken out), so repeat until nothing changes.
    std::vector<bool> inSet(processes.size());
    for (std::size_t i = 0; i < processes.size(); ++i)
        inSet[i] = processes[i].stuck && !processes[i].waitsFor.empty();
    for (bool changed = true; changed;) {
        changed = false;
        for (std::size_t i = 0; i < processes.size(); ++i) {
            if (!inSet[i])
                continue;
            for (std::size_t k = 0; k < processes.size(); ++k) {
                if (!inSet[k] && processes[k].free && canEnd(processes[k], processes[i])) {
                    inSet[i] = false;
                    changed = true;
                    break;
                }
            }
        }
    }
    WaitForVerdict verdict;
    if (std::none_of(inSet.begin(), inSet.end(), [](bool b) { return b; }))
        return verdict;

    // A cycle among them: p waits for what q could end, q for what r could end, ... back to p.
    std::vector<int> mark(processes.size(), 0); // 0 unseen, 1 on the path, 2 done
    std::vector<std::size_t> path, cycle;
    std::function<bool(std::size_t)> visit = [&](std::size_t i) {
        mark[i] = 1;
        path.push_back(i);
        for (std::size_t k = 0; k < processes.size(); ++k) {
            if (!inSet[k] || !canEnd(processes[k], processes[i]))
                continue;
            if (mark[k] == 1) {
                cycle.assign(std::find(path.begin(), path.end(), k), path.end());
                return true;
            }
            if (mark[k] == 0 && visit(k))
                return true;
        }
        path.pop_back();
        mark[i] = 2;
        return false;
    };
    // A process that waits for what it holds itself (a second acquire of its own lock) is a cycle of one.
    for (std::size_t i = 0; i < processes.size() && cycle.empty(); ++i) {
        if (inSet[i] && contains(processes[i].holds, processes[i].waitsFor))
            cycle.push_back(i);
    }
    for (std::size_t i = 0; i < processes.size() && cycle.empty(); ++i) {
        if (inSet[i] && mark[i] == 0)
            visit(i);
    }

    if (!cycle.empty()) {
        verdict.kind = WaitForVerdict::Kind::Deadlock;
        for (std::size_t n = 0; n < cycle.size(); ++n) {
            const WaitForProcess& p = processes[cycle[n]];
            const WaitForProcess& next = processes[cycle[(n + 1) % cycle.size()]];
            verdict.members.push_back(p.name);
            std::string part = p.name;
            if (!p.holds.empty())
                part += " holds " + joined(p.holds) + " and";
            part += " waits for " + p.waitsFor;
            if (cycle.size() == 1)
                part += " (held by itself: only it could give it back)";
            else
                part += contains(next.holds, p.waitsFor) ? " (held by " + next.name + ")"
                                                         : " (which only " + next.name + " could end)";
            verdict.text += (n == 0 ? "" : "; ") + part;
        }
        verdict.text += ". None of them can go on: a deadlock";
        return verdict;
    }

    verdict.kind = WaitForVerdict::Kind::Stall;
    for (std::size_t i = 0; i < processes.size(); ++i) {
        if (!inSet[i])
            continue;
        const WaitForProcess& p = processes[i];
        verdict.members.push_back(p.name);
        std::vector<std::string> enders;
        for (const WaitForProcess& q : processes) {
            if (canEnd(q, p))
                enders.push_back(q.name + (q.free ? " (waiting too)" : " (" + q.notFree + ")"));
        }
        std::string part = p.name + " waits for " + p.waitsFor + ": ";
        // Nobody at all: say what was missing, when the wait says (a server waiting for requests with no client:
        // nobody puts into it).
        std::string nobody = "no other process releases it, puts into it or takes from it";
        if (p.needs == WaitForProcess::Needs::Data)
            nobody = "no other process puts into it";
        else if (p.needs == WaitForProcess::Needs::Room)
            nobody = "no other process takes from it";
        part += enders.empty() ? nobody : "only " + joined(enders) + " could end it";
        verdict.text += (verdict.text.empty() ? "" : "; ") + part;
    }
    verdict.text += ". Nothing will change unless a process is added or resumed: a stall, not a cycle";
    return verdict;
}

} // namespace ipccore
