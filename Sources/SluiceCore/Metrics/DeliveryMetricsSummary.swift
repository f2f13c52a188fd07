/// The `deliveryMetricsSummary` object of the delivery-metrics answer, in the seed's shape and order.
///
/// Metrics, in order: `successes` (breakdown `successes_on_first_attempt`, `successes_after_retry`), `expired`,
/// `discarded`, `retried`, `time_to_success` and `time_to_first_attempt` (each with breakdown `…_average` and
/// `…_p95`, in milliseconds from ingest).
///
/// For the two latency metrics, `total` is the number of deliveries measured: successes for `time_to_success`,
/// events whose first attempt fell in the range for `time_to_first_attempt`. The average is exact (sum over
/// count) rounded to the nearest millisecond; the p95 comes from ``LatencyHistogram`` (within 1.6 %). Both are
/// 0 when nothing was measured.
///
/// This type computes the metrics; the HTTP layer writes them (SluiceApp's `DeliveryMetrics+Wire.swift`).
public enum DeliveryMetricsSummary {
    // MARK: - Metrics

    /// One metric of the summary: its name, its total, and its breakdown in order (empty for those without one).
    public struct Metric: Sendable {
        public var name: String
        public var total: Double
        public var breakdown: [(name: String, value: Double)] = []
    }

    /// The summary's metrics, in the seed's order, from the merged counters of a range.
    public static func metrics(_ c: DeliveryCounters) -> [Metric] {
        [
            Metric(
                name: "successes",
                total: Double(c.successes),
                breakdown: [
                    ("successes_on_first_attempt", Double(c.successesOnFirstAttempt)),
                    ("successes_after_retry", Double(c.successesAfterRetry)),
                ]
            ),
            Metric(name: "expired", total: Double(c.expired)),
            Metric(name: "discarded", total: Double(c.discarded)),
            Metric(name: "retried", total: Double(c.retried)),
            latency("time_to_success", c.timeToSuccess),
            latency("time_to_first_attempt", c.timeToFirstAttempt),
        ]
    }

    static func latency(_ name: String, _ histogram: LatencyHistogram) -> Metric {
        Metric(
            name: name,
            total: Double(histogram.count),
            breakdown: [
                (name + "_average", histogram.average.rounded()),
                (name + "_p95", Double(histogram.p95)),
            ]
        )
    }
}
