// Framing: CRC-32C against the published check value and a bitwise reference (one stream and three), XXH3 against
// values from xxHash's scalar code, frames that survive a round trip and frames that are damaged, and the sequence
// ledger a consumer keeps per producer.
#include "test_support.h"

#include "ipccore/checksum.h"
#include "ipccore/framing.h"

#include <QtTest>

#include <cstring>
#include <numeric>

using namespace ipccore;

Q_DECLARE_METATYPE(ipccore::FrameCheck)

namespace {

std::span<const std::byte> bytesOf(const char* text)
{
    return std::as_bytes(std::span(text, std::strlen(text)));
}

// Bit-at-a-time CRC-32C (reflected polynomial 0x82F63B78): slow and obviously right.
std::uint32_t referenceCrc32c(std::span<const std::byte> data)
{
    std::uint32_t crc = 0xFFFFFFFFu;
    for (std::byte b : data) {
        crc ^= std::uint32_t(b);
        for (int k = 0; k < 8; ++k)
            crc = (crc & 1) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
    }
    return ~crc;
}

std::vector<std::byte> pattern(std::size_t n)
{
    std::vector<std::byte> v(n);
    for (std::size_t i = 0; i < n; ++i)
        v[i] = std::byte((i * 131 + 7) & 0xFF);
    return v;
}

} // namespace

class TestFraming : public QObject {
    Q_OBJECT

private slots:
    void cleanupTestCase()
    {
        const QStringList left = ipctest::leftoversOfThisProcess();
        QVERIFY2(left.isEmpty(), qPrintable(left.join(", ")));
    }

    void crc32cKnownVectors_data()
    {
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<uint>("crc");
        QTest::newRow("check value") << QByteArray("123456789") << 0xE3069283u;
        QTest::newRow("empty") << QByteArray() << 0u;
        // RFC 3720 B.4: 32 bytes of zeros and 32 bytes of 0xFF.
        QTest::newRow("32 zeros") << QByteArray(32, '\0') << 0x8A9136AAu;
        QTest::newRow("32 ones") << QByteArray(32, '\xff') << 0x62A8AB43u;
    }

    void crc32cKnownVectors()
    {
        QFETCH(QByteArray, input);
        QFETCH(uint, crc);
        const auto data = std::as_bytes(std::span(input.constData(), std::size_t(input.size())));
        QCOMPARE(crc32c(data), std::uint32_t(crc));
    }

    // Lengths around the 8-byte steps of the hardware path.
    void crc32cMatchesReference_data()
    {
        QTest::addColumn<int>("length");
        for (int n : { 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1000, 4096 })
            QTest::newRow(qPrintable(QString::number(n))) << n;
    }

    void crc32cMatchesReference()
    {
        QFETCH(int, length);
        const auto data = pattern(std::size_t(length));
        QCOMPARE(crc32c(data), referenceCrc32c(data));
        // Offset by one byte: the hardware path must not depend on alignment.
        const auto shifted = std::span<const std::byte>(data).subspan(1);
        QCOMPARE(crc32c(shifted), referenceCrc32c(shifted));
    }

    void crc32cChains()
    {
        const auto all = bytesOf("123456789");
        QCOMPARE(crc32c(all.subspan(4), crc32c(all.first(4))), 0xE3069283u);
    }

    // Three interleaved streams give the one-stream CRC on either side of the 3 x 256 and 3 x 8192 byte groups, with
    // a seed, and off alignment.
    void crc32c3WayMatchesOneStream_data()
    {
        QTest::addColumn<int>("length");
        for (int n : { 0, 1, 7, 767, 768, 769, 1000, 4096, 24575, 24576, 24577, 25344, 65536, 100003 })
            QTest::newRow(qPrintable(QString::number(n))) << n;
    }

