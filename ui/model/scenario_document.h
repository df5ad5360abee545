#pragma once

// The experiment being edited: one ipccore::Scenario plus where it came from. Every edit is validated with the
// same functions the runner uses (validateObject, validateWorker, with the system's mq limits) and refused with the
// reason; nothing is clamped behind the user's back. Edits apply to the next run, not to a run already going.

#include "ipccore/limits.h"
#include "ipccore/scenario.h"

#include <QObject>
#include <QString>

namespace ipcui {

class ScenarioDocument : public QObject {
    Q_OBJECT
public:
    explicit ScenarioDocument(const ipccore::MqLimits& limits = {}, QObject* parent = nullptr);

    const ipccore::Scenario& scenario() const { return m_scenario; }
    const ipccore::MqLimits& limits() const { return m_limits; }
    // The GUI learns the machine's limits from the controller thread after start-up; later checks use them.
    void setLimits(const ipccore::MqLimits& limits);
    // A bundled scenario's name or a file path; empty for a new experiment.
    QString source() const { return m_source; }
    bool isModified() const { return m_modified; }

    void setScenario(const ipccore::Scenario& scenario, const QString& source);
    // Each returns the reason for refusing, or an empty string when done.
    QString loadBundled(const QString& name);
    QString loadFile(const QString& path);
    QString saveFile(const QString& path);

    // Checks without applying. `replacing` is the index being edited, -1 for a new entry.
    QString checkObject(const ipccore::ObjectSpec& object, int replacing = -1) const;
    QString checkWorker(const ipccore::WorkerSpec& worker, int replacing = -1) const;

    QString addObject(const ipccore::ObjectSpec& object);
    // Renaming an object renames the references of its workers (a program's steps too).
    QString replaceObject(int index, const ipccore::ObjectSpec& object);
    // Refused while workers use the object.
    QString removeObject(int index);
    QString addWorker(const ipccore::WorkerSpec& worker);
    QString replaceWorker(int index, const ipccore::WorkerSpec& worker);
    QString removeWorker(int index);

    // validateScenario's verdict on the whole experiment (FIFO with several consumers...); empty when valid.
    QString problem() const;
    // "<base>-<n>" not yet used by any worker.
    QString uniqueWorkerName(const QString& base) const;
    QString uniqueObjectName(const QString& base) const;
    int objectIndex(const std::string& name) const;
    // The workers that use an object: producers and consumers naming it, programs whose steps name it, and a server
    // for the reply queues of its clients.
    QStringList usersOf(const std::string& object) const;

    // A line a student can read: "mq limits on this machine: at most 10 messages of 8192 bytes ..."
    QString limitsText() const;

signals:
    void scenarioReplaced(); // a whole new scenario (bundled, file)
    void objectsChanged();
    void workersChanged();
    void limitsChanged();
    void changed(); // after any of the above

private:
    void markChanged();

    ipccore::MqLimits m_limits;
    ipccore::Scenario m_scenario;
    QString m_source;
    bool m_modified = false;
};

} // namespace ipcui
