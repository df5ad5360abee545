#pragma once

// Lessons: predict, then observe. A lesson names a bundled scenario, says what to do in the running lab, asks a
// question with multiple choices before anything is revealed, and names the one figure of a live sample that
// answers it. The figure, read from the real run, picks the choice whose range holds it; nothing in the file says
// which choice is right, so a run that behaves differently is reported as it behaved.
//
// Lessons are data: resources/lessons/*.json, or any .json file a teacher writes. For example:
//   {
//     "order": 2,
//     "title": "The bounded buffer",
//     "topic": "producer-consumer and the bounded buffer",
//     "scenario": "bounded-buffer-3x2",
//     "do": "Start the run, then pause consumer-1 and consumer-2.",
//     "question": "With both consumers paused, how many messages will wait in the buffer?",
//     "choices": [ { "text": "None", "max": 0 }, { "text": "1 to 7", "min": 1, "max": 7 },
//                  { "text": "8, every slot", "min": 8, "max": 8 }, { "text": "More than 8", "min": 9 } ],
//     "observe": { "measure": "depth", "object": "buffer" },
//     "when": { "paused": ["consumer-1", "consumer-2"], "hold_s": 1 },
//     "explain": "A bounded buffer holds at most its capacity; then every producer waits on 'empty'."
//   }
// Bad files are refused with the field named, as scenarios are.

#include "ipccore/result.h"
#include "ipccore/runner.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ipccore {

// The figures a lesson can observe in one live sample.
enum class LessonMeasure {
    Depth, // object: messages (or bytes) in it now
    InFlight, // object: sent into it and not received, lost or left with a dead worker yet
    LostPercent, // object: of the messages sent, the share lost (a shm-value: overwritten before anyone read them)
    LostUpdatesPercent, // object (shm-array): of the increments made, the share the cells do not hold
    KeyLostPercent, // object (served by a Manager) and key ("d[count]"): of the increments set, the share lost
    BlockedPercent, // worker: the share of its life so far spent blocked on an object
    Deadlocked, // the processes in a deadlock cycle (0 while there is none)
    Throughput, // messages (or a program's passes) per second over the last sample interval, all processes
    BusyWorkers, // workers (a list): how many of them have done at least one message or pass
};

struct LessonChoice {
    std::string text;
    // The range of the observed figure that makes this choice the answer; bounds left out are open.
    std::optional<double> min, max; // inclusive
    std::optional<double> above, below; // exclusive
    bool holds(double value) const;
};

struct LessonObservation {
    LessonMeasure measure = LessonMeasure::Depth;
    std::string object; // Depth, InFlight, LostPercent, LostUpdatesPercent, KeyLostPercent
    std::string key; // KeyLostPercent
    std::string worker; // BlockedPercent
    std::vector<std::string> workers; // BusyWorkers
};

// When a sample can answer: at least afterS seconds into the run, with the named workers paused, and (judged by the
// caller, who sees samples over time) both for holdS seconds.
struct LessonCondition {
    std::vector<std::string> paused;
    double afterS = 0;
    double holdS = 1;
};

struct Lesson {
    std::string name; // the file's name without .json
    int order = 0; // place in the sequence
    std::string title;
    std::string topic;
    std::string scenario; // a bundled scenario's name
    std::string todo; // "do": what to do in the lab
    std::string question;
    std::vector<LessonChoice> choices; // 2 to 6, ranges that do not overlap
    LessonObservation observe;
    LessonCondition when;
    std::string explain; // shown after the reveal
};

namespace LessonLimits {
constexpr std::size_t MaxFileBytes = std::size_t(1) << 16;
constexpr std::size_t MinChoices = 2, MaxChoices = 6;
constexpr std::size_t MaxTextChars = 2000;
} // namespace LessonLimits

// Parses and checks: every field's type, the scenario is bundled and has the objects and workers named, the
// measure fits the object, the choices' ranges do not overlap. `source` names the file in messages.
Result<Lesson> parseLesson(std::string_view jsonText, std::string_view source = "lesson");
// Only a regular file of at most LessonLimits::MaxFileBytes is read (see loadScenarioFile).
Result<Lesson> loadLessonFile(const std::string& path);
// The lessons compiled in from resources/lessons/*.json, in their order.
const std::vector<Lesson>& bundledLessons();

// What one sample says for the lesson's question.
struct LessonReading {
    bool ready = false; // the condition holds in this sample (the caller still waits for holdS)
    std::string waitingFor; // when not ready: what is missing, as an instruction ("Pause consumer-2")
    double value = 0;
    std::string text; // "depth of buffer = 8 messages"
};
LessonReading readLesson(const Lesson& lesson, const Snapshot& sample);
// The choice whose range holds `value`, if any.
std::optional<std::size_t> answerFor(const Lesson& lesson, double value);
// "depth", "lost_percent"...: the names used in the files.
std::string_view measureName(LessonMeasure measure);

} // namespace ipccore
