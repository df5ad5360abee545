// Lessons (ipccore/lesson.h): the nine bundled lessons parse, in the issue's order; bad lesson files are refused
// with the field named; and each bundled lesson, run for real as a student would (its scenario started, the workers
// it asks for paused), yields an observation that picks exactly one of its choices: the one the lesson teaches.
#include "test_support.h"

#include "ipccore/lesson.h"
#include "ipccore/runner.h"
#include "ipccore/scenario.h"

#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QtTest>

#include <sys/stat.h>

using namespace ipccore;

namespace {

// A valid lesson to break one field at a time.
const char* GoodLesson = R"({
    "order": 2,
    "title": "The bounded buffer",
    "scenario": "bounded-buffer-3x2",
    "do": "Pause both consumers.",
    "question": "How deep?",
    "choices": [ { "text": "none", "max": 0 }, { "text": "some", "min": 1, "max": 7 }, { "text": "full", "min": 8 } ],
    "observe": { "measure": "depth", "object": "buffer" },
    "when": { "paused": ["consumer-1", "consumer-2"] },
    "explain": "It fills."
})";

std::string replaced(std::string text, const std::string& from, const std::string& to)
{
    const auto at = text.find(from);
    if (at == std::string::npos)
        return "(test error: '" + from + "' not in the good lesson)";
    return text.replace(at, from.size(), to);
}

} // namespace

class TestLessons : public QObject {
    Q_OBJECT

private slots:
    void bundledLessonsFollowTheIssuesOrder()
    {
        const std::vector<Lesson>& lessons = bundledLessons();
        const char* topics[] = { "Queue vs Pipe vs shared Value", "producer-consumer and the bounded buffer",
            "the fast producer and lost data", "the += race and its lock", "deadlock and lock order", "Pool", "Manager",
            "CSP rendezvous", "a dead lock holder" };
        QCOMPARE(lessons.size(), std::size(topics));
        for (std::size_t i = 0; i < lessons.size(); ++i) {
            QCOMPARE(lessons[i].order, int(i + 1));
            QCOMPARE(QString::fromStdString(lessons[i].topic), QString::fromLatin1(topics[i]));
            QVERIFY(lessons[i].choices.size() >= 2);
            QVERIFY(!lessons[i].explain.empty());
        }
    }

    void goodLessonParses()
    {
        auto lesson = parseLesson(GoodLesson, "good.json");
        QVERIFY2(lesson, lesson ? "" : lesson.error().message().c_str());
        QCOMPARE(lesson->name, std::string("good"));
        QCOMPARE(lesson->choices.size(), std::size_t(3));
        QCOMPARE(answerFor(*lesson, 0), std::optional<std::size_t>(0));
        QCOMPARE(answerFor(*lesson, 5), std::optional<std::size_t>(1));
        QCOMPARE(answerFor(*lesson, 8), std::optional<std::size_t>(2));
        QCOMPARE(answerFor(*lesson, 0.5), std::optional<std::size_t>()); // between the ranges: no choice
        QCOMPARE(lesson->when.holdS, 1.0); // the default
    }

