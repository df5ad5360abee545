#pragma once

// The integrity ledger as big figures: sent, received, in flight, lost, duplicated, corrupt, worker errors. The last
// four turn red as soon as they are not zero, because each is a bug, a race or a limit the student should notice.

#include "ipccore/runner.h"

#include <QWidget>

class QLabel;

namespace ipcui {

class LedgerView : public QWidget {
    Q_OBJECT
public:
    explicit LedgerView(QWidget* parent = nullptr);
    void setLedger(const ipccore::Ledger& ledger);
    void clear();
    // The figure shown for a field ("sent", "received", "inFlight", "lost", "duplicated", "corrupt", "workerErrors");
    // for tests.
    QString figure(const QString& field) const;

private:
    struct Tile {
        QString field;
        QLabel* value = nullptr;
        QWidget* frame = nullptr;
        bool alarm = false; // red when non-zero
    };
    void setTile(Tile& tile, qint64 value);
    std::vector<Tile> m_tiles;
};

} // namespace ipcui
