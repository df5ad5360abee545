#pragma once

// The process table and what can be done to the selected processes: add a producer or consumer, pause (SIGSTOP),
// resume (SIGCONT), terminate (SIGTERM), kill -9, and change rate, message size and work time live. The panel only
// emits requests; MainWindow forwards them to the run's controller thread.
//
// With dozens of processes the table is sorted by a click on a column's header (a third click restores the run's
// order) and filtered by the box above it (name, role, object or state), and follows the changing figures once a
// second. The view shows a proxy of the model; the
// panel's selection is always in worker indices, the model's rows.

#include "ipccore/telemetry.h"

#include <QList>
#include <QWidget>

class QDoubleSpinBox;
class QLineEdit;
class QSortFilterProxyModel;
class QPushButton;
class QSlider;
class QSpinBox;
class QTableView;
class QVBoxLayout;
class QHBoxLayout;

namespace ipcui {

class ProcessTableModel;

class ProcessPanel : public QWidget {
    Q_OBJECT
public:
    explicit ProcessPanel(ProcessTableModel* model, QWidget* parent = nullptr);

    QTableView* table() const { return m_table; }
    // Worker indices (rows) of the selection, ascending.
    QList<int> selectedWorkers() const;
    // The first selected row that is a producer, or -1.
    int firstSelectedProducer() const;
    void setRunActive(bool active);
    // The Rate, Size and Work boxes show the selected process's values again (after a control was refused, they
    // would otherwise keep the refused value).
    void reloadControls() { loadControlsFromSelection(); }
    // Which workers the run can take more of: producers and consumers need an object that carries messages and has
    // room for one more of them, a copy of a program needs a program to copy.
    void setAddable(bool producers, bool consumers, bool programs);

    QDoubleSpinBox* rateBox() const { return m_rate; }
    QSpinBox* sizeBox() const { return m_size; }
    QSpinBox* workBox() const { return m_work; }
    QLineEdit* filterBox() const { return m_filter; }

    QSize minimumSizeHint() const override;

signals:
    void addRequested(ipccore::Role role, const QList<int>& selection);
    void pauseRequested(const QList<int>& workers);
    void resumeRequested(const QList<int>& workers);
    void terminateRequested(const QList<int>& workers);
    void killRequested(const QList<int>& workers);
    void rateRequested(const QList<int>& workers, double messagesPerSecond);
    void messageSizeRequested(const QList<int>& workers, quint32 bytes);
    void workUsRequested(const QList<int>& workers, quint32 microseconds);

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    static constexpr int MinVisibleRows = 5;
    static constexpr int ResortIntervalMs = 1000; // a sorted or filtered table follows the figures at this pace

    void updateActions();
    void loadControlsFromSelection();
    void hideUnusedColumns();
    void fitColumnsToRun();

    ProcessTableModel* m_model;
    QSortFilterProxyModel* m_view; // m_model sorted and filtered, as the table shows it
    QTableView* m_table;
    QLineEdit* m_filter;
    QPushButton* m_addProducer;
    QPushButton* m_addConsumer;
    QPushButton* m_addProgram;
    bool m_canAddProducers = true;
    bool m_canAddConsumers = true;
    bool m_canAddPrograms = true;
    QPushButton* m_pause;
    QPushButton* m_resume;
    QPushButton* m_terminate;
    QPushButton* m_kill;
    QSlider* m_rateSlider;
    QDoubleSpinBox* m_rate;
    QSpinBox* m_size;
    QSpinBox* m_work;
    int m_defaultStepWidth = 0;
    int m_defaultTransportWidth = 0;
    int m_defaultNameWidth = 0;
    bool m_active = false;
    bool m_loading = false;
    QWidget* m_buttonsRow = nullptr; // + Producer ... Kill -9
    QWidget* m_controlsRow = nullptr; // Rate, Size, Work: beside the buttons, or under them when narrow
    QVBoxLayout* m_rows = nullptr;
    QHBoxLayout* m_firstRow = nullptr;
};

} // namespace ipcui
