#pragma once

// Add or edit one IPC object. Every change is checked at once with ipccore's validation (system limits included) and
// the reason is shown under the form; OK stays disabled while the values are refused. The spin boxes accept any
// number so nothing is clamped silently: out-of-range values are explained, not changed.

#include "ipccore/scenario.h"

#include <QDialog>

class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace ipcui {

class ScenarioDocument;

class ObjectDialog : public QDialog {
    Q_OBJECT
public:
    // `replacing` is the edited row, -1 to add.
    ObjectDialog(
        const ScenarioDocument& document, const ipccore::ObjectSpec& initial, int replacing, QWidget* parent = nullptr);

    ipccore::ObjectSpec spec() const;
    QString problem() const; // the current reason for refusing; empty when valid

    // For tests: the form's editors.
    QLineEdit* nameEdit() const { return m_name; }
    QSpinBox* capacityBox() const { return m_capacity; }
    QSpinBox* messageSizeBox() const { return m_messageSize; }
    QComboBox* transportBox() const { return m_transport; }

    // " messages", " cells", " permits"; empty where the transport ignores capacity.
    static QString capacityUnit(ipccore::TransportKind kind);

private:
    void revalidate();

    const ScenarioDocument& m_document;
    int m_replacing;
    QLineEdit* m_name;
    QComboBox* m_transport;
    QSpinBox* m_capacity;
    QSpinBox* m_messageSize;
    QLabel* m_limits;
    QLabel* m_problem;
    QDialogButtonBox* m_buttons;
};

} // namespace ipcui
