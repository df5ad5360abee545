#pragma once

// Step mode's controls, in the run toolbar: step every process, or the selected ones, one real operation at a time;
// run in slow motion at a few steps per second; or run freely again. The bar only emits requests; MainWindow sends
// them to the run's controller thread (RunSession::step and the others).

#include <QWidget>

class QDoubleSpinBox;
class QLabel;
class QPushButton;

namespace ipcui {

class StepBar : public QWidget {
    Q_OBJECT
public:
    explicit StepBar(QWidget* parent = nullptr);

    void setRunActive(bool active);
    void setSelectionAvailable(bool selected);
    // Step mode as the latest snapshot has it: on or off, its step rate, and how many live processes wait at their
    // gates out of how many.
    void setStepState(bool stepMode, double stepRate, int atGate, int alive);

signals:
    void stepAllRequested();
    void stepSelectedRequested();
    void runAtStepRateRequested(double stepsPerSecond);
    void runFreelyRequested();

private:
    void updateActions();

    QPushButton* m_stepAll;
    QPushButton* m_stepSelected;
    QPushButton* m_runAt;
    QDoubleSpinBox* m_stepRate;
    QPushButton* m_runFreely;
    QLabel* m_state;
    bool m_active = false;
    bool m_selected = false;
    bool m_stepping = false; // step mode is on (the latest snapshot's)
    bool m_runningAtRate = false; // ...at a step rate
};

} // namespace ipcui
