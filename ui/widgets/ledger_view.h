#pragma once

// The integrity ledger as big figures. Message objects share one row of totals: sent, received, in flight, lost,
// duplicated, corrupt, worker errors; the last four turn red as soon as they are not zero, because each is a bug, a
// race or a limit the student should notice. Objects that carry no messages get a row each, in their own terms:
// a shared array (shm-array) shows the increments made, the counter's value (the sum of its cells) and the lost
// updates, red when not zero (the point of the counter race); a semaphore shows acquires, releases, timeouts and
// its value out of its initial permits.

#include "ipccore/runner.h"

#include <QWidget>

#include <string>
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
    // "cellSum", "lostUpdates"; for a semaphore "acquires", "releases", "timeouts", "value" ("1 of 2 free").
    QString figure(const QString& field) const;
    // Whether a tile is shown red; for tests.
    bool isAlarmed(const QString& field) const;
    bool messageTotalsShown() const;

private:
    struct Tile {
        QString field;
        QLabel* value = nullptr;
        QWidget* frame = nullptr;
        bool alarm = false; // red when non-zero
        bool red = false;
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
    const Tile* findTile(const QString& field) const;

    QWidget* m_messages = nullptr;
    std::vector<Tile> m_tiles; // message totals
    QWidget* m_objectRows = nullptr; // rebuilt when the objects change
    std::vector<Tile> m_objectTiles;
    std::vector<std::string> m_rowKeys; // "<name>/<transport>" of the rows built
};

} // namespace ipcui
