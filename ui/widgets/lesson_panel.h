#pragma once

// The Lessons panel, docked beside the live views: the lesson's scenario to start, what to do, the question with its
// choices, Reveal, then what the real run showed, whether the choice was right, and why. It shows a LessonSession;
// the main window starts the run it asks for and feeds it the samples.

#include "model/lesson_session.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QListWidget;
class QPushButton;

namespace ipcui {

class LessonPanel : public QWidget {
    Q_OBJECT
public:
    explicit LessonPanel(LessonSession* session, QWidget* parent = nullptr);

    LessonSession* session() const { return m_session; }
    QListWidget* choiceList() const { return m_choices; }
    QPushButton* revealButton() const { return m_reveal; }
    QPushButton* startButton() const { return m_start; }
    QLabel* resultLabel() const { return m_result; }

signals:
    void startRequested(const QString& scenario); // the lesson's bundled scenario, to load and run
    void errorOccurred(const QString& message);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void fitChoices();
    void openFile();
    void refresh();
    void refillLessons();

    LessonSession* m_session;
    QComboBox* m_lessonBox = nullptr;
    QLabel* m_heading = nullptr;
    QLabel* m_title = nullptr;
    QLabel* m_scenario = nullptr;
    QPushButton* m_start = nullptr;
    QLabel* m_todo = nullptr;
    QLabel* m_question = nullptr;
    QListWidget* m_choices = nullptr;
    QPushButton* m_reveal = nullptr;
    QLabel* m_result = nullptr;
    QPushButton* m_again = nullptr;
    QPushButton* m_next = nullptr;
    QLabel* m_score = nullptr;
    int m_shownIndex = -1; // the lesson the widgets were filled for
};

} // namespace ipcui
