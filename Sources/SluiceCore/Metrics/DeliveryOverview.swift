import Foundation

/// A step of Segment's Delivery Overview: what became of a source's events, one `GET /delivery-overview/<step>`
/// operation each (docs/delivery.md, "Delivery Overview").
public enum DeliveryOverviewStep: String, Sendable, CaseIterable {
    /// Events accepted by the Tracking API and committed (counted per source).
    case successfullyReceived = "successfully-received"
    /// Requests refused by the Tracking API for a known source (bad JSON, too large, an invalid message).
    case failedOnIngest = "failed-on-ingest"
    /// Events of a disabled source.
    case filteredAtSource = "filtered-at-source"
    /// Events kept from one destination: its filters, a disabled destination, no subscription trigger matched.
    case filteredAtDestination = "filtered-at-destination"
    /// Deliveries discarded or expired.
    case failedDelivery = "failed-delivery"
    /// Deliveries that succeeded.
    case successfulDelivery = "successful-delivery"

    /// Whether Segment's operation takes (and requires) `destinationConfigId`.
    public var takesDestination: Bool {
        switch self {
        case .successfullyReceived, .failedOnIngest, .filteredAtSource: false
        case .filteredAtDestination, .failedDelivery, .successfulDelivery: true
        }
    }

    /// The `groupBy` dimensions Segment lists for the operation, as Segment spells them.
    public var groupByOptions: [String] {
        switch self {
        case .successfullyReceived: ["event Name", "event Type", "app Version"]
        case .failedOnIngest, .filteredAtSource: ["event Name", "event Type", "discard Reason", "app Version"]
        case .filteredAtDestination, .failedDelivery, .successfulDelivery:
            ["event Name", "event Type", "discard Reason", "app Version", "subscription Id", "activationId", "audienceId", "spaceId"]
        }
    }

    /// The `filter` keys Segment lists for the operation.
    public var filterKeys: [String] {
        switch self {
        case .successfullyReceived: ["eventName", "eventType", "appVersion"]
        case .failedOnIngest, .filteredAtSource: ["discardReason", "eventName", "eventType", "appVersion"]
        case .filteredAtDestination, .failedDelivery, .successfulDelivery:
            ["discardReason", "eventName", "eventType", "appVersion", "subscriptionId", "activationId", "audienceId", "spaceId"]
        }
    }
}

/// The discard reasons Sluice records, as the Delivery Overview reports them (`discardReason`).
///
/// Segment does not publish its list; these are Sluice's own names (docs/delivery.md). Destination filters keep
/// their action type (`DROP`, `SAMPLE`) as the reason, as `filtered_events` has stored it since filters came.
public enum DiscardReason {
    /// The request body was not valid JSON.
    public static let invalidJSON = "INVALID_JSON"
    /// The request (500 KB) or a message (32 KB) was over its size limit.
    public static let tooLarge = "PAYLOAD_TOO_LARGE"
    /// A message broke a rule of the Tracking API (no `userId` or `anonymousId`, a track without `event`, ...).
    public static let invalidMessage = "INVALID_MESSAGE"
    /// The event's source is disabled.
    public static let sourceDisabled = "SOURCE_DISABLED"
    /// No enabled subscription of the destination has a trigger matching the event.
    public static let noMatchingSubscription = "NO_MATCHING_SUBSCRIPTION"
    /// The receiver refused the event for good, or it could not be sent.
    public static let discarded = "DISCARDED"
    /// The retry window ran out before a success.
    public static let expired = "EXPIRED"

    /// The reason of a message ``TrackingAPI`` refused: ``tooLarge`` for its size limits (32 KB a message, 500 KB a
    /// request), ``invalidMessage`` for any other rule.
    public static func of(_ error: ValidationError) -> String {
        error.message.contains("is larger than") ? tooLarge : invalidMessage
    }
}

/// A number of events of one source in one minute at the ingest end of the pipeline: accepted
/// (``Stage/received``) or refused (``Stage/refused``, with its discard reason).
public struct SourceEventCount: Sendable, Hashable {
    /// Which count this is.
    public enum Stage: String, Sendable {
        /// Events committed by the Tracking API.
        case received
        /// Events (or requests, when their events cannot be counted) refused by the Tracking API.
        case refused
    }

    public var sourceID: String
    public var minute: Int64
    public var stage: Stage
    /// The discard reason of a refusal; empty for ``Stage/received``.
    public var reason: String
    public var count: Int64