    void crc32c3WayMatchesOneStream()
    {
        QFETCH(int, length);
        const auto data = pattern(std::size_t(length) + 1);
        const auto whole = std::span<const std::byte>(data).first(std::size_t(length));
        QCOMPARE(crc32c3Way(whole), crc32c(whole));
        QCOMPARE(crc32c3Way(whole, 0xDEADBEEFu), crc32c(whole, 0xDEADBEEFu));
        const auto shifted = std::span<const std::byte>(data).subspan(1);
        QCOMPARE(crc32c3Way(shifted), crc32c(shifted));
        if (length <= 4096)
            QCOMPARE(crc32c3Way(whole), referenceCrc32c(whole));
    }

    // XXH3-64 of pattern(n) with seeds 0 and 0x9E3779B97F4A7C15, as xxHash 0.8.1 computes it with XXH_VECTOR set to
    // XXH_SCALAR: the AVX2 or SSE2 path this machine takes must give the same values (the lengths cross XXH3's
    // 16, 128 and 240-byte cases and its 1 KiB stripes).
    void xxh3KnownValues()
    {
        struct Known {
            std::size_t length;
            std::uint64_t seed0, seedGolden;
        };
        const Known known[] = {
            { 0, 0x2D06800538D394C2ull, 0x602B0E2CD6662C8Bull }, // the published hash of no bytes
            { 1, 0x4C5CCA45D0F4811Full, 0x2F3ACD3805F81DE3ull },
            { 3, 0x6E3E2670E61106ACull, 0xBC74611D87F659E0ull },
            { 16, 0x86ABF6BACCEA0858ull, 0x69D001B16ECF450Aull },
            { 17, 0xB58BF5DC5022D071ull, 0xB7C99D19BE27EB69ull },
            { 128, 0x10D17F72C0CCBA41ull, 0x49B81C6E0ABB9305ull },
            { 129, 0x1648BDC3DB49D1A2ull, 0x5E3831B221810B00ull },
            { 240, 0xB6CFAF343FAB81E6ull, 0x76A73EC26433F82Cull },
            { 241, 0x956CAE592C67279Eull, 0x2BE236BA3BACF75Cull },
            { 1000, 0x571D5CBFEF44331Bull, 0xA6FA06F07FB6C797ull },
            { 4096, 0x9DDD66C14AF0DAFFull, 0xC7BC989F5D547A4Dull },
            { 65536, 0x04404B28125B4786ull, 0xBBDE6D4D6ED56FBCull },
            { 100003, 0xD0A8E7C7A03AD008ull, 0x7130E841C54F75FDull },
        };
        for (const Known& k : known) {
            const auto data = pattern(k.length);
            QCOMPARE(xxh3(data), k.seed0);
            QCOMPARE(xxh3(data, 0x9E3779B97F4A7C15ull), k.seedGolden);
        }
    }

    void roundTrip_data()
    {
        QTest::addColumn<qulonglong>("size");
        QTest::newRow("header only") << qulonglong(FrameHeaderSize);
        QTest::newRow("header+1") << qulonglong(FrameHeaderSize + 1);
        QTest::newRow("64") << qulonglong(64);
        QTest::newRow("odd 1001") << qulonglong(1001);
        QTest::newRow("8192") << qulonglong(8192);
        QTest::newRow("MaxFrameSize") << qulonglong(MaxFrameSize);
    }

    void roundTrip()
    {
        QFETCH(qulonglong, size);
        std::vector<std::byte> f(size);
        buildFrame(f, 17, 123456789012ull, 555);
        FrameHeader header {};
        QCOMPARE(checkFrame(f, header), FrameCheck::Ok);
        QCOMPARE(header.magic, FrameMagic);
        QCOMPARE(header.length, std::uint32_t(size));
        QCOMPARE(header.producer, 17u);
        QCOMPARE(header.seq, 123456789012ull);
        QCOMPARE(header.sendNs, 555ull);
        // The payload is deterministic in (producer, seq) and differs between sequence numbers.
        std::vector<std::byte> again(size), next(size);
        buildFrame(again, 17, 123456789012ull, 555);
        buildFrame(next, 17, 123456789013ull, 555);
        QVERIFY(again == f);
        if (size > FrameHeaderSize)
            QVERIFY(!std::equal(f.begin() + FrameHeaderSize, f.end(), next.begin() + FrameHeaderSize));
    }

