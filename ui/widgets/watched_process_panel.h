#pragma once

// The processes using the objects watched in the Live view, in a tab beside the run's own processes: pid, command
// line, state, CPU % and what each sleeps in, listed once a second by WatchMonitor. Pause, resume, terminate and kill
// act on them only after a confirmation that names the process, since they are not IPC Lab's.

#include <QWidget>

#include <functional>

class QPushButton;
class QTableView;

namespace ipcui {

class WatchMonitor;
class WatchedProcessModel;

class WatchedProcessPanel : public QWidget {
    Q_OBJECT
public:
    // The monitor sends the signals; the model is filled by whoever owns it (WatchPanel, which owns both and must
    // outlive this panel).
    WatchedProcessPanel(WatchMonitor* monitor, WatchedProcessModel* model, QWidget* parent = nullptr);

    QTableView* table() const { return m_table; }

    // Asks the user a yes/no question (a QMessageBox by default); tests answer it themselves.
    void setConfirmer(std::function<bool(const QString& title, const QString& question)> confirmer);
    // Sends `signal` to the selected processes, each after its own confirmation.
    void signalSelected(int signal);

signals:
    void notice(const QString& message);
    void errorOccurred(const QString& message);

private:
    void updateActions();

    WatchMonitor* m_monitor;
    WatchedProcessModel* m_model;
    QTableView* m_table;
    QPushButton* m_pause;
    QPushButton* m_resume;
    QPushButton* m_terminate;
    QPushButton* m_kill;
    std::function<bool(const QString&, const QString&)> m_confirm;
};

} // namespace ipcui
