/// A mergeable histogram of latencies in milliseconds, with an exact average and a p95 within 1.6 %.
///
/// Buckets are log-linear, as in HDR histograms: values below 64 ms have a bucket each (exact); above, each power
/// of two is split into 32 equal buckets, so a bucket is at most 1/32 of its lower bound wide. A percentile reports
/// the middle of its bucket (clamped to the exact minimum and maximum seen), so it is within 1/64 (1.6 %) of the
/// true value. Count, sum, minimum and maximum are kept exactly; the average is `sum / count`.
///
/// Only buckets that hold values are stored, so a minute with a handful of deliveries costs a few bytes. Two
/// histograms merge by adding their counts: a summary over a range of minutes is the merge of its minutes.
public struct LatencyHistogram: Sendable, Equatable {
    /// How many values were recorded.
    public private(set) var count: Int64 = 0
    /// The sum of the values, in milliseconds.
    public private(set) var sum: Int64 = 0
    /// The smallest value, or 0 when empty.
    public private(set) var min: Int64 = 0
    /// The largest value, or 0 when empty.
    public private(set) var max: Int64 = 0
    /// Count per bucket index, only for buckets that hold values.
    public private(set) var buckets: [Int: Int64] = [:]

    /// Creates an empty histogram.
    public init() {}

    /// Whether nothing was recorded.
    public var isEmpty: Bool { count == 0 }

    /// Records one latency; negative values (clocks that went back) count as 0.
    public mutating func record(milliseconds value: Int64) {
        let value = Swift.max(value, 0)
        if count == 0 {
            min = value
            max = value
        } else {
            min = Swift.min(min, value)
            max = Swift.max(max, value)
        }
        count += 1
        sum = sum.addingReportingOverflow(value).partialValue
        buckets[Self.bucketIndex(of: value), default: 0] += 1
    }

    /// Adds another histogram's values to this one.
    public mutating func merge(_ other: LatencyHistogram) {
        guard !other.isEmpty else { return }
        if isEmpty {
            self = other
            return
        }
        count += other.count
        sum = sum.addingReportingOverflow(other.sum).partialValue
        min = Swift.min(min, other.min)
        max = Swift.max(max, other.max)
        buckets.merge(other.buckets, uniquingKeysWith: +)
    }

    /// The mean, in milliseconds; 0 when empty.
    public var average: Double {
        count == 0 ? 0 : Double(sum) / Double(count)
    }

    /// The 95th percentile, in milliseconds; 0 when empty.
    public var p95: Int64 { percentile(95) }

    /// The `p`th percentile (nearest rank), in milliseconds; 0 when empty.
    ///
    /// The value of rank `ceil(p / 100 × count)` lies in some bucket; the bucket's middle is returned, clamped to
    /// the minimum and maximum recorded. The first and last ranks are the exact minimum and maximum.
    /// - Parameter p: The percentile, 0 to 100.
    public func percentile(_ p: Double) -> Int64 {
        guard count > 0 else { return 0 }
        let fraction = Swift.min(Swift.max(p, 0), 100) / 100
        let rank = Swift.max(Int64((fraction * Double(count)).rounded(.up)), 1)
        if rank == count { return max }
        if rank == 1 { return min }
        var seen: Int64 = 0
        for index in buckets.keys.sorted() {
            seen += buckets[index]!
            if seen >= rank {
                let range = Self.bucketRange(index)
                let middle = range.lowerBound + (range.upperBound - range.lowerBound) / 2
                return Swift.min(Swift.max(middle, min), max)
            }
        }
        return max
    }

    // MARK: - Buckets

    static let exactLimit: Int64 = 64
    static let subBucketBits = 5

    /// The bucket of a non-negative value.
    static func bucketIndex(of value: Int64) -> Int {
        if value < exactLimit { return Int(value) }
        let exponent = 63 - value.leadingZeroBitCount  // floor(log2 value), at least 6
        let shift = exponent - subBucketBits
        let sub = Int(value >> shift) & ((1 << subBucketBits) - 1)
        return Int(exactLimit) + (exponent - 6) * (1 << subBucketBits) + sub
    }

    /// The values a bucket holds.
    static func bucketRange(_ index: Int) -> ClosedRange<Int64> {
        if index < Int(exactLimit) { return Int64(index)...Int64(index) }
        let exponent = (index - Int(exactLimit)) / (1 << subBucketBits) + 6
        let sub = Int64((index - Int(exactLimit)) % (1 << subBucketBits))
        let shift = exponent - subBucketBits
        let lower = ((1 << subBucketBits) + sub) << shift
        let width: Int64 = 1 << shift
        let (upper, overflow) = lower.addingReportingOverflow(width - 1)
        return lower...(overflow ? Int64.max : upper)
    }
}

// MARK: - Storage

extension LatencyHistogram {
    /// The histogram's bytes could not be read.
    public struct DecodingError: Error, Sendable, Equatable {
        /// What was wrong.
        public var reason: String
    }

    /// The histogram as compact bytes for a store column: a version byte (1), then LEB128 varints of count, sum,
    /// min, max, the number of buckets, and for each bucket in ascending order the gap from the previous index
    /// and its count. An empty histogram is a single byte.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = [1]
        guard count > 0 else { return out }
        out.reserveCapacity(16 + buckets.count * 3)
        for value in [count, sum, min, max, Int64(buckets.count)] { Self.appendVarint(UInt64(value), to: &out) }
        var previous = 0
        for index in buckets.keys.sorted() {
            Self.appendVarint(UInt64(index - previous), to: &out)
            Self.appendVarint(UInt64(buckets[index]!), to: &out)
            previous = index
        }
        return out
    }

    /// Reads bytes written by ``serialized()``; an empty input reads as an empty histogram.
    /// - Throws: ``DecodingError`` when the bytes are truncated, of an unknown version, or inconsistent.
    public init(serialized bytes: some Collection<UInt8>) throws(DecodingError) {
        self.init()
        let bytes = Array(bytes)
        guard let version = bytes.first else { return }
        guard version == 1 else { throw DecodingError(reason: "unknown histogram version \(version)") }
        guard bytes.count > 1 else { return }  // empty
        var position = 1
        func next() throws(DecodingError) -> Int64 {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while position < bytes.count, shift < 64 {
                let byte = bytes[position]
                position += 1
                result |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 {
                    guard result <= UInt64(Int64.max) else { throw DecodingError(reason: "histogram value out of range") }
                    return Int64(result)
                }
                shift += 7
            }
            throw DecodingError(reason: "truncated histogram")
        }
        let count = try next()
        let sum = try next()
        let min = try next()
        let max = try next()
        let bucketCount = try next()
        guard bucketCount <= Int64(bytes.count) else { throw DecodingError(reason: "inconsistent histogram") }
        var buckets: [Int: Int64] = [:]
        var index = 0
        var total: Int64 = 0
        for _ in 0..<bucketCount {
            let gap = try next()
            let bucketTotal = try next()
            guard gap < 1 << 20, bucketTotal > 0, buckets.isEmpty || gap > 0 else { throw DecodingError(reason: "inconsistent histogram") }
            index += Int(gap)
            buckets[index] = bucketTotal
            total = total.addingReportingOverflow(bucketTotal).partialValue
        }
        guard count > 0, total == count, min <= max, position == bytes.count else {
            throw DecodingError(reason: "inconsistent histogram")
        }
        self.count = count
        self.sum = sum
        self.min = min
        self.max = max
        self.buckets = buckets
    }

    private static func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            out.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        out.append(UInt8(value))
    }
}
