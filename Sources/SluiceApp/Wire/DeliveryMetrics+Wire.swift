import SluiceCore

extension WireEncoder {
    /// The `deliveryMetricsSummary` object (``DeliveryMetricsSummary``) with keys in the seed's order: `sourceId`,
    /// `destinationMetadataId`, `metrics`; in each metric `metricName`, `total`, `breakdown` (when it has one); in each
    /// breakdown `metricName`, `value`.
    static func deliveryMetricsSummary(sourceID: String, destinationMetadataID: String, counters: DeliveryCounters, into w: inout JSONWriter) {
        w.raw("{\"sourceId\":")
        w.string(sourceID)
        w.raw(",\"destinationMetadataId\":")
        w.string(destinationMetadataID)
        w.raw(",\"metrics\":[")
        for (i, metric) in DeliveryMetricsSummary.metrics(counters).enumerated() {
            if i > 0 { w.raw(",") }
            w.raw("{\"metricName\":")
            w.string(metric.name)
            w.raw(",\"total\":")
            w.number(metric.total)
            if !metric.breakdown.isEmpty {
                w.raw(",\"breakdown\":[")
                for (j, part) in metric.breakdown.enumerated() {
                    if j > 0 { w.raw(",") }
                    w.raw("{\"metricName\":")
                    w.string(part.name)
                    w.raw(",\"value\":")
                    w.number(part.value)
                    w.raw("}")
                }
                w.raw("]")
            }
            w.raw("}")
        }
        w.raw("]}")
    }
}
