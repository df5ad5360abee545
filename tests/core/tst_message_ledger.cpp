// The books of an object that carries messages, without processes: messageLedger is a pure function of what each
// producer and consumer counted, what a killed one may have held, and what the object still holds. The runner only
// gathers those counts; every rule of the ledger is a row here.
#include "ipccore/ledger.h"
#include "ipccore/program.h"

#include <QtTest>

using namespace ipccore;

Q_DECLARE_METATYPE(std::vector<ipccore::RequestMember>)

namespace {

MessageParty producer(std::uint64_t sent)
{
    MessageParty p;
    p.producer = true;
    p.sent = sent;
    return p;
}

MessageParty consumer(std::uint64_t received, std::uint64_t gaps = 0)
{
    MessageParty p;
    p.received = received;
    p.gaps = gaps;
    return p;
}

MessageParty killed(MessageParty p, std::uint64_t mayHaveSent, std::uint64_t mayHaveTaken, bool midFrame = false)
{
    p.killed = true;
    p.mayHaveSentUncounted = mayHaveSent;
    p.mayHaveTakenUncounted = mayHaveTaken;
    p.diedMidFrame = midFrame;
    return p;
}

MessageParty with(MessageParty p, std::uint64_t duplicated, std::uint64_t corrupt, std::uint64_t errors)
{
    p.duplicated = duplicated;
    p.corrupt = corrupt;
    p.errors = errors;
    return p;
}

} // namespace

Q_DECLARE_METATYPE(std::vector<ipccore::MessageParty>)

class TestMessageLedger : public QObject {
    Q_OBJECT

private slots:
    // Queues and streams: sent == received + left + died with killed workers.
    void queueBooks_data()
    {
        QTest::addColumn<std::vector<MessageParty>>("parties");
        QTest::addColumn<quint64>("left");
        QTest::addColumn<quint64>("died");
        QTest::addColumn<quint64>("lost");
        QTest::addColumn<quint64>("duplicated");
        QTest::addColumn<quint64>("sentUncounted");
        QTest::addColumn<quint64>("corrupt");
        QTest::addColumn<bool>("exact");
        using V = std::vector<MessageParty>;
        QTest::newRow("all taken") << V { producer(100), consumer(100) } << quint64(0) << quint64(0) << quint64(0)
                                   << quint64(0) << quint64(0) << quint64(0) << true;
        QTest::newRow("some left") << V { producer(100), producer(50), consumer(140) } << quint64(10) << quint64(0)
                                   << quint64(0) << quint64(0) << quint64(0) << quint64(0) << true;
        QTest::newRow("one died with a killed consumer")
            << V { producer(100), killed(consumer(60), 0, 1), consumer(38) } << quint64(1) << quint64(1) << quint64(0)
            << quint64(0) << quint64(0) << quint64(0) << true;
        QTest::newRow("more missing than the dead can hold")
            << V { producer(100), killed(consumer(60), 0, 1), consumer(30) } << quint64(1) << quint64(1) << quint64(8)
            << quint64(0) << quint64(0) << quint64(0) << false;
        QTest::newRow("missing with nobody killed") << V { producer(100), consumer(99) } << quint64(0) << quint64(0)
                                                    << quint64(1) << quint64(0) << quint64(0) << quint64(0) << false;
        QTest::newRow("a killed producer's last send got through")
            << V { killed(producer(99), 1, 0), consumer(100) } << quint64(0) << quint64(0) << quint64(0) << quint64(0)
            << quint64(1) << quint64(0) << true;
        QTest::newRow("more arrived than any producer can explain")
            << V { killed(producer(99), 1, 0), consumer(102) } << quint64(0) << quint64(0) << quint64(0) << quint64(2)
            << quint64(1) << quint64(0) << false;
        QTest::newRow("a consumer saw a duplicate")
            << V { producer(100), with(consumer(100), 1, 0, 0) } << quint64(0) << quint64(0) << quint64(0) << quint64(1)
            << quint64(0) << quint64(0) << false;
        QTest::newRow("a corrupt frame") << V { producer(100), with(consumer(99), 0, 1, 0) } << quint64(0) << quint64(0)
                                         << quint64(1) << quint64(0) << quint64(0) << quint64(1) << false;
        QTest::newRow("a FIFO reader killed mid-frame is not damage")
            << V { producer(100), killed(consumer(50), 0, 3, true), with(consumer(47), 0, 1, 0) } << quint64(0)
            << quint64(3) << quint64(0) << quint64(0) << quint64(0) << quint64(0) << true;
        QTest::newRow("balanced but a worker hit errors")
            << V { producer(100), with(consumer(100), 0, 0, 2) } << quint64(0) << quint64(0) << quint64(0) << quint64(0)
            << quint64(0) << quint64(0) << false;
    }
    void queueBooks()
    {
        QFETCH(std::vector<MessageParty>, parties);
        QFETCH(quint64, left);
        QFETCH(quint64, died);
        QFETCH(quint64, lost);
        QFETCH(quint64, duplicated);
        QFETCH(quint64, sentUncounted);
        QFETCH(quint64, corrupt);
        QFETCH(bool, exact);
        const Ledger l = messageLedger(traits(TransportKind::Mq), parties, left, true);
        QCOMPARE(l.left, left);
        QCOMPARE(l.lostWithDeadWorkers, died);
        QCOMPARE(l.lost, lost);
        QCOMPARE(l.duplicated, duplicated);
        QCOMPARE(l.sentByDeadUncounted, sentUncounted);
        QCOMPARE(l.corrupt, corrupt);
        QCOMPARE(l.exact, exact);
        if (exact)
            QCOMPARE(l.sent, l.received + l.left + l.lostWithDeadWorkers);
        // While running nothing is judged, and the left count is the sampled depth.
        const Ledger live = messageLedger(traits(TransportKind::Mq), parties, left, false);
        QCOMPARE(live.exact, false);
        QCOMPARE(live.lost, 0ull);
        QVERIFY(live.received <= live.sent); // a message received was sent, counted or not yet
    }