    public init(sourceID: String, minute: Int64, stage: Stage, reason: String = "", count: Int64) {
        self.sourceID = sourceID
        self.minute = minute
        self.stage = stage
        self.reason = reason
        self.count = count
    }

    /// The received counts of committed events, one per (source, minute of `receivedAt`).
    public static func received(_ events: [IncomingEvent]) -> [SourceEventCount] {
        var counts: [SourceEventCount: Int64] = [:]
        for event in events {
            let key = SourceEventCount(
                sourceID: event.sourceID, minute: DeliveryCounters.epochMinute(of: event.receivedAt), stage: .received, count: 0)
            counts[key, default: 0] += 1
        }
        return sortedTotals(counts)
    }

    /// Counts with the same (source, minute, stage, reason) added together, in a stable order.
    public static func merged(_ counts: some Sequence<SourceEventCount>) -> [SourceEventCount] {
        var sums: [SourceEventCount: Int64] = [:]
        for count in counts {
            var key = count
            key.count = 0
            sums[key, default: 0] += count.count
        }
        return sortedTotals(sums)
    }

    private static func sortedTotals(_ sums: [SourceEventCount: Int64]) -> [SourceEventCount] {
        sums.map { key, count in
            var total = key
            total.count = count
            return total
        }
        .sorted { ($0.sourceID, $0.minute, $0.stage.rawValue, $0.reason) < ($1.sourceID, $1.minute, $1.stage.rawValue, $1.reason) }
    }
}

/// One stored count read for the Delivery Overview: a minute, its discard reason (empty when the step has none),
/// the number of events, and for successful deliveries how many of them succeeded after a retry.
public struct DeliveryOverviewCount: Sendable, Equatable {
    public var minute: Int64
    public var reason: String
    public var count: Int64
    /// Successes after one or more retries (successful deliveries only; 0 otherwise).
    public var retryCount: Int64

    public init(minute: Int64, reason: String = "", count: Int64, retryCount: Int64 = 0) {
        self.minute = minute
        self.reason = reason
        self.count = count
        self.retryCount = retryCount
    }
}

/// The checked query of a `GET /delivery-overview/<step>` operation.
///
/// Rules (Segment's SDK, `api_delivery_overview.go`):
/// - `sourceId`, `startTime`, `endTime` and `granularity` are required; `destinationConfigId` too for the three
///   destination steps (``DeliveryOverviewStep/takesDestination``).
/// - `granularity` is `MINUTE`, `HOUR` or `DAY`. MINUTE: at most 4 hours, starting no earlier than 48 hours ago;
///   HOUR: at most 14 days, no earlier than 30 days ago; DAY: at most 30 days, no earlier than 30 days ago.
///   `startTime` (inclusive) before `endTime` (exclusive); `endTime` up to ``MetricsQuery/clockSkew`` in the future.
/// - `groupBy` and `filter` take the dimensions Segment lists for the step. Sluice counts by discard reason only:
///   `discard Reason` and `filter.discardReason` work; any other dimension Segment lists is refused (422) as not
///   supported rather than answered with numbers Sluice does not have.
///
/// Every violation is a 422 ``ValidationError`` naming the field.
public struct DeliveryOverviewQuery: Sendable, Equatable {
    public typealias Granularity = MetricsQuery.Granularity

    public var step: DeliveryOverviewStep
    public var sourceID: String
    /// The destination, for the destination steps.
    public var destinationID: String?
    public var granularity: Granularity
    public var startTime: Date
    public var endTime: Date
    /// Whether the datasets are split by discard reason (`groupBy=discard Reason`).
    public var groupByDiscardReason: Bool
    /// The discard reasons to count (`filter.discardReason`); `nil` counts all.
    public var discardReasons: Set<String>?

