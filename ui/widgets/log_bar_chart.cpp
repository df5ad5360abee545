#include "widgets/log_bar_chart.h"

#include "widgets/theme.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QCategoryAxis>
#include <QChart>
#include <QCursor>
#include <QGraphicsLayout>
#include <QLegend>
#include <QToolTip>

#include <algorithm>
#include <cmath>
#include <limits>

namespace ipcui {

LogBarChart::LogBarChart(const QString& title, const QString& categoryTitle, const QString& valueTitle,
    Format axisLabel, Format hoverText, QWidget* parent)
    : QChartView(parent)
    , m_axisLabel(std::move(axisLabel))
    , m_hoverText(std::move(hoverText))
{
    auto* chart = new QChart;
    chart->setTitle(title);
    QFont titleFont = font();
    titleFont.setBold(true);
    titleFont.setPointSizeF(font().pointSizeF() * 1.1);
    chart->setTitleFont(titleFont);
    chart->setAnimationOptions(QChart::NoAnimation);
    chart->setMargins(QMargins(4, 2, 4, 2));
    chart->layout()->setContentsMargins(0, 0, 0, 0);
    chart->setBackgroundRoundness(0);
    chart->legend()->setAlignment(Qt::AlignTop);

    m_series = new QBarSeries;
    m_series->setBarWidth(0.8);
    chart->addSeries(m_series);
    m_categories = new QBarCategoryAxis;
    m_categories->setTitleText(categoryTitle);
    m_categories->setGridLineVisible(false);
    m_values = new QCategoryAxis;
    m_values->setTitleText(valueTitle);
    m_values->setLabelsPosition(QCategoryAxis::AxisLabelsPositionOnValue);
    chart->addAxis(m_categories, Qt::AlignBottom);
    chart->addAxis(m_values, Qt::AlignLeft);
    m_series->attachAxis(m_categories);
    m_series->attachAxis(m_values);
    setDecades(0, 1);

    connect(m_series, &QBarSeries::hovered, this, [this](bool status, int index, QBarSet* set) {
        if (!status) {
            QToolTip::hideText();
            return;
        }
        const QString category = index < m_categories->count() ? m_categories->at(index) : QString();
        const double value = std::pow(10.0, set->at(index) + m_lowDecade);
        QToolTip::showText(
            QCursor::pos(), QStringLiteral("%1, %2: %3").arg(category, set->label(), m_hoverText(value)), this);
    });

    styleChart(chart);
    setChart(chart);
    setRenderHint(QPainter::Antialiasing);
    setMinimumSize(320, 160); // two of them, one above the other, fit a 720-line screen
}

void LogBarChart::changeEvent(QEvent* event)
{
    QChartView::changeEvent(event);
    if (event->type() == QEvent::PaletteChange)
        styleChart(chart());
}

void LogBarChart::setDecades(int low, int high)
{
    // Bars in a linear domain grow from 0, so the axis counts decades above the lowest one shown.
    m_lowDecade = low;
    m_highDecade = high;
    for (const QString& label : m_values->categoriesLabels())
        m_values->remove(label);
    m_values->setStartValue(0);
    for (int decade = low; decade <= high; ++decade)
        m_values->append(m_axisLabel(std::pow(10.0, decade)), decade - low);
    m_values->setRange(0, high - low);
}

void LogBarChart::clearBars()
{
    setBars({}, {});
}

void LogBarChart::setBars(const QStringList& categories, const QList<BarSet>& sets)
{
    m_series->clear();
    m_categories->clear();
    m_categories->append(categories);
    m_barCount = 0;
    double lowest = std::numeric_limits<double>::infinity();
    double highest = -std::numeric_limits<double>::infinity();
    for (const BarSet& set : sets) {
        for (const double v : set.values) {
            if (v > 0) {
                lowest = std::min(lowest, std::log10(v));
                highest = std::max(highest, std::log10(v));
            }
        }
    }
    if (highest < lowest) {
        setDecades(0, 1);
    } else {
        // The bars rise from the bottom decade: keep the shortest one visibly taller than nothing.
        int low = int(std::floor(lowest));
        if (lowest - low < 0.15)
            --low;
        const int high = std::max(low + 1, int(std::ceil(highest + 1e-9)));
        setDecades(low, high);
    }
    for (const BarSet& in : sets) {
        auto* set = new QBarSet(in.name);
        set->setColor(in.color);
        set->setBorderColor(in.color.darker(130));
        for (const double v : in.values) {
            if (v > 0) {
                set->append(std::log10(v) - m_lowDecade);
                ++m_barCount;
            } else {
                set->append(-1); // grows down from the axis into the clipped margin: no bar
            }
        }
        m_series->append(set);
    }
}

} // namespace ipcui