    // An object between machines: each machine counts its half unjudged, and the two halves joined are judged as
    // one machine's books would be (the same rows as above, split between the producers' and the consumers' side).
    void halvesJoinedAsOneObject_data() { queueBooks_data(); }
    void halvesJoinedAsOneObject()
    {
        QFETCH(std::vector<MessageParty>, parties);
        QFETCH(quint64, left);
        QFETCH(bool, exact);
        if (std::any_of(parties.begin(), parties.end(), [](const MessageParty& p) { return p.diedMidFrame; }))
            QSKIP("a FIFO never reaches between machines");
        std::vector<MessageParty> here, there;
        for (const MessageParty& p : parties)
            (p.producer ? here : there).push_back(p);
        const TransportTraits& zmq = traits(TransportKind::ZmqTcp);
        const Ledger a = halfLedger(here, 0);
        const Ledger b = halfLedger(there, left);
        QVERIFY(a.half && b.half && !a.exact && !b.exact);
        const Ledger whole = messageLedger(zmq, parties, left, true);
        const Ledger joined = joinHalves(zmq, std::vector<Ledger> { a, b }, true);
        QCOMPARE(joined.sent, whole.sent);
        QCOMPARE(joined.received, whole.received);
        QCOMPARE(joined.lostWithDeadWorkers, whole.lostWithDeadWorkers);
        QCOMPARE(joined.lost, whole.lost);
        QCOMPARE(joined.duplicated, whole.duplicated);
        QCOMPARE(joined.exact, exact);
        QVERIFY(!joined.half);
        // The consumers on two hosts, each counting its half (what was left split between them): the same books.
        std::vector<MessageParty> first, second;
        for (std::size_t i = 0; i < there.size(); ++i)
            (i % 2 ? second : first).push_back(there[i]);
        const Ledger three = joinHalves(
            zmq, std::vector<Ledger> { a, halfLedger(first, left / 2), halfLedger(second, left - left / 2) }, true);
        QCOMPARE(three.sent, whole.sent);
        QCOMPARE(three.received, whole.received);
        QCOMPARE(three.left, whole.left);
        QCOMPARE(three.lostWithDeadWorkers, whole.lostWithDeadWorkers);
        QCOMPARE(three.lost, whole.lost);
        QCOMPARE(three.duplicated, whole.duplicated);
        QCOMPARE(three.exact, exact);
        // Live, what ZeroMQ holds is sent less received.
        const Ledger live = joinHalves(zmq, std::vector<Ledger> { a, b }, false);
        QCOMPARE(live.left, live.sent > live.received ? live.sent - live.received : 0);
        QVERIFY(!live.exact);
    }