    // A frame built with streaming stores (in a lent slot) has the same bytes as one built with ordinary stores, at
    // the threshold and past it, at the odd lengths after the 32-byte rounds, and where the payload is not 16-byte
    // aligned (the ordinary stores take over there).
    void streamingStoresBuildTheSameFrame()
    {
        for (std::size_t size : { FrameHeaderSize + StreamingFrom - 1, FrameHeaderSize + StreamingFrom,
                 std::size_t(4096), std::size_t(4096 + 7), std::size_t(4096 + 24), std::size_t(65536) }) {
            for (std::size_t offset : { 0, 64, 8 }) {
                std::vector<std::byte> cached(size), storage(size + 128);
                const auto streamed = std::span(storage).subspan(offset, size);
                buildFrame(cached, 3, 42, 7);
                buildFrame(streamed, 3, 42, 7, FrameStores::SharedSlot);
                QVERIFY2(std::equal(cached.begin(), cached.end(), streamed.begin()),
                    qPrintable(QStringLiteral("size %1, offset %2").arg(size).arg(offset)));
                FrameHeader header {};
                QCOMPARE(checkFrame(streamed, header), FrameCheck::Ok);
            }
        }
    }

    // A pool's task message carries its task ids after the header, under the checksum; a plain frame never reads
    // as one, whatever its payload pattern.
    void taskFramesCarryTheirIds()
    {
        std::vector<std::byte> f(TaskFrameSize + 8);
        const TaskRef ref { TaskMagic, 3, 32, 0, 0x1'0000'0001ull };
        buildTaskFrame(f, 5, 9, 100, ref);
        FrameHeader header {};
        QCOMPARE(checkFrame(f, header), FrameCheck::Ok);
        const auto got = frameTasks(f);
        QVERIFY(got.has_value());
        QCOMPARE(got->caller, 3u);
        QCOMPARE(got->count, 32u);
        QCOMPARE(got->first, 0x1'0000'0001ull);
        f[FrameHeaderSize + 12] ^= std::byte { 1 }; // a damaged id is caught by the checksum
        QCOMPARE(checkFrame(f, header), FrameCheck::BadChecksum);
        QVERIFY(!frameTasks(std::span(f).first(TaskFrameSize - 1)).has_value()); // too short to carry ids
        for (std::uint64_t seq = 1; seq < 100000; ++seq) {
            buildFrame(f, 7, seq, 0);
            QVERIFY(!frameTasks(f).has_value());
        }
    }

    void damaged_data()
    {
        QTest::addColumn<int>("offset"); // byte to flip; -1: none
        QTest::addColumn<int>("cut"); // bytes removed from the end of the received span
        QTest::addColumn<FrameCheck>("expected");
        QTest::newRow("intact") << -1 << 0 << FrameCheck::Ok;
        QTest::newRow("magic") << 0 << 0 << FrameCheck::BadMagic;
        QTest::newRow("length field") << 4 << 0 << FrameCheck::BadLength;
        QTest::newRow("producer field") << 8 << 0 << FrameCheck::BadChecksum;
        QTest::newRow("checksum field") << 12 << 0 << FrameCheck::BadChecksum;
        QTest::newRow("seq field") << 16 << 0 << FrameCheck::BadChecksum;
        QTest::newRow("send time field") << 31 << 0 << FrameCheck::BadChecksum;
        QTest::newRow("first payload byte") << 32 << 0 << FrameCheck::BadChecksum;
        QTest::newRow("last payload byte") << 99 << 0 << FrameCheck::BadChecksum;
        QTest::newRow("one byte short") << -1 << 1 << FrameCheck::BadLength;
        QTest::newRow("payload missing") << -1 << 68 << FrameCheck::BadLength;
        QTest::newRow("shorter than a header") << -1 << 69 << FrameCheck::BadLength;
        QTest::newRow("nothing") << -1 << 100 << FrameCheck::BadLength;
    }

