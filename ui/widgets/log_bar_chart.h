#pragma once

// Grouped bars on a logarithmic value axis, for figures that span decades (1e3 to 1e7 msgs/s, 0.1 to 100 µs).
// Qt Charts' QLogValueAxis can only print its labels with a printf format ("1e+06"); here the bars carry log10 of
// each value on a linear QCategoryAxis whose labels sit on the decades and read "1 k", "10 M" or "1 µs". Hovering a
// bar shows its real value. Values <= 0 (not measured) draw no bar. No animation: a report replaces the bars at once.

#include <QChartView>
#include <QColor>
#include <QList>
#include <QString>
#include <QStringList>

#include <functional>

class QBarCategoryAxis;
class QBarSeries;
class QCategoryAxis;

namespace ipcui {

class LogBarChart : public QChartView {
    Q_OBJECT
public:
    // Decade labels and hover text: value -> "10 k" (axis) and value -> "12.3 k msgs/s" (tooltip).
    using Format = std::function<QString(double)>;

    struct BarSet {
        QString name;
        QColor color;
        QList<double> values; // one per category
    };

    LogBarChart(const QString& title, const QString& categoryTitle, const QString& valueTitle, Format axisLabel,
        Format hoverText, QWidget* parent = nullptr);

    void setBars(const QStringList& categories, const QList<BarSet>& sets);
    void clearBars();
    // Bars drawn (values > 0), for tests.
    int barCount() const { return m_barCount; }
    // Decades shown on the value axis, as powers of ten: 3 and 7 for 1 k .. 10 M.
    int lowDecade() const { return m_lowDecade; }
    int highDecade() const { return m_highDecade; }

protected:
    void changeEvent(QEvent* event) override;

private:
    void setDecades(int low, int high);

    Format m_axisLabel;
    Format m_hoverText;
    QBarSeries* m_series = nullptr;
    QBarCategoryAxis* m_categories = nullptr;
    QCategoryAxis* m_values = nullptr;
    int m_barCount = 0;
    int m_lowDecade = 0;
    int m_highDecade = 1;
};

} // namespace ipcui
