#pragma once

// Add or edit one worker, validated live like ObjectDialog (ScenarioDocument::checkWorker, which asks ipccore).
// A producer or consumer uses one object; a program has no object field but a text box with one step per line
// ("read counter[0]"), each line parsed with ipccore::parseStepText and a bad one named beside the box. Pools are
// steps like the others: "map tasks results 256 chunk 32" or "apply tasks results 64" for the caller, and "get tasks",
// "work 10us each", "put results" for a pool worker.

#include "ipccore/scenario.h"

#include <QDialog>

class QComboBox;
class QDialogButtonBox;
class QDoubleSpinBox;
class QFormLayout;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
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

    QComboBox* roleBox() const { return m_role; }
    QDoubleSpinBox* rateBox() const { return m_rate; }
    QSpinBox* messageSizeBox() const { return m_messageSize; }
    QPlainTextEdit* programBox() const { return m_program; }
    // The first line of the program that does not parse, named by its number; empty when every line parses.
    QString programProblem() const;

private:
    bool isProgram() const;
    // The program box's lines as steps; a line that does not parse is skipped (programProblem names it).
    ipccore::ProgramSteps parsedProgram() const;
    void showFieldsForRole();
    void revalidate();

    const ScenarioDocument& m_document;
    int m_replacing;
    std::string m_host; // the worker host it runs on (not edited here, kept as it was)
    QFormLayout* m_form;
    QLineEdit* m_name;
    QComboBox* m_role;
    QComboBox* m_object;
    QPlainTextEdit* m_program;
    QLabel* m_programProblem;
    QDoubleSpinBox* m_rate;
    QSpinBox* m_messageSize;
    QSpinBox* m_work;
    QDoubleSpinBox* m_count;
    QSpinBox* m_priority;
    QLabel* m_problem;
    QDialogButtonBox* m_buttons;
};

} // namespace ipcui
