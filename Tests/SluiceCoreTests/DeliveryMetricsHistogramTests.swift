import Foundation
import Testing

@testable import SluiceCore

@Suite struct DeliveryMetricsHistogramTests {
    @Test func emptyHistogramReadsZero() {
        // Given an empty histogram
        let histogram = LatencyHistogram()

        // When its statistics are read
        // Then they are zero
        #expect(histogram.count == 0 && histogram.average == 0 && histogram.p95 == 0)
    }

    @Test func averageIsExact() {
        // Given values whose mean is not a bucket middle
        var histogram = LatencyHistogram()
        for value: Int64 in [1, 2, 1000, 123_457] { histogram.record(milliseconds: value) }

        // When the average is read
        // Then it is the exact mean
        #expect(histogram.average == 124_460.0 / 4)
        #expect(histogram.sum == 124_460 && histogram.min == 1 && histogram.max == 123_457)
    }

    @Test func smallValuesAreExact() {
        // Given the values 1 to 20
        var histogram = LatencyHistogram()
        for value in Int64(1)...20 { histogram.record(milliseconds: value) }

        // When the p95 is read
        // Then it is the 19th value exactly (nearest rank)
        #expect(histogram.p95 == 19)
    }

    @Test(arguments: [UInt64(1), 2, 3, 4, 5])
    func p95IsWithinTwoPercentOfTheTrueValue(seed: UInt64) {
        // Given 5,000 latencies spread over six orders of magnitude
        var generator = SeededRandom(seed: seed)
        var values: [Int64] = []
        var histogram = LatencyHistogram()
        for _ in 0..<5000 {
            let exponent = Double.random(in: 0...6.5, using: &generator)
            let value = Int64(pow(10, exponent))
            values.append(value)
            histogram.record(milliseconds: value)
        }

        // When the p95 is read
        let estimate = Double(histogram.p95)

        // Then it is within 1/64 of the exact nearest-rank p95
        let exact = Double(values.sorted()[Int((0.95 * 5000).rounded(.up)) - 1])
        #expect(abs(estimate - exact) / exact <= 1.0 / 64, "estimate \(estimate), exact \(exact)")
    }

    @Test func everyBucketHoldsItsOwnBoundsAndIsNarrow() {
        // Given bucket indexes from the exact range to beyond four hours
        for value: Int64 in [0, 1, 63, 64, 65, 127, 128, 1000, 4095, 4096, 14_400_000, 1 << 40, Int64.max] {
            // When a value's bucket is computed
            let range = LatencyHistogram.bucketRange(LatencyHistogram.bucketIndex(of: value))

            // Then the bucket holds it, and is at most 1/32 of its lower bound wide
            #expect(range.contains(value), "\(value) in \(range)")
            #expect(range.lowerBound < 64 || Double(range.upperBound - range.lowerBound + 1) <= Double(range.lowerBound) / 32)
        }
    }

    @Test func bucketIndexesAscendWithValues() {
        // Given consecutive values across several bucket boundaries
        let indexes = (Int64(0)...5000).map(LatencyHistogram.bucketIndex(of:))

        // When their bucket indexes are compared
        // Then they never go down and never skip
        #expect(zip(indexes, indexes.dropFirst()).allSatisfy { $1 == $0 || $1 == $0 + 1 })
    }

    @Test func mergeEqualsRecordingEverythingInOne() {
        // Given two histograms of different values
        var a = LatencyHistogram()
        var b = LatencyHistogram()
        var all = LatencyHistogram()
        for value: Int64 in [5, 70, 900, 15_000] {
            a.record(milliseconds: value)
            all.record(milliseconds: value)
        }
        for value: Int64 in [3, 70, 2_000_000] {
            b.record(milliseconds: value)
            all.record(milliseconds: value)
        }

        // When they are merged
        var merged = a
        merged.merge(b)

        // Then the result is the histogram of all the values, and merging empty ones changes nothing
        #expect(merged == all)
        var withEmpty = merged
        withEmpty.merge(LatencyHistogram())
        #expect(withEmpty == all)
        var fromEmpty = LatencyHistogram()
        fromEmpty.merge(all)
        #expect(fromEmpty == all)
    }

    @Test func negativeLatencyCountsAsZero() {
        // Given a latency measured across a clock that went back
        var histogram = LatencyHistogram()
        histogram.record(milliseconds: -40)

        // When it is read
        // Then it counts as 0
        #expect(histogram.min == 0 && histogram.sum == 0 && histogram.count == 1)
    }

    @Test func serializationRoundTrips() throws {
        // Given an empty histogram and a full one
        var full = LatencyHistogram()
        for value: Int64 in [0, 1, 64, 700, 700, 86_400_000, Int64(1) << 50] { full.record(milliseconds: value) }

        // When they are serialized and read back
        let emptyBytes = LatencyHistogram().serialized()
        let fullBytes = full.serialized()

        // Then they are unchanged, and an empty one is one byte
        #expect(emptyBytes == [1])
        #expect(try LatencyHistogram(serialized: emptyBytes) == LatencyHistogram())
        #expect(try LatencyHistogram(serialized: []) == LatencyHistogram())
        #expect(try LatencyHistogram(serialized: fullBytes) == full)
        #expect(fullBytes.count < 40)
    }

    @Test func corruptBytesAreRefused() {
        // Given a histogram's bytes
        var histogram = LatencyHistogram()
        histogram.record(milliseconds: 100)
        histogram.record(milliseconds: 2000)
        let bytes = histogram.serialized()

        // When they are truncated, extended, or of another version
        // Then reading them fails
        #expect(throws: LatencyHistogram.DecodingError.self) { try LatencyHistogram(serialized: bytes.dropLast()) }
        #expect(throws: LatencyHistogram.DecodingError.self) { try LatencyHistogram(serialized: bytes + [0]) }
        #expect(throws: LatencyHistogram.DecodingError(reason: "unknown histogram version 2")) {
            try LatencyHistogram(serialized: [2] + bytes.dropFirst())
        }
        // a count that disagrees with the buckets
        var wrongCount = bytes
        wrongCount[1] = 3
        #expect(throws: LatencyHistogram.DecodingError(reason: "inconsistent histogram")) { try LatencyHistogram(serialized: wrongCount) }
    }
}
