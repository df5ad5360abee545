#include "ipccore/lesson.h"

#include "ipccore/scenario.h"
#include "json_file.h"
#include "sys_error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

namespace ipccore {

namespace detail {
const std::vector<std::pair<std::string_view, std::string_view>>& bundledLessonTexts();
}

namespace {

using nlohmann::json;

const detail::JsonFileWords& lessonWords()
{
    static const detail::JsonFileWords words { "lesson", "open one of the bundled lessons from the Lessons panel" };
    return words;
}

struct MeasureInfo {
    LessonMeasure measure;
    std::string_view name;
    std::string_view needs; // "object", "object key", "worker", "workers" or ""
    std::string_view unit;
};

constexpr MeasureInfo Measures[] = {
    { LessonMeasure::Depth, "depth", "object", "" },
    { LessonMeasure::InFlight, "in_flight", "object", "messages" },
    { LessonMeasure::LostPercent, "lost_percent", "object", "%" },
    { LessonMeasure::LostUpdatesPercent, "lost_updates_percent", "object", "%" },
    { LessonMeasure::KeyLostPercent, "key_lost_percent", "object key", "%" },
    { LessonMeasure::BlockedPercent, "blocked_percent", "worker", "% of its time" },
    { LessonMeasure::Deadlocked, "deadlocked", "", "" },
    { LessonMeasure::Throughput, "throughput", "", "msgs/s" },
    { LessonMeasure::BusyWorkers, "busy_workers", "workers", "of them" },
};

const MeasureInfo& info(LessonMeasure m)
{
    for (const MeasureInfo& i : Measures) {
        if (i.measure == m)
            return i;
    }
    return Measures[0];
}

std::string number(double v)
{
    std::ostringstream out;
    if (std::abs(v - std::round(v)) < 1e-9)
        out << static_cast<long long>(std::llround(v));
    else {
        out.precision(v < 10 ? 2 : 3);
        out << v;
    }
    return out.str();
}

// A choice's range with open ends at +-infinity, for the overlap check.
struct Range {
    double lo = -std::numeric_limits<double>::infinity(), hi = std::numeric_limits<double>::infinity();
    bool loIn = false, hiIn = false;
};

Range rangeOf(const LessonChoice& c)
{
    Range r;
    if (c.min)
        r = { *c.min, r.hi, true, r.hiIn };
    if (c.above)
        r = { *c.above, r.hi, false, r.hiIn };
    if (c.max) {
        r.hi = *c.max;
        r.hiIn = true;
    }
    if (c.below) {
        r.hi = *c.below;
        r.hiIn = false;
    }
    return r;
}

bool overlap(const Range& a, const Range& b)
{
    const double lo = std::max(a.lo, b.lo), hi = std::min(a.hi, b.hi);
    const bool loIn = (a.lo < lo || a.loIn) && (b.lo < lo || b.loIn);
    const bool hiIn = (a.hi > hi || a.hiIn) && (b.hi > hi || b.hiIn);
    return lo < hi || (lo == hi && loIn && hiIn);
}

Error fieldError(std::string_view source, const std::string& field, const std::string& why)
{
    return detail::makeError(ErrorCode::InvalidArgument, "load lesson", std::string(source), field + ": " + why);
}

Result<Lesson> fromJson(const json& j, std::string_view source)
{
    auto err = [&](const std::string& field, const std::string& why) { return fieldError(source, field, why); };
    if (!j.is_object())
        return err("(top level)", "a lesson must be a JSON object {...}");
    auto checkKeys = [&](const json& obj, const std::string& path,
                         std::initializer_list<const char*> allowed) -> std::optional<Error> {
        if (auto problem = detail::unknownField(obj, path, allowed))
            return err(problem->field, problem->why);
        return std::nullopt;
    };
    auto getText = [&](const json& obj, const char* key, const std::string& path, std::string& out,
                       bool required) -> std::optional<Error> {
        if (!obj.contains(key))
            return required ? std::optional<Error>(err(path + key, "is missing (expected a string)")) : std::nullopt;
        if (!obj[key].is_string())
            return err(path + key, "expected a string, found " + std::string(obj[key].type_name()));
        out = obj[key].get<std::string>();
        if (required && out.find_first_not_of(" \t\r\n") == std::string::npos)
            return err(path + key, "is empty; write what the student should read here");
        if (out.size() > LessonLimits::MaxTextChars)
            return err(path + key,
                "is " + std::to_string(out.size()) + " characters long; keep it under "
                    + std::to_string(LessonLimits::MaxTextChars) + " so it fits the Lessons panel");
        return std::nullopt;
    };
    auto getNumber = [&](const json& obj, const char* key, const std::string& path,
                         std::optional<double>& out) -> std::optional<Error> {
        if (!obj.contains(key))
            return std::nullopt;
        if (!obj[key].is_number())
            return err(path + key, "expected a number, found " + std::string(obj[key].type_name()));
        out = obj[key].get<double>();
        if (!std::isfinite(*out))
            return err(path + key, "expected a finite number");
        return std::nullopt;
    };
    auto getNames = [&](const json& obj, const char* key, const std::string& path,
                        std::vector<std::string>& out) -> std::optional<Error> {
        if (!obj.contains(key))
            return std::nullopt;
        if (!obj[key].is_array())
            return err(path + key, "expected a list of worker names, e.g. [\"consumer-1\"]");
        for (std::size_t k = 0; k < obj[key].size(); ++k) {
            if (!obj[key][k].is_string())
                return err(path + key + "[" + std::to_string(k) + "]", "expected a worker's name as a string");
            out.push_back(obj[key][k].get<std::string>());
        }
        return std::nullopt;
    };

    Lesson l;
    if (auto e = checkKeys(j, "",
            { "order", "title", "topic", "scenario", "do", "question", "choices", "observe", "when", "explain" }))
        return *e;
    std::optional<double> order;
    if (auto e = getNumber(j, "order", "", order))
        return *e;
    if (order && (*order < 0 || *order > 1000 || *order != std::floor(*order)))
        return err("order",
            "expected a whole number from 0 to 1000 (the lesson's place in the list), found " + number(*order));
    l.order = order ? int(*order) : 1000;
    for (auto [key, out] : { std::pair { "title", &l.title }, { "scenario", &l.scenario }, { "do", &l.todo },
             { "question", &l.question }, { "explain", &l.explain } }) {
        if (auto e = getText(j, key, "", *out, true))
            return *e;
    }
    if (auto e = getText(j, "topic", "", l.topic, false))
        return *e;

    const BundledScenario* scenarioText = nullptr;
    for (const BundledScenario& b : bundledScenarios()) {
        if (b.name == l.scenario)
            scenarioText = &b;
    }
    if (!scenarioText) {
        std::string names;
        for (const BundledScenario& b : bundledScenarios())
            names += (names.empty() ? "" : ", ") + b.name;
        return err("scenario", "'" + l.scenario + "' is not a bundled scenario (use one of: " + names + ")");
    }
    auto scenario = parseScenario(scenarioText->json, scenarioText->name);
    if (!scenario)
        return scenario.error();
    auto hasWorker = [&](const std::string& name) {
        return std::any_of(
            scenario->workers.begin(), scenario->workers.end(), [&](const WorkerSpec& w) { return w.name == name; });
    };
    auto workerNames = [&] {
        std::string names;
        for (const WorkerSpec& w : scenario->workers)
            names += (names.empty() ? "" : ", ") + w.name;
        return names;
    };

    // observe
    if (!j.contains("observe") || !j["observe"].is_object())
        return err("observe", "is missing or not an object, e.g. {\"measure\": \"depth\", \"object\": \"buffer\"}");
    const json& jo = j["observe"];
    if (auto e = checkKeys(jo, "observe.", { "measure", "object", "key", "worker", "workers" }))
        return *e;
    std::string measure;
    if (auto e = getText(jo, "measure", "observe.", measure, true))
        return *e;
    const MeasureInfo* m = nullptr;
    for (const MeasureInfo& i : Measures) {
        if (i.name == measure)
            m = &i;
    }
    if (!m) {
        std::string names;
        for (const MeasureInfo& i : Measures)
            names += (names.empty() ? "" : ", ") + std::string(i.name);
        return err("observe.measure", "'" + measure + "' is not a measure (use " + names + ")");
    }
    l.observe.measure = m->measure;
    const std::string needs(m->needs);
    if (auto e = getText(jo, "object", "observe.", l.observe.object, needs.starts_with("object")))
        return *e;
    if (auto e = getText(jo, "key", "observe.", l.observe.key, needs == "object key"))
        return *e;
    if (auto e = getText(jo, "worker", "observe.", l.observe.worker, needs == "worker"))
        return *e;
    if (auto e = getNames(jo, "workers", "observe.", l.observe.workers))
        return *e;
    if (needs == "workers" && l.observe.workers.empty())
        return err("observe.workers", "is missing or empty: list the workers to count, e.g. [\"pool-1\", \"pool-2\"]");
    for (const char* unused : { "object", "key", "worker", "workers" }) {
        if (jo.contains(unused) && needs.find(unused) == std::string::npos)
            return err(std::string("observe.") + unused, "the measure " + measure + " does not use it");
    }
    if (!l.observe.object.empty()) {
        const auto o = std::find_if(scenario->objects.begin(), scenario->objects.end(),
            [&](const ObjectSpec& x) { return x.name == l.observe.object; });
        if (o == scenario->objects.end()) {
            std::string names;
            for (const ObjectSpec& x : scenario->objects)
                names += (names.empty() ? "" : ", ") + x.name;
            return err("observe.object",
                "'" + l.observe.object + "' is not an object of " + l.scenario + " (it has " + names + ")");
        }
        if (m->measure == LessonMeasure::LostUpdatesPercent && o->transport != TransportKind::ShmArray)
            return err("observe.measure",
                "lost_updates_percent needs a shared array (shm-array); " + o->name + " is "
                    + std::string(transportName(o->transport)));
    }
    for (const std::string& w : l.observe.workers) {
        if (!hasWorker(w))
            return err(
                "observe.workers", "'" + w + "' is not a worker of " + l.scenario + " (it has " + workerNames() + ")");
    }
    if (!l.observe.worker.empty() && !hasWorker(l.observe.worker))
        return err("observe.worker",
            "'" + l.observe.worker + "' is not a worker of " + l.scenario + " (it has " + workerNames() + ")");

    // when
    if (j.contains("when")) {
        const json& jw = j["when"];
        if (!jw.is_object())
            return err("when", "expected an object, e.g. {\"paused\": [\"consumer-1\"], \"after_s\": 3}");
        if (auto e = checkKeys(jw, "when.", { "paused", "after_s", "hold_s" }))
            return *e;
        if (auto e = getNames(jw, "paused", "when.", l.when.paused))
            return *e;
        for (const std::string& w : l.when.paused) {
            if (!hasWorker(w))
                return err(
                    "when.paused", "'" + w + "' is not a worker of " + l.scenario + " (it has " + workerNames() + ")");
        }
        for (auto [key, out] : { std::pair { "after_s", &l.when.afterS }, { "hold_s", &l.when.holdS } }) {
            std::optional<double> v;
            if (auto e = getNumber(jw, key, "when.", v))
                return *e;
            if (v && (*v < 0 || *v > 600))
                return err(std::string("when.") + key, "expected seconds from 0 to 600, found " + number(*v));
            if (v)
                *out = *v;
        }
    }

    // choices
    if (!j.contains("choices") || !j["choices"].is_array())
        return err("choices", "is missing or not a list of choices, e.g. [{\"text\": \"None\", \"max\": 0}, ...]");
    const json& jc = j["choices"];
    if (jc.size() < LessonLimits::MinChoices || jc.size() > LessonLimits::MaxChoices)
        return err("choices",
            "has " + std::to_string(jc.size()) + " choices; a question needs "
                + std::to_string(LessonLimits::MinChoices) + " to " + std::to_string(LessonLimits::MaxChoices));
    for (std::size_t k = 0; k < jc.size(); ++k) {
        const std::string path = "choices[" + std::to_string(k) + "].";
        if (!jc[k].is_object())
            return err(
                path.substr(0, path.size() - 1), "expected an object, e.g. {\"text\": \"8\", \"min\": 8, \"max\": 8}");
        if (auto e = checkKeys(jc[k], path, { "text", "min", "max", "above", "below" }))
            return *e;
        LessonChoice c;
        if (auto e = getText(jc[k], "text", path, c.text, true))
            return *e;
        for (auto [key, out] :
            { std::pair { "min", &c.min }, { "max", &c.max }, { "above", &c.above }, { "below", &c.below } }) {
            if (auto e = getNumber(jc[k], key, path, *out))
                return *e;
        }
        if (c.min && c.above)
            return err(path + "above", "give min (inclusive) or above (exclusive), not both");
        if (c.max && c.below)
            return err(path + "below", "give max (inclusive) or below (exclusive), not both");
        if (!c.min && !c.above && !c.max && !c.below)
            return err(path.substr(0, path.size() - 1),
                "has no range: give min, max, above or below, the values of the observation that make it the answer");
        const Range r = rangeOf(c);
        if (r.lo > r.hi || (r.lo == r.hi && !(r.loIn && r.hiIn)))
            return err(path.substr(0, path.size() - 1), "its range is empty (the lower bound is above the upper one)");
        for (std::size_t prev = 0; prev < l.choices.size(); ++prev) {
            if (overlap(rangeOf(l.choices[prev]), r))
                return err(path.substr(0, path.size() - 1),
                    "its range overlaps that of choices[" + std::to_string(prev)
                        + "]; each observed value must answer exactly one choice");
        }
        l.choices.push_back(std::move(c));
    }
    return l;
}

const ObjectStatus* objectNamed(const Snapshot& s, const std::string& name, const Ledger** ledger)
{
    for (std::size_t i = 0; i < s.objects.size(); ++i) {
        if (s.objects[i].name == name) {
            *ledger = i < s.objectLedgers.size() ? &s.objectLedgers[i] : nullptr;
            return &s.objects[i];
        }
    }
    return nullptr;
}

// The value of the object's semaphore with this role ("empty", "full", "mutex"), or -1 when it has none.
int semaphoreValue(const ObjectStatus& object, std::string_view role)
{
    for (const SemaphoreValue& sem : object.semaphores) {
        if (sem.role == role)
            return sem.value;
    }
    return -1;
}

const WorkerStatus* workerNamed(const Snapshot& s, const std::string& name)
{
    for (const WorkerStatus& w : s.workers) {
        if (w.name == name)
            return &w;
    }
    return nullptr;
}

double percent(double part, double whole)
{
    return whole > 0 ? std::clamp(100.0 * part / whole, 0.0, 100.0) : 0;
}

} // namespace

bool LessonChoice::holds(double v) const
{
    return (!min || v >= *min) && (!max || v <= *max) && (!above || v > *above) && (!below || v < *below);
}

std::string_view measureName(LessonMeasure measure)
{
    return info(measure).name;
}

Result<Lesson> parseLesson(std::string_view jsonText, std::string_view source)
{
    if (jsonText.size() > LessonLimits::MaxFileBytes)
        return detail::jsonFileTooLarge(
            std::string(source), detail::byteCountText(jsonText.size()), LessonLimits::MaxFileBytes, lessonWords());
    if (jsonText.find_first_not_of(" \t\r\n") == std::string_view::npos)
        return detail::makeError(ErrorCode::InvalidArgument, "load lesson", std::string(source),
            "The file is empty. A lesson is a JSON object with \"title\", \"scenario\", \"do\", \"question\", "
            "\"choices\", \"observe\" and \"explain\"; copy one of resources/lessons/*.json to start from");
    auto parsed = detail::parseJsonText(jsonText, std::string(source), lessonWords());
    if (!parsed)
        return parsed.error();
    const json& j = *parsed;
    try {
        auto lesson = fromJson(j, source);
        if (lesson) {
            std::string name(source);
            if (const auto slash = name.rfind('/'); slash != std::string::npos)
                name = name.substr(slash + 1);
            if (name.ends_with(".json"))
                name.resize(name.size() - 5);
            lesson->name = name;
        }
        return lesson;
    } catch (const json::exception& e) {
        return detail::makeError(ErrorCode::InvalidArgument, "load lesson", std::string(source),
            std::string("A value cannot be read: ") + e.what());
    }
}

Result<Lesson> loadLessonFile(const std::string& path)
{
    auto text = detail::readJsonFile(path, LessonLimits::MaxFileBytes, lessonWords());
    if (!text)
        return text.error();
    return parseLesson(*text, path);
}

const std::vector<Lesson>& bundledLessons()
{
    static const std::vector<Lesson> list = [] {
        std::vector<Lesson> out;
        for (const auto& [name, text] : detail::bundledLessonTexts()) {
            // The bundled files are checked by tst_lessons; one that fails here is left out rather than crash.
            if (auto lesson = parseLesson(text, name))
                out.push_back(std::move(*lesson));
        }
        std::stable_sort(out.begin(), out.end(), [](const Lesson& a, const Lesson& b) { return a.order < b.order; });
        return out;
    }();
    return list;
}

LessonReading readLesson(const Lesson& lesson, const Snapshot& s)
{
    LessonReading r;
    if (s.t < lesson.when.afterS) {
        r.waitingFor = "Let it run until " + number(lesson.when.afterS) + " s (now " + number(std::floor(s.t)) + " s)";
        return r;
    }
    for (const std::string& name : lesson.when.paused) {
        const WorkerStatus* w = workerNamed(s, name);
        if (!w || !w->alive) {
            r.waitingFor = name + " is not running; start the lesson's run again";
            return r;
        }
        if (w->state != WorkerState::Paused || w->atGate) { // waiting at a step gate is not the pause asked for
            r.waitingFor = "Pause " + name + " (select its row, then Pause)";
            return r;
        }
    }
    // SIGSTOP stops a process wherever it is, inside its critical section too, and it keeps the lock while it is
    // stopped: the others then wait for that lock, and the figure the lesson means is not there to see.
    if (!lesson.when.paused.empty()) {
        for (const WorkerStatus& w : s.workers) {
            if (w.alive && w.state == WorkerState::WaitingLock && w.stateSeconds >= 0.5) {
                r.waitingFor = w.name
                    + " waits for a lock that a paused process holds (paused inside its critical "
                      "section, it keeps the lock). Resume the paused processes and pause them again";
                return r;
            }
        }
        // Or stopped between taking its message and posting 'empty': the tail moved (one message fewer in the
        // buffer for each consumer so stopped), but no producer may use that slot until the paused consumer posts,
        // so the buffer stays short of what the lesson means and the producers wait on 'empty' at 0. For the first
        // half second that may also be another producer's put under way (it took the last 'empty'): not read yet
        // either way.
        const Ledger* unused = nullptr;
        const ObjectStatus* buffer = lesson.observe.measure == LessonMeasure::Depth && !lesson.observe.object.empty()
            ? objectNamed(s, lesson.observe.object, &unused)
            : nullptr;
        if (buffer && semaphoreValue(*buffer, "empty") == 0 && buffer->depth >= 0
            && buffer->depth < std::int64_t(buffer->capacity)) {
            const WorkerStatus* longest = nullptr; // of the producers waiting on 'empty'
            for (const WorkerStatus& w : s.workers) {
                if (w.alive && w.object == buffer->name && w.state == WorkerState::BlockedFull
                    && (!longest || w.stateSeconds > longest->stateSeconds))
                    longest = &w;
            }
            if (longest && longest->stateSeconds < 0.5) {
                r.waitingFor = "Watching " + buffer->name + " fill";
                return r;
            }
            if (longest) {
                r.waitingFor = longest->name
                    + " waits for a slot that a paused process freed but has not announced (paused between taking "
                      "its message and posting 'empty'). Resume the paused processes and pause them again";
                return r;
            }
        }
    }
    const LessonObservation& o = lesson.observe;
    const Ledger* ledger = nullptr;
    const ObjectStatus* object = o.object.empty() ? nullptr : objectNamed(s, o.object, &ledger);
    if (!o.object.empty() && (!object || !ledger)) {
        r.waitingFor = "Start the run of " + lesson.scenario;
        return r;
    }
    std::string what;
    std::string unit(info(o.measure).unit);
    switch (o.measure) {
    case LessonMeasure::Depth:
        r.value = double(std::max<std::int64_t>(object->depth, 0));
        what = "depth of " + o.object;
        unit = traits(object->transport).stream ? "bytes" : "messages";
        break;
    case LessonMeasure::InFlight:
        r.value = double(ledger->inFlight());
        what = "sent into " + o.object + " and not yet received";
        break;
    case LessonMeasure::LostPercent:
        r.value = percent(double(ledger->lost), double(ledger->sent));
        what = "lost in " + o.object + ": " + std::to_string(ledger->lost) + " of " + std::to_string(ledger->sent)
            + " sent";
        break;
    case LessonMeasure::LostUpdatesPercent:
        r.value = percent(double(ledger->lostUpdates), double(ledger->increments));
        what = "updates lost on " + o.object + ": " + std::to_string(ledger->lostUpdates) + " of "
            + std::to_string(ledger->increments) + " increments";
        break;
    case LessonMeasure::KeyLostPercent: {
        const auto book = std::find_if(ledger->requests.keys.begin(), ledger->requests.keys.end(),
            [&](const ServerKeyBook& b) { return b.key == o.key; });
        if (book == ledger->requests.keys.end()) {
            r.waitingFor = "Wait until a client has set " + o.key;
            return r;
        }
        r.value = percent(double(book->lost), double(book->increments));
        what = "updates of " + o.key + " lost: " + std::to_string(book->lost) + " of "
            + std::to_string(book->increments);
        break;
    }
    case LessonMeasure::BlockedPercent: {
        const WorkerStatus* w = workerNamed(s, o.worker);
        if (!w) {
            r.waitingFor = "Start the run of " + lesson.scenario;
            return r;
        }
        r.value = 100.0 * std::clamp(w->blockedFraction, 0.0, 1.0);
        what = o.worker + " blocked";
        break;
    }
    case LessonMeasure::Deadlocked:
        r.value = s.deadlock.kind == WaitForVerdict::Kind::Deadlock ? double(s.deadlock.members.size()) : 0;
        what = "processes in a deadlock cycle";
        break;
    case LessonMeasure::Throughput:
        r.value = std::round(s.totalMsgsPerS);
        what = "throughput";
        break;
    case LessonMeasure::BusyWorkers: {
        int busy = 0;
        for (const std::string& name : o.workers) {
            const WorkerStatus* w = workerNamed(s, name);
            busy += w && w->messages > 0 ? 1 : 0;
        }
        r.value = busy;
        what = "workers of " + std::to_string(o.workers.size()) + " that did some of the work";
        unit.clear();
        break;
    }
    }
    if (o.measure == LessonMeasure::LostPercent || o.measure == LessonMeasure::LostUpdatesPercent
        || o.measure == LessonMeasure::KeyLostPercent || o.measure == LessonMeasure::BlockedPercent)
        r.value = std::round(r.value * 10) / 10;
    r.ready = true;
    r.text = what + " = " + number(r.value) + (unit.empty() ? "" : (unit == "%" ? " %" : " " + unit));
    if (o.measure == LessonMeasure::BlockedPercent)
        r.text = what + " " + number(r.value) + " % of its time";
    return r;
}

std::optional<std::size_t> answerFor(const Lesson& lesson, double value)
{
    for (std::size_t i = 0; i < lesson.choices.size(); ++i) {
        if (lesson.choices[i].holds(value))
            return i;
    }
    return std::nullopt;
}

} // namespace ipccore
