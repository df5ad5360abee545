#include "model/lesson_session.h"

namespace ipcui {

LessonSession::LessonSession(QObject* parent)
    : QObject(parent)
    , m_lessons(ipccore::bundledLessons())
{ }

void LessonSession::setIndex(int index)
{
    if (index < 0 || index >= count())
        return;
    const bool other = index != m_index;
    const QString previous = QString::fromStdString(current().scenario);
    m_index = index;
    m_chosen = -1;
    m_locked = false;
    m_lockedForStart = false;
    m_phase = Phase::Predict;
    m_waitingFor.clear();
    m_observed.clear();
    m_answer.reset();
    m_readySince = -1;
    emit changed();
    if (other)
        emit lessonChanged(previous);
}

QString LessonSession::openFile(const QString& path)
{
    auto lesson = ipccore::loadLessonFile(path.toStdString());
    if (!lesson)
        return QString::fromStdString(lesson.error().message());
    m_lessons.push_back(std::move(*lesson));
    setIndex(count() - 1);
    return {};
}

void LessonSession::choose(int choice)
{
    if (m_phase != Phase::Predict || m_locked || choice < 0 || choice >= int(current().choices.size()))
        return;
    m_chosen = choice;
    emit changed();
}

void LessonSession::lockIn()
{
    if (m_phase != Phase::Predict || m_chosen < 0 || m_locked)
        return;
    m_locked = true;
    m_lockedForStart = true;
    emit changed();
}

void LessonSession::startWithdrawn(const QString& scenario)
{
    if (!m_lockedForStart || m_phase != Phase::Predict || scenario != QString::fromStdString(current().scenario))
        return;
    m_locked = false;
    m_lockedForStart = false;
    emit changed();
}

void LessonSession::reveal()
{
    if (m_phase != Phase::Predict || m_chosen < 0)
        return;
    m_phase = Phase::Waiting;
    m_locked = true;
    m_readySince = -1;
    m_waitingFor = m_runScenario == QString::fromStdString(current().scenario)
        ? tr("Reading the run…")
        : tr("Start the lesson's run (%1)").arg(QString::fromStdString(current().scenario));
    emit changed();
}

void LessonSession::tryAgain()
{
    if (m_phase == Phase::Predict && !m_locked)
        return;
    const int keep = m_index;
    setIndex(keep);
}

void LessonSession::setRunScenario(const QString& name)
{
    m_runScenario = name;
    m_readySince = -1;
    if (name == QString::fromStdString(current().scenario))
        m_lockedForStart = false; // the run the answer was locked in for is on the screen now
    if (m_phase == Phase::Waiting && name != QString::fromStdString(current().scenario))
        m_waitingFor = tr("Start the lesson's run (%1)").arg(QString::fromStdString(current().scenario));
    emit changed();
}

void LessonSession::apply(const ipccore::Snapshot& sample)
{
    if (m_phase != Phase::Waiting || m_runScenario != QString::fromStdString(current().scenario))
        return;
    const ipccore::LessonReading reading = ipccore::readLesson(current(), sample);
    if (!reading.ready) {
        m_readySince = -1;
        setWaitingFor(QString::fromStdString(reading.waitingFor));
        return;
    }
    if (m_readySince < 0)
        m_readySince = sample.t;
    const double left = current().when.holdS - (sample.t - m_readySince);
    if (left > 0) {
        setWaitingFor(tr("Watching for %1 s more…").arg(left, 0, 'f', 1));
        return;
    }
    m_phase = Phase::Revealed;
    m_waitingFor.clear();
    m_observed = QString::fromStdString(reading.text);
    m_observedAt = sample.t;
    const std::optional<std::size_t> answer = ipccore::answerFor(current(), reading.value);
    m_answer = answer ? std::optional<int>(int(*answer)) : std::nullopt;
    // Scored once, at the first reveal, and only when the run's figure answers one of the choices.
    if (m_answer && !m_scores.contains(current().name))
        m_scores[current().name] = right();
    emit changed();
}

int LessonSession::rightCount() const
{
    int n = 0;
    for (const auto& [name, ok] : m_scores)
        n += ok ? 1 : 0;
    return n;
}

void LessonSession::setWaitingFor(const QString& text)
{
    if (text == m_waitingFor)
        return;
    m_waitingFor = text;
    emit changed();
}

} // namespace ipcui