    // Live, a consumer may count a message before its producer does: the books show it sent, not more received.
    void liveBooksNeverReceiveMoreThanSent()
    {
        MessageParty producer;
        producer.producer = true;
        producer.sent = 10;
        MessageParty consumer;
        consumer.received = 11;
        const std::vector<MessageParty> parties { producer, consumer };
        const Ledger live = messageLedger(traits(TransportKind::Mq), parties, 0, false);
        QCOMPARE(live.sent, 11ull);
        QCOMPARE(live.received, 11ull);
        QCOMPARE(live.inFlight(), 0);
        // At stop the same counts are judged as they are: a message received that no producer counted is a
        // duplicate unless a killed producer explains it.
        const Ledger final = messageLedger(traits(TransportKind::Mq), parties, 0, true);
        QCOMPARE(final.duplicated, 1ull);
        QVERIFY(!final.exact);
    }

    // A shm-value's readers only look: what nobody read was overwritten, and with one producer and no deaths the
    // reader's gaps must be exactly those.
    void sharedValueBooks_data()
    {
        QTest::addColumn<std::vector<MessageParty>>("parties");
        QTest::addColumn<quint64>("lost");
        QTest::addColumn<bool>("exact");
        using V = std::vector<MessageParty>;
        QTest::newRow("overwritten, gaps agree") << V { producer(100), consumer(60, 40) } << quint64(40) << true;
        QTest::newRow("gaps disagree") << V { producer(100), consumer(60, 39) } << quint64(40) << false;
        QTest::newRow("two writers: totals only")
            << V { producer(50), producer(50), consumer(60, 3) } << quint64(40) << true;
        QTest::newRow("after a kill: totals only")
            << V { producer(100), killed(consumer(10), 0, 1), consumer(50, 7) } << quint64(40) << true;
        QTest::newRow("read more than written") << V { producer(100), consumer(101) } << quint64(0) << false;
        QTest::newRow("a killed writer's last value was read")
            << V { killed(producer(100), 1, 0), consumer(101) } << quint64(0) << true;
    }
    void sharedValueBooks()
    {
        QFETCH(std::vector<MessageParty>, parties);
        QFETCH(quint64, lost);
        QFETCH(bool, exact);
        const Ledger l = messageLedger(traits(TransportKind::ShmValue), parties, 0, true);
        QCOMPARE(l.lost, lost);
        QCOMPARE(l.exact, exact);
        QCOMPARE(l.left, 0ull);
    }
    // A server's books (requestLedger): every request taken is answered once, every reply is taken back, stale or
    // still waiting in a reply queue; a killed server's request in hand died with it.
    void requestBooks_data()
    {
        QTest::addColumn<std::vector<RequestMember>>("members");
        QTest::addColumn<quint64>("inRequestQueue");
        QTest::addColumn<quint64>("inReplyQueues");
        QTest::addColumn<bool>("exact");
        QTest::addColumn<quint64>("returned");
        auto client = [](std::uint64_t out, std::uint64_t in, std::uint64_t stale = 0) {
            RequestMember m;
            m.counts.requestsOut = out;
            m.counts.repliesIn = in;
            m.counts.stale = stale;
            return m;
        };
        auto server = [](std::uint64_t in, std::uint64_t out, std::uint64_t unanswered = 0, std::uint32_t hand = 0) {
            RequestMember m;
            m.server = true;
            m.counts.requestsIn = in;
            m.counts.repliesOut = out;
            m.counts.unanswered = unanswered;
            m.counts.inHand = hand;
            return m;
        };
        auto dead = [](RequestMember m, bool inDoubt) {
            m.killed = true;
            m.inDoubtAtDeath = inDoubt;
            return m;
        };
        QTest::newRow("every round trip done")
            << std::vector { client(100, 100), client(50, 50), server(150, 150) } << 0ull << 0ull << true << 150ull;
        QTest::newRow("clients stopped waiting: requests and replies left")
            << std::vector { client(100, 98), client(50, 49), server(148, 148) } << 2ull << 1ull << true << 147ull;
        QTest::newRow("a stale reply taken after a timeout")
            << std::vector { client(10, 10, 1), server(10, 10) } << 0ull << 0ull << true << 9ull;
        QTest::newRow("a reply nobody accounts for")
            << std::vector { client(10, 8), server(10, 10) } << 0ull << 1ull << false << 8ull;
        QTest::newRow("a request the server could not answer")
            << std::vector { client(10, 9), server(10, 9, 1) } << 0ull << 0ull << false << 9ull;
        QTest::newRow("killed server held one request")
            << std::vector { client(10, 9), dead(server(10, 9, 0, 1), false) } << 0ull << 0ull << true << 9ull;
        QTest::newRow("killed server inside a get: one request may be gone uncounted")
            << std::vector { client(10, 9), dead(server(9, 9), true) } << 0ull << 0ull << true << 9ull;
        QTest::newRow("two requests gone is more than one kill explains")
            << std::vector { client(10, 8), dead(server(8, 8), true) } << 0ull << 0ull << false << 8ull;
    }
    // Over zmq (DEALER/ROUTER) a client that ends with its request out (killed, or by its count after giving up on
    // a request) closes its connection, and the server's reply to it is refused: one unanswered request per client
    // that ended before the stop balances there, and nowhere else.
    void endedClientMayLeaveOneUnansweredOverConnections()
    {
        RequestMember killed;
        killed.counts.requestsOut = 10;
        killed.counts.repliesIn = 9;
        killed.killed = true;
        killed.ended = true;
        RequestMember alive;
        alive.counts.requestsOut = 5;
        alive.counts.repliesIn = 5;
        RequestMember server;
        server.server = true;
        server.counts.requestsIn = 15;
        server.counts.repliesOut = 14;
        server.counts.unanswered = 1;
        const std::vector members { killed, alive, server };
        QVERIFY(requestLedger(members, 0, 0, true, true).exact);
        QVERIFY(!requestLedger(members, 0, 0, true, false).exact); // a message queue keeps the reply instead
        std::vector twoUnanswered = members;
        twoUnanswered[2].counts.requestsIn = 16;
        twoUnanswered[2].counts.unanswered = 2;
        twoUnanswered[1].counts.requestsOut = 6;
        QVERIFY(!requestLedger(twoUnanswered, 0, 0, true, true).exact); // more than one ended client explains
        std::vector byCount = members; // ended by its count after a timeout, not killed: the same
        byCount[0].killed = false;
        QVERIFY(requestLedger(byCount, 0, 0, true, true).exact);
        std::vector stopped = members; // ran until the stop: its connection was open, the reply would have gone
        stopped[0].killed = stopped[0].ended = false;
        QVERIFY(!requestLedger(stopped, 0, 0, true, true).exact);
    }

