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
public enum DeliveryMetricsSummary {
    /// The summary as a JSON value.
    ///
    /// ``JSONValue`` objects have no key order (``JSONWriter`` sorts keys); use ``encode(sourceID:destinationMetadataID:counters:)``
    /// for the bytes in the seed's key order.
    /// - Parameters:
    ///   - sourceID: The source asked about.
    ///   - destinationMetadataID: The destination's catalog id.
    ///   - counters: The merged counters of the range.
    public static func render(sourceID: String, destinationMetadataID: String, counters: DeliveryCounters) -> JSONValue {
        .object([
            "sourceId": .string(sourceID),
            "destinationMetadataId": .string(destinationMetadataID),
            "metrics": .array(
                metrics(counters).map { metric in
                    var object: [String: JSONValue] = ["metricName": .string(metric.name), "total": .number(metric.total)]
                    if !metric.breakdown.isEmpty {
                        object["breakdown"] = .array(metric.breakdown.map { ["metricName": .string($0.name), "value": .number($0.value)] })
                    }
                    return .object(object)
                }),
        ])
    }

    /// The summary as JSON bytes with keys in the seed's order: `sourceId`, `destinationMetadataId`, `metrics`;
    /// in each metric `metricName`, `total`, `breakdown`; in each breakdown `metricName`, `value`.
    public static func encode(sourceID: String, destinationMetadataID: String, counters: DeliveryCounters) -> [UInt8] {
        var writer = JSONWriter(capacity: 1024)
        write(sourceID: sourceID, destinationMetadataID: destinationMetadataID, counters: counters, into: &writer)
        return writer.bytes
    }

    /// Writes the summary object into `writer` (to splice into a `{"data": {"deliveryMetricsSummary": …}}` envelope).
    public static func write(sourceID: String, destinationMetadataID: String, counters: DeliveryCounters, into writer: inout JSONWriter) {
        writer.raw("{")
        writer.key("sourceId")
        writer.string(sourceID)
        writer.raw(",")
        writer.key("destinationMetadataId")
        writer.string(destinationMetadataID)
        writer.raw(",")
        writer.key("metrics")
        writer.raw("[")
        for (i, metric) in metrics(counters).enumerated() {
            if i > 0 { writer.raw(",") }
            writer.raw("{")
            writer.key("metricName")
            writer.string(metric.name)
            writer.raw(",")
            writer.key("total")
            writer.number(metric.total)
            if !metric.breakdown.isEmpty {
                writer.raw(",")
                writer.key("breakdown")
                writer.raw("[")
                for (j, part) in metric.breakdown.enumerated() {
                    if j > 0 { writer.raw(",") }
                    writer.raw("{")
                    writer.key("metricName")
                    writer.string(part.name)
                    writer.raw(",")
                    writer.key("value")
                    writer.number(part.value)
                    writer.raw("}")
                }
                writer.raw("]")
            }
            writer.raw("}")
        }
        writer.raw("]}")
    }

    // MARK: - Metrics

    struct Metric {
        var name: String
        var total: Double
        var breakdown: [(name: String, value: Double)] = []
    }

    static func metrics(_ c: DeliveryCounters) -> [Metric] {
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
