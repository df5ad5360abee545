#pragma once

// Add or edit one producer or consumer, validated live like ObjectDialog (validateWorker against its object).

#include "ipccore/scenario.h"

#include <QDialog>

class QComboBox;
class QDialogButtonBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace ipcui {

class ScenarioDocument;

class WorkerDialog : public QDialog {
    Q_OBJECT
public:
    WorkerDialog(
        const ScenarioDocument& document, const ipccore::WorkerSpec& initial, int replacing, QWidget* parent = nullptr);

    ipccore::WorkerSpec spec() const;
    QString problem() const;

    QDoubleSpinBox* rateBox() const { return m_rate; }
    QSpinBox* messageSizeBox() const { return m_messageSize; }

private:
    void revalidate();

    const ScenarioDocument& m_document;
    int m_replacing;
    QLineEdit* m_name;
    QComboBox* m_role;
    QComboBox* m_object;
    QDoubleSpinBox* m_rate;
    QSpinBox* m_messageSize;
    QSpinBox* m_work;
    QDoubleSpinBox* m_count;
    QSpinBox* m_priority;
    QLabel* m_problem;
    QDialogButtonBox* m_buttons;
};

} // namespace ipcui