    // A get then a set through a proxy loses updates between clients; an append is one request and loses none.
    void serverKeyBooksCountLostUpdates()
    {
        const ProgramSteps twoRequests = *parseProgramText("request m r1 get d[count]; request m r1 set d[count] +1");
        const ProgramSteps appends = *parseProgramText("request m r2 len l; request m r2 append l +0");
        const ProgramSteps other = *parseProgramText("request m r3 get ns.y; request m r3 set ns.y +2");
        const std::vector<ProgramCounts> clients { { &twoRequests, { 100, 100 }, { 0, 0 } },
            { &twoRequests, { 50, 50 }, { 0, 0 } }, { &appends, { 30, 30 }, { 0, 0 } },
            { &other, { 7, 6 }, { 0, 0 } } };
        const std::vector<ServerEntry> entries { { "d[count]", 120 }, { "ns.y", 13 }, { "l", 30 } };
        const std::vector<ServerKeyBook> books = serverKeyBooks(entries, clients);
        QCOMPARE(books.size(), std::size_t(3));
        QCOMPARE(books[0].key, std::string("d[count]"));
        QCOMPARE(books[0].increments, 150);
        QCOMPARE(books[0].lost, 30);
        QCOMPARE(books[1].key, std::string("l"));
        QCOMPARE(books[1].lost, 0);
        QCOMPARE(books[2].key, std::string("ns.y"));
        QCOMPARE(books[2].increments, 12); // 6 sets of +2
        QCOMPARE(books[2].lost, 0); // 13 > 12: a set applied whose reply was not taken is not a negative loss
        // A key the server does not show is left out rather than judged against nothing.
        QVERIFY(serverKeyBooks(std::vector<ServerEntry> {}, clients).empty());
    }

    void requestBooks()
    {
        QFETCH(std::vector<RequestMember>, members);
        QFETCH(quint64, inRequestQueue);
        QFETCH(quint64, inReplyQueues);
        QFETCH(bool, exact);
        QFETCH(quint64, returned);
        const RequestLedger l = requestLedger(members, inRequestQueue, inReplyQueues, true);
        QCOMPARE(l.exact, exact);
        QCOMPARE(quint64(l.returned), returned);
        QVERIFY(!requestLedger(members, inRequestQueue, inReplyQueues, false).exact); // judged only at stop
    }
};

QTEST_GUILESS_MAIN(TestMessageLedger)
#include "tst_message_ledger.moc"
