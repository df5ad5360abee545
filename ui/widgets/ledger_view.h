#pragma once

// The integrity ledger as big figures. Message objects share one row of totals: sent, received, in flight, lost,
// duplicated, corrupt, worker errors; the last four turn red as soon as they are not zero, because each is a bug, a
// race or a limit the student should notice. Objects that carry no messages get a row each, in their own terms:
// a shared array (shm-array) shows the increments made, the counter's value (the sum of its cells) and the lost
// updates, red when not zero (the point of the counter race); a semaphore shows acquires, releases, timeouts and
// its value out of its initial permits. The object a pool's tasks go into gets a row in tasks, as the CLI report's
// "Pools" table: submitted = collected + in the task queue + in the result queue + held by stopped workers + died
// with killed workers + dropped; duplicated, stray and dropped tasks are red, and so is a pool not exact at stop.
// A message queue whose messages come at two or more priorities gets a row with a tile per priority, highest first,
// as the CLI report's "Priorities" table: the messages taken at it, their share of all taken and their mean wait in
// the queue ("49% · waits 7.8 ms"), so that what a priority buys (order, not bandwidth) shows without hovering.
// The object a server's requests go into (Python's Manager) gets a row in requests, as the CLI report's "Requests to a
// server" table: sent = taken + in the request queue; taken = answered + unanswered + died with the server; answered =
// returned + stale + in the reply queues; unanswered and died with the server are red, and so is a server whose
// requests did not each get exactly one reply at stop.
// With a pool, requests or priorities the tiles are smaller and four to a row, and the message totals take one row:
// sent, received, and the four that must stay 0 (lost, duplicated, corrupt, worker errors) in one wide tile; the
// objects above and the events below keep their room.

#include "ipccore/runner.h"

#include <QWidget>

#include <string>
#include <utility>
#include <vector>

class QGridLayout;
class QGroupBox;
class QLabel;

namespace ipcui {

class LedgerView : public QWidget {
    Q_OBJECT
public:
    // One object's books: live from a Snapshot, final from the Report (RunSummary::objects).
    struct ObjectBooks {
        std::string name;
        ipccore::TransportKind transport = ipccore::TransportKind::Mq;
        std::uint32_t capacity = 0; // a semaphore's initial permits
        ipccore::Ledger ledger;
        bool final = false; // the books at stop (from the Report): a pool's exactness is judged then
    };
    static std::vector<ObjectBooks> booksOf(const ipccore::Snapshot& snapshot);
    static std::vector<ObjectBooks> booksOf(const std::vector<ipccore::ObjectSummary>& objects);

    explicit LedgerView(QWidget* parent = nullptr);
    // The message totals.
    void setLedger(const ipccore::Ledger& ledger);
    // One row per object that carries no messages; message objects in `books` are skipped (their totals are in
    // setLedger). The message row shows only when `messageObjects` is true, so a counter race is not cluttered with
    // "sent 0, received 0".
    void setObjectBooks(const std::vector<ObjectBooks>& books, bool messageObjects);
    void clear();
    // The figure shown for a field, as text; for tests. Message totals: "sent", "received", "inFlight", "lost",
    // "duplicated", "corrupt", "workerErrors". Per object "<object>.<field>": for a shared array "increments",
    // "cellSum", "lostUpdates"; for a semaphore "acquires", "releases", "timeouts", "value" ("1 of 2 free"); for
    // the object a pool's tasks go into "pool.submitted", "pool.collected", "pool.inTaskQueue",
    // "pool.inResultQueue", "pool.held" (held by workers now; at stop, by stopped workers), "pool.died",
    // "pool.wrong" ("0 · 0 · 0": duplicated · stray · dropped) and "pool.exact" ("yes", "NO", or "pending" until the
    // stop); for an mq's priorities "priority.<N>" ("49% · waits 7.8 ms", "–" before any is taken; its caption
    // "priority 9 · 569 taken"); for the object a server's requests go into "requests.sent", "requests.taken",
    // "requests.answered", "requests.returned", "requests.waiting" ("0 · 2": in the request queue · in the reply
    // queues), "requests.stale", "requests.failed" ("0 · 0": unanswered · died with the server) and "requests.exact"
    // ("yes", "NO", or "pending" until the stop). With a pool, requests or priorities, the tile "problems" reads
    // "0 · 0 · 0 · 0" (lost · duplicated · corrupt · worker errors).
    QString figure(const QString& field) const;
    // A tile's caption ("held at stop"); for tests.
    QString caption(const QString& field) const;
    // Whether a tile is shown red; for tests.
    bool isAlarmed(const QString& field) const;
    // Whether a tile is shown (not hidden by the layout); for tests.
    bool isShown(const QString& field) const;
    bool messageTotalsShown() const;
    // The line under a server's request tiles ("In the server: d['count'] = 18,020 of 31,640 added, 13,620 lost
    // (43%) · ..."), as rich text; empty before the server has published its data. Live (not final) a loss is told
    // as a share, and not below 1%. For tests and the view.
    static QString serverDataText(const std::vector<ipccore::ServerKeyBook>& keys, bool final);
    QString serverDataShown(const std::string& object) const;
    // Whether the tiles are drawn small, four to a row (a pool, a server's requests or a queue's priorities are shown).
    bool isCompact() const { return m_compact; }

protected:
    void resizeEvent(QResizeEvent* event) override;
    bool event(QEvent* event) override;

private:
    struct Tile {
        QString field;
        QLabel* value = nullptr;
        QWidget* frame = nullptr;
        bool alarm = false; // red when non-zero
        bool red = false;
        QLabel* caption = nullptr;
    };
    struct TileSpec {
        QString field;
        QString label;
        QString tip;
        bool alarm;
    };
    Tile makeTile(QWidget* parent, const TileSpec& spec) const;
    void setTile(Tile& tile, const QString& text, bool red);
    void setTile(Tile& tile, qint64 value);
    void rebuildObjectRows(const std::vector<const ObjectBooks*>& books);
    void fillObjectRow(const ObjectBooks& books);
    void fillPoolRow(const ObjectBooks& books);
    int addPriorityRow(QGridLayout* grid, int row, const ObjectBooks& books);
    int addRequestRow(QGridLayout* grid, int row, const ObjectBooks& books);
    void fillRequestRow(const ObjectBooks& books);
    void fillPriorityRow(const ObjectBooks& books);
    void setCompact(bool compact);
    void setValueFont(const Tile& tile) const;
    void layOutMessageTiles();
    // At least the height the tiles need at this width, their captions wrapped ("unanswered · died with server"), so
    // that a crowded window squeezes the panels around the ledger rather than cutting its figures.
    void fitHeightToWidth();
    const Tile* findTile(const QString& field) const;

    QWidget* m_messages = nullptr;
    std::vector<Tile> m_tiles; // message totals
    Tile m_problems; // compact: lost, duplicated, corrupt and worker errors in one tile
    QWidget* m_objectRows = nullptr; // rebuilt when the objects change
    std::vector<Tile> m_objectTiles;
    // "<name>/<transport>" of the rows built ("<name>/pool" for a pool's, "<name>//requests" for a server's request
    // queue, "<name>//priorities 9 0" for an mq's).
    std::vector<std::string> m_rowKeys;
    std::vector<std::pair<std::string, QLabel*>> m_priorityTitles; // per mq with a priority row: its title
    std::vector<std::pair<std::string, QLabel*>> m_serverData; // per server's request queue: its data's line
    bool m_compact = false;
};

} // namespace ipcui