    void damaged()
    {
        QFETCH(int, offset);
        QFETCH(int, cut);
        QFETCH(FrameCheck, expected);
        std::vector<std::byte> f(100);
        buildFrame(f, 2, 9, 0);
        if (offset >= 0)
            f[std::size_t(offset)] ^= std::byte { 0x01 };
        FrameHeader header {};
        QCOMPARE(checkFrame(std::span<const std::byte>(f).first(f.size() - std::size_t(cut)), header), expected);
    }

    void longerSpanThanLengthIsBadLength()
    {
        std::vector<std::byte> f(100);
        buildFrame(std::span(f).first(64), 1, 1, 0);
        FrameHeader header {};
        QCOMPARE(checkFrame(f, header), FrameCheck::BadLength);
        QCOMPARE(checkFrame(std::span<const std::byte>(f).first(64), header), FrameCheck::Ok);
    }

    // Each row is one producer's stream as a consumer sees it: "producer:seq" items and the expected outcomes.
    void sequenceTracker_data()
    {
        QTest::addColumn<QStringList>("items");
        QTest::addColumn<QStringList>("outcomes"); // InOrder, Gap<n>, Duplicate, OutOfOrder
        QTest::newRow("in order") << QStringList { "0:1", "0:2", "0:3" }
                                  << QStringList { "InOrder", "InOrder", "InOrder" };
        QTest::newRow("first missing") << QStringList { "0:3", "0:4" } << QStringList { "Gap2", "InOrder" };
        QTest::newRow("gap") << QStringList { "0:1", "0:2", "0:6", "0:7" }
                             << QStringList { "InOrder", "InOrder", "Gap3", "InOrder" };
        QTest::newRow("duplicate") << QStringList { "0:1", "0:2", "0:2", "0:3" }
                                   << QStringList { "InOrder", "InOrder", "Duplicate", "InOrder" };
        QTest::newRow("late arrival") << QStringList { "0:1", "0:4", "0:2", "0:5" }
                                      << QStringList { "InOrder", "Gap2", "OutOfOrder", "InOrder" };
        QTest::newRow("producers are independent") << QStringList { "0:1", "1:1", "0:2", "1:3", "255:1",
            "0:3" } << QStringList { "InOrder", "InOrder", "InOrder", "Gap1", "InOrder", "InOrder" };
    }

    void sequenceTracker()
    {
        QFETCH(QStringList, items);
        QFETCH(QStringList, outcomes);
        QCOMPARE(items.size(), outcomes.size());
        SequenceTracker tracker;
        for (int i = 0; i < items.size(); ++i) {
            const QStringList parts = items[i].split(':');
            std::uint64_t skipped = 99;
            const auto outcome = tracker.record(parts[0].toUInt(), parts[1].toULongLong(), skipped);
            QString text;
            switch (outcome) {
            case SequenceTracker::Outcome::InOrder:
                text = "InOrder";
                break;
            case SequenceTracker::Outcome::Gap:
                text = "Gap" + QString::number(skipped);
                break;
            case SequenceTracker::Outcome::Duplicate:
                text = "Duplicate";
                break;
            case SequenceTracker::Outcome::OutOfOrder:
                text = "OutOfOrder";
                break;
            }
            QCOMPARE(text, outcomes[i]);
            if (outcome != SequenceTracker::Outcome::Gap)
                QCOMPARE(skipped, 0ull);
        }
    }
};

QTEST_GUILESS_MAIN(TestFraming)
#include "tst_framing.moc"