    void badLessonsNameTheField_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("field");
        const std::string g = GoodLesson;
        auto row = [&](const char* tag, const std::string& text, const char* field) {
            QTest::newRow(tag) << QString::fromStdString(text) << QString::fromLatin1(field);
        };
        row("not json", "{ \"title\": ", "Not valid JSON at line 1");
        row("empty", "  \n", "The file is empty");
        row("a list", "[1, 2]", "(top level)");
        row("unknown field", replaced(g, "\"order\": 2,", "\"order\": 2, \"colour\": 1,"), "colour: unknown field");
        row("title missing", replaced(g, "\"title\": \"The bounded buffer\",", ""), "title: is missing");
        row("title empty", replaced(g, "\"The bounded buffer\"", "\"  \""), "title: is empty");
        row("title a number", replaced(g, "\"The bounded buffer\"", "7"), "title: expected a string");
        row("order fractional", replaced(g, "\"order\": 2", "\"order\": 2.5"), "order: expected a whole number");
        row("scenario unknown", replaced(g, "bounded-buffer-3x2", "no-such"), "scenario: 'no-such' is not a bundled");
        row("measure unknown", replaced(g, "\"depth\"", "\"depthh\""), "observe.measure: 'depthh' is not a measure");
        row("object unknown", replaced(g, "\"object\": \"buffer\"", "\"object\": \"bufer\""),
            "observe.object: 'bufer' is not an object of bounded-buffer-3x2");
        row("object missing", replaced(g, ", \"object\": \"buffer\"", ""), "observe.object: is missing");
        row("field the measure does not use",
            replaced(g, "\"object\": \"buffer\"", "\"object\": \"buffer\", \"key\": \"k\""),
            "observe.key: the measure depth does not use it");
        row("wrong object for lost updates", replaced(g, "\"depth\"", "\"lost_updates_percent\""),
            "observe.measure: lost_updates_percent needs a shared array");
        row("paused worker unknown", replaced(g, "\"consumer-2\"]", "\"consumer-9\"]"),
            "when.paused: 'consumer-9' is not a worker");
        row("paused not a list", replaced(g, "[\"consumer-1\", \"consumer-2\"]", "\"consumer-1\""),
            "when.paused: expected a list");
        row("after_s negative", replaced(g, "\"when\": {", "\"when\": { \"after_s\": -1,"),
            "when.after_s: expected seconds");
        row("one choice",
            replaced(g, "{ \"text\": \"none\", \"max\": 0 }, { \"text\": \"some\", \"min\": 1, \"max\": 7 }, ", ""),
            "choices: has 1 choices");
        row("choice without range", replaced(g, "{ \"text\": \"none\", \"max\": 0 }", "{ \"text\": \"none\" }"),
            "choices[0]: has no range");
        row("overlapping choices", replaced(g, "\"min\": 8", "\"min\": 7"),
            "choices[2]: its range overlaps that of choices[1]");
        row("empty range", replaced(g, "\"min\": 1, \"max\": 7", "\"min\": 7, \"max\": 1"),
            "choices[1]: its range is empty");
        row("min and above", replaced(g, "\"min\": 1, \"max\": 7", "\"min\": 1, \"above\": 0, \"max\": 7"),
            "choices[1].above: give min (inclusive) or above");
        row("bound not a number", replaced(g, "\"max\": 0", "\"max\": \"0\""), "choices[0].max: expected a number");
    }

    void badLessonsNameTheField()
    {
        QFETCH(QString, text);
        QFETCH(QString, field);
        auto lesson = parseLesson(text.toStdString(), "teacher.json");
        QVERIFY(!lesson);
        const QString message = QString::fromStdString(lesson.error().message());
        QVERIFY2(message.contains(field), qPrintable(message));
        QVERIFY2(message.contains(QStringLiteral("teacher.json")), qPrintable(message));
    }

    void filesAreReadWithCare()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const std::string good = (dir.path() + QStringLiteral("/mine.json")).toStdString();
        {
            QFile f(QString::fromStdString(good));
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(GoodLesson);
        }
        auto lesson = loadLessonFile(good);
        QVERIFY2(lesson, lesson ? "" : lesson.error().message().c_str());
        QCOMPARE(lesson->name, std::string("mine"));
        // A FIFO is refused at once, without waiting for a writer.
        const std::string fifo = (dir.path() + QStringLiteral("/pipe.json")).toStdString();
        QCOMPARE(mkfifo(fifo.c_str(), 0600), 0);
        QElapsedTimer timer;
        timer.start();
        auto refused = loadLessonFile(fifo);
        QVERIFY(!refused);
        QVERIFY2(refused.error().message().find("FIFO") != std::string::npos, refused.error().message().c_str());
        QVERIFY(timer.elapsed() < 5000);
        // A file too large is refused unread; a missing one names the path.
        const std::string large = (dir.path() + QStringLiteral("/large.json")).toStdString();
        {
            QFile f(QString::fromStdString(large));
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(QByteArray(int(LessonLimits::MaxFileBytes) + 10, ' '));
        }
        refused = loadLessonFile(large);
        QVERIFY(!refused);
        QVERIFY2(refused.error().message().find("a lesson is a small JSON file") != std::string::npos,
            refused.error().message().c_str());
        refused = loadLessonFile(dir.path().toStdString() + "/absent.json");
        QVERIFY(!refused);
        QVERIFY2(refused.error().message().find("absent.json") != std::string::npos, refused.error().message().c_str());
    }

    // Each bundled lesson run for real: the run's own figure must pick the choice the lesson teaches.
    void eachLessonIsAnsweredByItsRun_data()
    {
        QTest::addColumn<int>("index");
        QTest::addColumn<int>("expected");
        const int answers[] = { 2, 2, 1, 2, 2, 2, 1, 0, 0 };
        for (int i = 0; i < int(std::size(answers)); ++i)
            QTest::newRow(bundledLessons().at(std::size_t(i)).name.c_str()) << i << answers[i];
    }

    void eachLessonIsAnsweredByItsRun()
    {
        QFETCH(int, index);
        QFETCH(int, expected);
        const Lesson& lesson = bundledLessons().at(std::size_t(index));
        auto scenario = resolveScenario(lesson.scenario);
        QVERIFY2(scenario, scenario ? "" : scenario.error().message().c_str());
        RunOptions options;
        options.workerPath = ipctest::workerPath().toStdString();
        auto runner = Runner::start(*scenario, options);
        QVERIFY2(runner, runner ? "" : runner.error().message().c_str());
        Runner& r = **runner;
        // Before anything is done, a lesson that asks for a pause says so.
        Snapshot first = r.sample();
        LessonReading reading = readLesson(lesson, first);
        if (!lesson.when.paused.empty()) {
            QVERIFY(!reading.ready);
            QVERIFY2(reading.waitingFor.starts_with("Pause "), reading.waitingFor.c_str());
        }
        for (const std::string& name : lesson.when.paused)
            QVERIFY(r.pauseWorker(ipctest::workerIndex(first, name)));
        // Then the student waits until the condition has held for hold_s, as the Lessons panel does.
        QElapsedTimer timer;
        timer.start();
        double readySince = -1;
        Snapshot s;
        while (timer.elapsed() < 60000) {
            s = r.sample();
            reading = readLesson(lesson, s);
            // Paused inside its critical section (rare): do what the reading says, as a student would.
            if (reading.waitingFor.find("Resume the paused processes") != std::string::npos) {
                qInfo("%s", reading.waitingFor.c_str());
                for (const std::string& name : lesson.when.paused) {
                    QVERIFY(r.resumeWorker(ipctest::workerIndex(s, name)));
                    QTest::qWait(20);
                    QVERIFY(r.pauseWorker(ipctest::workerIndex(s, name)));
                }
            }
            if (!reading.ready)
                readySince = -1;
            else if (readySince < 0)
                readySince = s.t;
            if (reading.ready && s.t - readySince >= lesson.when.holdS)
                break;
            QTest::qWait(50);
        }
        QVERIFY2(reading.ready, reading.waitingFor.c_str());
        const std::optional<std::size_t> answer = answerFor(lesson, reading.value);
        QVERIFY2(answer, ("no choice holds " + reading.text).c_str());
        std::string states; // what each process was doing, for a failure's message
        for (const WorkerStatus& w : s.workers)
            states
                += "; " + w.name + " " + workerStateName(w.state) + (w.waitingOn.empty() ? "" : " on " + w.waitingOn);
        QVERIFY2(*answer == std::size_t(expected),
            (reading.text + " answers '" + lesson.choices[*answer].text + "'" + states).c_str());
        qInfo("%s: %s", lesson.name.c_str(), reading.text.c_str());
        (void)r.stop();
    }

    // SIGSTOP may stop the consumer between moving the ring's tail and posting 'empty': the buffer then shows one
    // message fewer than its slots, for ever, while the producers wait on 'empty' at 0. The bounded-buffer lesson must
    // not read that as "some, 1 to 7" (a CI run once saw the ring at 7 of 8 for 30 s): it asks to resume and pause
    // again, as for a consumer paused holding the lock. The sample is written here as the runner gives it, since the
    // moment cannot be produced on purpose with SIGSTOP.
    void aBufferOneShortOfAPausedConsumersPostAsksToPauseAgain()
    {
        const Lesson& lesson = bundledLessons().at(1);
        QCOMPARE(lesson.scenario, std::string("producer-consumer-shm-ring"));
        QCOMPARE(lesson.when.paused, std::vector<std::string> { "consumer" });
        Snapshot s;
        s.t = 5;
        ObjectStatus buffer;
        buffer.name = "buffer";
        buffer.transport = TransportKind::ShmRing;
        buffer.capacity = 8;
        buffer.depth = 7;
        buffer.semaphores = { { "empty", "/x.empty", 0 }, { "full", "/x.full", 7 }, { "mutex", "/x.mutex", 1 } };
        s.objects.push_back(buffer);
        s.objectLedgers.emplace_back();
        WorkerStatus producer;
        producer.name = "producer";
        producer.role = Role::Producer;
        producer.object = "buffer";
        producer.state = WorkerState::BlockedFull;
        producer.stateSeconds = 1;
        WorkerStatus consumer = producer;
        consumer.name = "consumer";
        consumer.role = Role::Consumer;
        consumer.state = WorkerState::Paused;
        s.workers = { producer, consumer };

        LessonReading reading = readLesson(lesson, s);
        QVERIFY(!reading.ready);
        QVERIFY2(
            reading.waitingFor.find("Resume the paused processes") != std::string::npos, reading.waitingFor.c_str());
        // In its first half second the same state may be another producer's put of the last slot, under way: not
        // read yet either (a lesson's hold_s may be 0).
        s.workers[0].stateSeconds = 0.1;
        reading = readLesson(lesson, s);
        QVERIFY(!reading.ready);
        QVERIFY2(reading.waitingFor.find("Watching buffer") != std::string::npos, reading.waitingFor.c_str());
        // And a full buffer is read as it is.
        s.workers[0].stateSeconds = 1;
        s.objects[0].depth = 8;
        s.objects[0].semaphores[1].value = 8;
        reading = readLesson(lesson, s);
        QVERIFY2(reading.ready, reading.waitingFor.c_str());
        QCOMPARE(reading.value, 8.0);
    }
};

QTEST_GUILESS_MAIN(TestLessons)
#include "tst_lessons.moc"
