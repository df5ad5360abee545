#pragma once

// The System tab: every POSIX queue, semaphore and segment on this machine, whoever made it (what `ipclab-cli ls`
// prints), live. A filter box and a switch for IPC Lab's own objects narrow the table; the text under it names every
// process using the selected object and the call it sleeps in on it. The listing runs in SystemMonitor's thread,
// and only while the tab is shown: scanning /proc costs CPU that a hidden tab has no use for. "Watch in Live view" (or
// a double-click) asks the window to follow the selected objects there (WatchPanel).

#include "ipccore/system_ipc.h"

#include <QWidget>

#include <memory>

class QCheckBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QTableView;

namespace ipcui {

class SystemMonitor;
class SystemObjectFilter;
class SystemObjectModel;

class SystemView : public QWidget {
    Q_OBJECT
public:
    explicit SystemView(QWidget* parent = nullptr);
    ~SystemView() override;

    SystemObjectModel* model() const { return m_model; }
    SystemObjectFilter* filter() const { return m_filter; }
    QTableView* table() const { return m_table; }
    QLineEdit* filterEdit() const { return m_filterEdit; }
    QCheckBox* showLabBox() const { return m_showLab; }
    QLabel* detailsLabel() const { return m_details; }
    QLabel* notesLabel() const { return m_notes; }
    QPushButton* watchButton() const { return m_watch; }
    // Asks for the selected objects to be watched in the Live view (emits watchRequested for each); false when none
    // is selected.
    bool watchSelected();
    // Listings taken since the tab was created (tests wait on it).
    int listingCount() const { return m_listings; }

signals:
    void watchRequested(ipccore::SystemObjectKind kind, const std::string& name);

protected:
    void showEvent(QShowEvent* event) override;
    void hideEvent(QHideEvent* event) override;

private:
    void apply(const std::shared_ptr<const ipccore::SystemListing>& listing);
    void updateDetails();
    void updateStatus();

    SystemMonitor* m_monitor;
    SystemObjectModel* m_model;
    SystemObjectFilter* m_filter;
    QLineEdit* m_filterEdit;
    QCheckBox* m_showLab;
    QLabel* m_status;
    QTableView* m_table;
    QLabel* m_details;
    QLabel* m_notes;
    QPushButton* m_watch;
    int m_listings = 0;
    int m_lab = 0; // the last listing's objects of IPC Lab
    QString m_listedAt; // when it was listed, "22:08:35"; empty before the first
};

} // namespace ipcui
