#include "model/rate_meter.h"

namespace ipcui {

void RateMeter::add(double t, double counter)
{
    if (!m_points.empty() && (t <= m_points.back().first || counter < m_points.back().second))
        m_points.clear();
    m_points.emplace_back(t, counter);
    // Keep one point at or before the window start so the span covers the whole window once it is full.
    while (m_points.size() > 2 && m_points[1].first <= t - m_windowS)
        m_points.pop_front();
}

double RateMeter::rate() const
{
    if (m_points.size() < 2)
        return 0;
    const double span = m_points.back().first - m_points.front().first;
    if (span <= 0)
        return 0;
    return (m_points.back().second - m_points.front().second) / span;
}

} // namespace ipcui
