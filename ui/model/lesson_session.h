#pragma once

// A lesson as a student goes through it (ipccore/lesson.h): pick a lesson, start its scenario, do what it says,
// choose an answer, then reveal. Revealing waits for the samples of the lesson's own run to meet its condition
// (the workers it asks for paused, for long enough), reads the figure that answers the question from the real run,
// and scores the choice. Qt Core only: the Lessons panel shows it, the tests drive it without a display.

#include "ipccore/lesson.h"
#include "ipccore/runner.h"

#include <QObject>
#include <QString>

#include <map>
#include <optional>
#include <vector>

namespace ipcui {

class LessonSession : public QObject {
    Q_OBJECT
public:
    enum class Phase {
        Predict, // the question is asked; nothing is shown yet
        Waiting, // the answer is locked in; waiting for the run to meet the lesson's condition
        Revealed, // the run's figure is shown and the choice scored
    };

    explicit LessonSession(QObject* parent = nullptr); // the bundled lessons, in order

    int count() const { return int(m_lessons.size()); }
    const ipccore::Lesson& lesson(int i) const { return m_lessons[std::size_t(i)]; }
    const ipccore::Lesson& current() const { return m_lessons[std::size_t(m_index)]; }
    int index() const { return m_index; }
    void setIndex(int index); // another lesson: back to Predict
    // A teacher's lesson file: added after the bundled ones and selected. Returns the refusal, or empty.
    QString openFile(const QString& path);

    void choose(int choice); // in Predict, before the answer is locked in
    int chosen() const { return m_chosen; }
    // The prediction is made before the run shows anything: starting the lesson's run locks the chosen answer in.
    void lockIn();
    bool locked() const { return m_locked; }
    // The run a Start locked the answer in for did not start (its start was cancelled or refused): nothing of it was
    // on the screen, so the answer may change again. Only for that Start's lock, and only for the lesson's scenario.
    void startWithdrawn(const QString& scenario);
    // Locks the chosen answer in and waits for the run (Predict with a choice -> Waiting).
    void reveal();
    void tryAgain(); // Revealed -> Predict, the same lesson (the score keeps the first answer)

    // The scenario of the run going now ("" when none): only samples of the lesson's own scenario are read.
    void setRunScenario(const QString& name);
    QString runScenario() const { return m_runScenario; }
    void apply(const ipccore::Snapshot& sample);

    Phase phase() const { return m_phase; }
    QString waitingFor() const { return m_waitingFor; } // Waiting: what the run still needs
    QString observed() const { return m_observed; } // Revealed: "depth of buffer = 8 messages"
    double observedAt() const { return m_observedAt; } // Revealed: seconds into the run of the sample read
    std::optional<int> answer() const { return m_answer; } // Revealed: the choice the figure picks, if one does
    bool right() const { return m_answer && *m_answer == m_chosen; }

    int answered() const { return int(m_scores.size()); } // lessons revealed, counted once each
    int rightCount() const;

signals:
    void changed();
    void lessonChanged(const QString& previousScenario); // another lesson was picked

private:
    void setWaitingFor(const QString& text);

    std::vector<ipccore::Lesson> m_lessons;
    int m_index = 0;
    int m_chosen = -1;
    bool m_locked = false;
    bool m_lockedForStart = false; // locked by a Start whose run has not started yet
    double m_observedAt = 0; // the sample's time of the reveal
    Phase m_phase = Phase::Predict;
    QString m_runScenario;
    QString m_waitingFor;
    QString m_observed;
    std::optional<int> m_answer;
    double m_readySince = -1; // the sample time since which the condition has held
    std::map<std::string, bool> m_scores; // lesson name -> right at its first reveal
};

} // namespace ipcui
