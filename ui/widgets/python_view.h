#pragma once

// The Python lens: the scenario as the Python program a student would write (ipccore/python_lens.h), read-only, with
// the line each process is on marked and named at its right, live and in step mode. Copy puts the program on the
// clipboard.

#include "ipccore/python_lens.h"
#include "ipccore/runner.h"

#include <QPlainTextEdit>
#include <QWidget>

#include <map>

namespace ipcui {

// The program's text, with process names painted at the right of the lines they are on.
class PythonText : public QPlainTextEdit {
    Q_OBJECT
public:
    explicit PythonText(QWidget* parent = nullptr);
    // Line (1-based) -> the processes on it.
    void setMarks(const std::map<int, QStringList>& marks);
    const std::map<int, QStringList>& marks() const { return m_marks; }

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    std::map<int, QStringList> m_marks;
};

class PythonView : public QWidget {
    Q_OBJECT
public:
    explicit PythonView(QWidget* parent = nullptr);

    // A new scenario (or the one a run starts with): its program, no marks yet.
    void setScenario(const ipccore::Scenario& scenario);
    // Marks the line each worker's step is on: the step it waits to take when stepping, else the step it is in.
    void setSnapshot(const ipccore::Snapshot& snapshot);
    void clearMarks();
    QString programText() const { return QString::fromStdString(m_program.text); }
    PythonText* text() const { return m_text; }

signals:
    void notice(const QString& message);

private:
    ipccore::PythonProgram m_program;
    std::vector<std::string> m_workers; // the scenario's worker names, in stepLines' order
    std::vector<ipccore::ProgramSteps> m_programs; // and their programs
    PythonText* m_text;
};

} // namespace ipcui