    /// Checks the raw parameters.
    /// - Parameters:
    ///   - step: The operation.
    ///   - sourceID: `sourceId`, as given.
    ///   - destinationID: `destinationConfigId`, as given.
    ///   - startTime: `startTime`, as given.
    ///   - endTime: `endTime`, as given.
    ///   - granularity: `granularity`, as given.
    ///   - groupBy: The `groupBy` dimensions, one string each.
    ///   - filter: The `filter` object: keys and their lists of values.
    ///   - now: The server's current time.
    /// - Throws: ``ValidationError`` (422) naming `sourceId`, `destinationConfigId`, `startTime`, `endTime`,
    ///   `granularity`, `groupBy` or `filter.<key>`.
    public init(
        step: DeliveryOverviewStep, sourceID: String?, destinationID: String?, startTime: String?, endTime: String?, granularity: String?,
        groupBy: [String], filter: [String: [String]], now: Date
    ) throws(ValidationError) {
        guard let sourceID, !sourceID.isEmpty else { throw ValidationError("sourceId is required", field: "sourceId") }
        if step.takesDestination {
            guard let destinationID, !destinationID.isEmpty else {
                throw ValidationError("destinationConfigId is required", field: "destinationConfigId")
            }
            self.destinationID = destinationID
        } else {
            self.destinationID = nil
        }
        guard let startText = startTime, !startText.isEmpty else { throw ValidationError("startTime is required", field: "startTime") }
        guard let endText = endTime, !endText.isEmpty else { throw ValidationError("endTime is required", field: "endTime") }
        guard let granularityText = granularity, !granularityText.isEmpty else {
            throw ValidationError("granularity is required: MINUTE, HOUR or DAY", field: "granularity")
        }
        guard let chosen = Granularity(rawValue: granularityText) else {
            throw ValidationError("granularity must be one of MINUTE, HOUR, DAY", field: "granularity")
        }
        guard let start = Timestamps.parse(startText) else {
            throw ValidationError("startTime must be an ISO 8601 date-time", field: "startTime")
        }
        guard let end = Timestamps.parse(endText) else { throw ValidationError("endTime must be an ISO 8601 date-time", field: "endTime") }
        guard start < end else { throw ValidationError("startTime must be before endTime", field: "startTime") }
        if end > now.addingTimeInterval(MetricsQuery.clockSkew) {
            throw ValidationError("endTime must not be in the future", field: "endTime")
        }
        let limits = Self.limits(chosen)
        if start < now.addingTimeInterval(-limits.maxAge - MetricsQuery.clockSkew) {
            throw ValidationError(
                "startTime must be no earlier than \(limits.ageText) ago for \(chosen.rawValue) granularity", field: "startTime")
        }
        if end.timeIntervalSince(start) > limits.maxRange {
            throw ValidationError(
                "the time range must be at most \(limits.rangeText) for \(chosen.rawValue) granularity", field: "startTime")
        }
        var byReason = false
        for dimension in groupBy {
            guard step.groupByOptions.contains(dimension) || dimension == "discardReason" && step.groupByOptions.contains("discard Reason")
            else {
                throw ValidationError(
                    "groupBy '\(dimension)' is not a dimension of \(step.rawValue); valid: \(step.groupByOptions.joined(separator: ", "))",
                    field: "groupBy")
            }
            guard dimension == "discard Reason" || dimension == "discardReason" else {
                throw ValidationError(
                    "groupBy '\(dimension)' is not supported by Sluice; it counts by discard Reason only (docs/delivery.md)", field: "groupBy")
            }
            byReason = true
        }
        var reasons: Set<String>?
        for (key, values) in filter.sorted(by: { $0.key < $1.key }) {
            guard step.filterKeys.contains(key) else {
                throw ValidationError(
                    "filter.\(key) is not a filter of \(step.rawValue); valid: \(step.filterKeys.joined(separator: ", "))", field: "filter.\(key)")
            }
            guard key == "discardReason" else {
                throw ValidationError(
                    "filter.\(key) is not supported by Sluice; it counts by discardReason only (docs/delivery.md)", field: "filter.\(key)")
            }
            reasons = Set(values)
        }
        self.step = step
        self.sourceID = sourceID
        self.granularity = chosen
        self.startTime = start
        self.endTime = end
        self.groupByDiscardReason = byReason
        self.discardReasons = reasons
    }

    struct Limits {
        var maxRange: TimeInterval
        var maxAge: TimeInterval
        var rangeText: String
        var ageText: String
    }

    static func limits(_ granularity: Granularity) -> Limits {
        switch granularity {
        case .minute: Limits(maxRange: 4 * 3600, maxAge: 48 * 3600, rangeText: "4 hours", ageText: "48 hours")
        case .hour: Limits(maxRange: 14 * 86_400, maxAge: 30 * 86_400, rangeText: "14 days", ageText: "30 days")
        case .day: Limits(maxRange: 30 * 86_400, maxAge: 30 * 86_400, rangeText: "30 days", ageText: "30 days")
        }
    }

    /// The first minute of the first bucket: `startTime` rounded down to the granularity's unit (UTC).
    var firstMinute: Int64 {
        let unit = unitMinutes
        let first = DeliveryCounters.epochMinute(of: startTime)
        return first - ((first % unit) + unit) % unit
    }

