#pragma once

// Draws every IPC object as a row of slots (capacity) with the filled ones coloured (live depth), and every
// semaphore as a tile with its value. Programs' objects are drawn in their own terms: a shared array (shm-array)
// as its cells' values ("counter[0] = 12105") and its lock, a named semaphore as "1 of 2 permits free" with one
// token per permit. A pipe (named or anonymous) has no message slots: it is drawn as its kernel buffer, the bytes
// waiting out of its size; a socket or socketpair, whose contents cannot be seen without reading them, says so in
// words instead of drawing a bar it cannot fill. Built for a projector: big type, solid colours, and the two states
// students must spot (a full queue, a semaphore at zero) in red with a word on them. Two or more objects get lower
// cards.

#include "ipccore/runner.h"

#include <QWidget>

#include <vector>

namespace ipcui {

class ObjectView : public QWidget {
    Q_OBJECT
public:
    explicit ObjectView(QWidget* parent = nullptr);

    // `live` false draws the objects greyed as configured (before a run).
    void setObjects(const std::vector<ipccore::ObjectStatus>& objects, bool live);
    const std::vector<ipccore::ObjectStatus>& objects() const { return m_objects; }

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

    // As drawn, for tests: the figure in an object's header ("3 / 8", "1.2 KiB / 64 KiB", "depth not visible"), the
    // words in its body ("" where slots are drawn), and its tooltip.
    QString figureText(std::size_t index) const;
    QString bodyText(std::size_t index) const;
    QString tooltipText(std::size_t index) const;
    // An object's name in the system as shown: the OS name or path, "anonymous (...)" for a pipe or socketpair
    // (nothing in the system names it: the workers inherit its descriptors), or when it is named at start.
    static QString systemName(const ipccore::ObjectStatus& object);

protected:
    void paintEvent(QPaintEvent* event) override;
    bool event(QEvent* event) override;

private:
    struct Metrics {
        int margin; // above and below the header and the slots
        int gap; // between cards
        int header;
        int slotArea; // the height of the slots (cells, permits)
        int semRow; // the height of a ring's or an array's semaphore tiles
    };
    // What a message object's card says and draws under its header.
    struct QueueFace {
        QString figure;
        QString badge; // "FULL", "EMPTY" or empty
        bool full = false;
        enum class Body { Slots, Bytes, Words } body = Body::Slots;
        QString text; // Bytes: the line over the bar; Words: what is drawn instead of slots
        QString shortText; // Words: drawn where `text` does not fit the card
        double fill = 0; // Bytes: the share of the buffer in use, 0..1
        bool anyBytes = false; // Bytes: some are waiting (a sliver shows even when it rounds to no pixel)
    };
    QueueFace queueFace(const ipccore::ObjectStatus& object) const;
    QString arrayFigure(const ipccore::ObjectStatus& object) const;
    QString globalFigure(const ipccore::ObjectStatus& object) const;
    QString semaphoreFigure(const ipccore::ObjectStatus& object) const;
    QString tooltipFor(const ipccore::ObjectStatus& object) const;
    Metrics metrics() const;
    static bool hasSemaphoreTiles(const ipccore::ObjectStatus& object);
    int cardHeight(const ipccore::ObjectStatus& object) const;
    QFont bigFont(double scale) const;
    // The card's frame and header (name, kind, a badge and the figure at the right, the kind elided to the room
    // left between them); returns the header's rectangle.
    QRect paintCard(QPainter& painter, const QRect& card, const ipccore::ObjectStatus& object, const QString& figure,
        bool alarm, const QString& badge = QString()) const;
    void paintSemaphoreTiles(QPainter& painter, const QRect& row, const ipccore::ObjectStatus& object) const;
    void paintObject(QPainter& painter, const QRect& card, const ipccore::ObjectStatus& object) const;
    void paintQueue(QPainter& painter, const QRect& card, const ipccore::ObjectStatus& object) const;
    void paintArray(QPainter& painter, const QRect& card, const ipccore::ObjectStatus& object) const;
    void paintGlobal(QPainter& painter, const QRect& card, const ipccore::ObjectStatus& object) const;
    void paintSemaphore(QPainter& painter, const QRect& card, const ipccore::ObjectStatus& object) const;
    QString tooltipAt(const QPoint& pos) const;

    std::vector<ipccore::ObjectStatus> m_objects;
    bool m_live = false;
};

} // namespace ipcui
