#include "model/scenario_document.h"

#include "model/error_text.h"

#include "ipccore/program.h"

#include <algorithm>

namespace ipcui {

namespace {
// Whether a worker uses an object: a producer or consumer names it, a program's steps do.
bool usesObject(const ipccore::WorkerSpec& worker, const std::string& object)
{
    if (worker.role != ipccore::Role::Program)
        return worker.object == object;
    const std::vector<std::string> used = ipccore::programObjects(worker.program);
    return std::find(used.begin(), used.end(), object) != used.end();
}

// The worker with its references to object `from` renamed to `to`.
ipccore::WorkerSpec renamed(ipccore::WorkerSpec worker, const std::string& from, const std::string& to)
{
    if (worker.object == from)
        worker.object = to;
    for (ipccore::ProgramStep& step : worker.program) {
        if (step.object == from)
            step.object = to;
        if (step.results == from) // map and apply: where the results come back
            step.results = to;
    }
    return worker;
}
} // namespace

ScenarioDocument::ScenarioDocument(const ipccore::MqLimits& limits, QObject* parent)
    : QObject(parent)
    , m_limits(limits)
{
    m_scenario.name = "new-experiment";
    m_scenario.title = "New experiment";
}

void ScenarioDocument::setLimits(const ipccore::MqLimits& limits)
{
    m_limits = limits;
    emit limitsChanged();
    emit changed(); // the verdict on the experiment may change with the limits
}

void ScenarioDocument::setScenario(const ipccore::Scenario& scenario, const QString& source)
{
    m_scenario = scenario;
    m_source = source;
    m_modified = false;
    emit scenarioReplaced();
    emit objectsChanged();
    emit workersChanged();
    emit changed();
}

QString ScenarioDocument::loadBundled(const QString& name)
{
    for (const ipccore::BundledScenario& bundled : ipccore::bundledScenarios()) {
        if (QString::fromStdString(bundled.name) != name)
            continue;
        auto parsed = ipccore::parseScenario(bundled.json, bundled.name);
        if (!parsed)
            return errorText(parsed.error());
        setScenario(*parsed, name);
        return {};
    }
    return tr("No bundled scenario is called \"%1\".").arg(name);
}

QString ScenarioDocument::loadFile(const QString& path)
{
    auto loaded = ipccore::loadScenarioFile(path.toStdString());
    if (!loaded)
        return errorText(loaded.error());
    setScenario(*loaded, path);
    return {};
}

QString ScenarioDocument::saveFile(const QString& path)
{
    const ipccore::Status saved = ipccore::saveScenarioFile(m_scenario, path.toStdString());
    if (!saved)
        return errorText(saved.error());
    m_source = path;
    m_modified = false;
    emit changed();
    return {};
}

int ScenarioDocument::objectIndex(const std::string& name) const
{
    for (std::size_t i = 0; i < m_scenario.objects.size(); ++i) {
        if (m_scenario.objects[i].name == name)
            return int(i);
    }
    return -1;
}

QStringList ScenarioDocument::usersOf(const std::string& object) const
{
    QStringList users;
    for (const ipccore::WorkerSpec& worker : m_scenario.workers) {
        // A server uses its clients' reply queues too: it puts its replies there, though its steps do not name them.
        const std::vector<std::string> used = ipccore::workerObjects(m_scenario, worker);
        if (usesObject(worker, object) || std::find(used.begin(), used.end(), object) != used.end())
            users << QString::fromStdString(worker.name);
    }
    return users;
}

QString ScenarioDocument::checkObject(const ipccore::ObjectSpec& object, int replacing) const
{
    const ipccore::Status valid = ipccore::validateObject(object, m_limits, "object");
    if (!valid)
        return errorText(valid.error());
    const int existing = objectIndex(object.name);
    if (existing >= 0 && existing != replacing)
        return tr("An object called \"%1\" exists already; pick another name.")
            .arg(QString::fromStdString(object.name));
    if (replacing < 0 && m_scenario.objects.size() >= ipccore::ScenarioLimits::MaxObjects)
        return tr("A scenario holds at most %1 objects.").arg(ipccore::ScenarioLimits::MaxObjects);
    if (replacing >= 0) {
        // The workers using this object must still fit it (message size, transport rules, a program's steps).
        const std::string& oldName = m_scenario.objects[std::size_t(replacing)].name;
        std::vector<ipccore::ObjectSpec> objects = m_scenario.objects;
        objects[std::size_t(replacing)] = object;
        for (const ipccore::WorkerSpec& worker : m_scenario.workers) {
            if (!usesObject(worker, oldName))
                continue;
            const ipccore::WorkerSpec updated = renamed(worker, oldName, object.name);
            const std::string field = "worker \"" + worker.name + "\"";
            const ipccore::Status fits = worker.role == ipccore::Role::Program
                ? ipccore::validateProgram(updated, objects, field)
                : ipccore::validateWorker(updated, object, field);
            if (!fits)
                return errorText(fits.error());
        }
    }
    return {};
}

QString ScenarioDocument::checkWorker(const ipccore::WorkerSpec& worker, int replacing) const
{
    if (worker.role == ipccore::Role::Program) {
        // A program has no object of its own: its fields alone, then its steps against every object.
        ipccore::Status valid = ipccore::validateWorker(worker, ipccore::ObjectSpec {}, "worker");
        if (valid)
            valid = ipccore::validateProgram(worker, m_scenario.objects, "worker");
        if (!valid)
            return errorText(valid.error());
    } else {
        const int object = objectIndex(worker.object);
        if (object < 0)
            return tr("worker.object: there is no object called \"%1\"; add the object first.")
                .arg(QString::fromStdString(worker.object));
        const ipccore::Status valid
            = ipccore::validateWorker(worker, m_scenario.objects[std::size_t(object)], "worker");
        if (!valid)
            return errorText(valid.error());
    }
    for (std::size_t i = 0; i < m_scenario.workers.size(); ++i) {
        if (int(i) != replacing && m_scenario.workers[i].name == worker.name)
            return tr("A worker called \"%1\" exists already; pick another name.")
                .arg(QString::fromStdString(worker.name));
    }
    if (replacing < 0 && m_scenario.workers.size() >= ipccore::ScenarioLimits::MaxWorkers)
        return tr("A scenario holds at most %1 workers.").arg(ipccore::ScenarioLimits::MaxWorkers);
    return {};
}

void ScenarioDocument::markChanged()
{
    m_modified = true;
    emit changed();
}

QString ScenarioDocument::addObject(const ipccore::ObjectSpec& object)
{
    if (QString reason = checkObject(object); !reason.isEmpty())
        return reason;
    m_scenario.objects.push_back(object);
    emit objectsChanged();
    markChanged();
    return {};
}

QString ScenarioDocument::replaceObject(int index, const ipccore::ObjectSpec& object)
{
    if (index < 0 || std::size_t(index) >= m_scenario.objects.size())
        return tr("No object at row %1.").arg(index + 1);
    if (QString reason = checkObject(object, index); !reason.isEmpty())
        return reason;
    const std::string oldName = m_scenario.objects[std::size_t(index)].name;
    m_scenario.objects[std::size_t(index)] = object;
    bool workersRenamed = false;
    for (ipccore::WorkerSpec& worker : m_scenario.workers) {
        if (oldName != object.name && usesObject(worker, oldName)) {
            worker = renamed(worker, oldName, object.name);
            workersRenamed = true;
        }
    }
    emit objectsChanged();
    if (workersRenamed)
        emit workersChanged();
    markChanged();
    return {};
}

QString ScenarioDocument::removeObject(int index)
{
    if (index < 0 || std::size_t(index) >= m_scenario.objects.size())
        return tr("No object at row %1.").arg(index + 1);
    const std::string& name = m_scenario.objects[std::size_t(index)].name;
    const QStringList users = usersOf(name);
    if (!users.isEmpty())
        return tr("\"%1\" is used by %2; remove those workers first.")
            .arg(QString::fromStdString(name), users.join(QStringLiteral(", ")));
    m_scenario.objects.erase(m_scenario.objects.begin() + index);
    emit objectsChanged();
    markChanged();
    return {};
}

QString ScenarioDocument::addWorker(const ipccore::WorkerSpec& worker)
{
    if (QString reason = checkWorker(worker); !reason.isEmpty())
        return reason;
    m_scenario.workers.push_back(worker);
    emit workersChanged();
    emit objectsChanged(); // the "used by" column
    markChanged();
    return {};
}

QString ScenarioDocument::replaceWorker(int index, const ipccore::WorkerSpec& worker)
{
    if (index < 0 || std::size_t(index) >= m_scenario.workers.size())
        return tr("No worker at row %1.").arg(index + 1);
    if (QString reason = checkWorker(worker, index); !reason.isEmpty())
        return reason;
    m_scenario.workers[std::size_t(index)] = worker;
    emit workersChanged();
    emit objectsChanged();
    markChanged();
    return {};
}

QString ScenarioDocument::removeWorker(int index)
{
    if (index < 0 || std::size_t(index) >= m_scenario.workers.size())
        return tr("No worker at row %1.").arg(index + 1);
    m_scenario.workers.erase(m_scenario.workers.begin() + index);
    emit workersChanged();
    emit objectsChanged();
    markChanged();
    return {};
}

QString ScenarioDocument::problem() const
{
    const ipccore::Status valid = ipccore::validateScenario(m_scenario, m_limits);
    return valid ? QString() : errorText(valid.error());
}

QString ScenarioDocument::uniqueWorkerName(const QString& base) const
{
    for (int n = 1;; ++n) {
        const std::string candidate = QStringLiteral("%1-%2").arg(base).arg(n).toStdString();
        bool used = false;
        for (const ipccore::WorkerSpec& worker : m_scenario.workers)
            used = used || worker.name == candidate;
        if (!used)
            return QString::fromStdString(candidate);
    }
}

QString ScenarioDocument::uniqueObjectName(const QString& base) const
{
    for (int n = 1;; ++n) {
        const QString candidate = n == 1 ? base : QStringLiteral("%1-%2").arg(base).arg(n);
        if (objectIndex(candidate.toStdString()) < 0)
            return candidate;
    }
}

QString ScenarioDocument::limitsText() const
{
    return tr("Message queue limits on this machine: at most %1 messages per queue (fs.mqueue.msg_max), "
              "%2 bytes per message (fs.mqueue.msgsize_max), %3 queues (fs.mqueue.queues_max).")
        .arg(m_limits.msgMax)
        .arg(m_limits.msgsizeMax)
        .arg(m_limits.queuesMax);
}

} // namespace ipcui
