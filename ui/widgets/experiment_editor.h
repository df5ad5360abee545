#pragma once

// The experiment editor: the objects and workers of the scenario being edited, with add/edit/remove. Refusals
// (a name in use, an object still used, limits) are shown inline under the tables, not in a modal box.

#include <QWidget>

class QLabel;
class QTableView;

namespace ipcui {

class ObjectListModel;
class ScenarioDocument;
class WorkerListModel;

class ExperimentEditor : public QWidget {
    Q_OBJECT
public:
    explicit ExperimentEditor(ScenarioDocument* document, QWidget* parent = nullptr);

    QTableView* objectTable() const { return m_objects; }
    QTableView* workerTable() const { return m_workers; }
    QString shownProblem() const;
    // While a run goes the tables and their buttons are greyed, and the note at the top says why and where the
    // running processes' rate, size and work are changed instead.
    void setRunActive(bool active);
    QString noteText() const;

private:
    void addObject();
    void editObject();
    void removeObject();
    void addWorker();
    void editWorker();
    void removeWorker();
    void showRefusal(const QString& reason);
    void refreshProblem();
    int currentRow(QTableView* view) const;

    ScenarioDocument* m_document;
    ObjectListModel* m_objectModel;
    WorkerListModel* m_workerModel;
    QTableView* m_objects;
    QTableView* m_workers;
    QLabel* m_note;
    QList<QWidget*> m_sections; // the two tables' boxes, with their buttons
    QLabel* m_problem;
    QLabel* m_refusal;
};

} // namespace ipcui