    var unitMinutes: Int64 { Int64(granularity.unit / 60) }

    /// The number of buckets: from the first bucket to the one `endTime` (exclusive) falls in.
    public var bucketCount: Int {
        let endMinute = Int64((endTime.timeIntervalSince1970 / 60).rounded(.up))
        return Swift.max(1, Int((endMinute - firstMinute + unitMinutes - 1) / unitMinutes))
    }

    /// The minutes to read, as ``DeliveryCounters/epochMinute(of:)`` numbers them: every minute of every bucket.
    public var minuteRange: Range<Int64> { firstMinute..<(firstMinute + Int64(bucketCount) * unitMinutes) }
}

/// The answer of a Delivery Overview operation: the total and the datasets (one, or one per discard reason), each
/// with a point per bucket of the window, zeros included.
public struct DeliveryOverviewResult: Sendable, Equatable {
    /// One bucket of a series.
    public struct Point: Sendable, Equatable {
        /// The bucket's start.
        public var time: Date
        public var count: Int64
        /// Successes after a retry (successful deliveries only).
        public var retryCount: Int64
    }

    /// One series: all events, or those of one discard reason.
    public struct Dataset: Sendable, Equatable {
        /// The discard reason, when the query groups by it.
        public var discardReason: String?
        public var total: Int64
        public var totalRetryCount: Int64
        public var series: [Point]
    }

    /// The sum over every dataset.
    public var total: Int64
    public var datasets: [Dataset]

    /// Buckets the stored counts of the query's minutes.
    /// - Parameters:
    ///   - query: The checked query.
    ///   - counts: The counts of ``DeliveryOverviewQuery/minuteRange`` for the query's step, source and destination.
    /// - Returns: Without `groupBy`, one dataset; by discard reason, one per reason that has a count, largest first.
    public static func compute(_ query: DeliveryOverviewQuery, counts: [DeliveryOverviewCount]) -> DeliveryOverviewResult {
        let buckets = query.bucketCount
        let first = query.firstMinute
        let unit = query.unitMinutes
        let times = (0..<buckets).map { Date(timeIntervalSince1970: Double((first + Int64($0) * unit) * 60)) }
        var byKey: [String: [Point]] = [:]
        for count in counts where query.minuteRange.contains(count.minute) {
            if let reasons = query.discardReasons, !reasons.contains(count.reason) { continue }
            let key = query.groupByDiscardReason ? count.reason : ""
            var series = byKey[key] ?? times.map { Point(time: $0, count: 0, retryCount: 0) }
            let index = Int((count.minute - first) / unit)
            series[index].count += count.count
            series[index].retryCount += count.retryCount
            byKey[key] = series
        }
        if !query.groupByDiscardReason, byKey.isEmpty { byKey[""] = times.map { Point(time: $0, count: 0, retryCount: 0) } }
        let datasets = byKey.map { key, series in
            Dataset(
                discardReason: query.groupByDiscardReason ? key : nil, total: series.reduce(0) { $0 + $1.count },
                totalRetryCount: series.reduce(0) { $0 + $1.retryCount }, series: series)
        }
        .sorted { ($1.total, $0.discardReason ?? "") < ($0.total, $1.discardReason ?? "") }
        return DeliveryOverviewResult(total: datasets.reduce(0) { $0 + $1.total }, datasets: datasets)
    }
}

extension DeliveryOverviewCount {
    /// The counts of one minute's delivery counters for a delivery step: the successes (with those after a retry)
    /// for ``DeliveryOverviewStep/successfulDelivery``; the discards and expiries, each with its reason, for
    /// ``DeliveryOverviewStep/failedDelivery``. Zeros are left out.
    public static func delivery(
        step: DeliveryOverviewStep, minute: Int64, successesOnFirstAttempt: Int64, successesAfterRetry: Int64, discarded: Int64,
        expired: Int64
    ) -> [DeliveryOverviewCount] {
        switch step {
        case .successfulDelivery:
            let successes = successesOnFirstAttempt + successesAfterRetry
            return successes > 0 ? [DeliveryOverviewCount(minute: minute, count: successes, retryCount: successesAfterRetry)] : []
        case .failedDelivery:
            return [(DiscardReason.discarded, discarded), (DiscardReason.expired, expired)].compactMap { reason, count in
                count > 0 ? DeliveryOverviewCount(minute: minute, reason: reason, count: count) : nil
            }
        default:
            return []
        }
    }
}
