#pragma once

// Turns a monotonically growing counter into a per-second rate over a sliding window. The runner's own msgsPerS
// covers one sample interval (20 ms at 50 Hz), so a worker at 10 msgs/s reads 0 or 50; users want the rate over the
// last second, which is what charts and the table show.

#include <deque>
#include <utility>

namespace ipcui {

class RateMeter {
public:
    explicit RateMeter(double windowS = 1.0)
        : m_windowS(windowS)
    { }

    // t in seconds, strictly increasing; a counter that goes backwards restarts the meter.
    void add(double t, double counter);
    // Counter units per second over the last window; 0 until two points span some time.
    double rate() const;
    void reset() { m_points.clear(); }

private:
    double m_windowS;
    std::deque<std::pair<double, double>> m_points;
};

} // namespace ipcui
