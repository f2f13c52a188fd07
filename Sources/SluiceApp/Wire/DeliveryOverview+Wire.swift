import SluiceCore

extension WireEncoder {
    /// The members of `GetDeliveryOverviewMetricsBetaOutput`: `total`, `dataset`, `pagination`; in each dataset
    /// `discardReason` (when grouped by it), `total`, `series` (`time`, `count`, and `retryCount` when `retries`),
    /// `totalRetryCount` (when `retries`), in the order of Segment's SDK models.
    static func deliveryOverview(
        total: Int64, datasets: Page<DeliveryOverviewResult.Dataset>, retries: Bool, into w: inout JSONWriter
    ) {
        w.raw("\"total\":")
        w.number(Double(total))
        w.raw(",\"dataset\":[")
        for (i, dataset) in datasets.items.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw("{")
            if let reason = dataset.discardReason {
                w.raw("\"discardReason\":")
                w.string(reason)
                w.raw(",")
            }
            w.raw("\"total\":")
            w.number(Double(dataset.total))
            w.raw(",\"series\":[")
            for (j, point) in dataset.series.enumerated() {
                if j > 0 { w.raw(",") }
                w.raw("{\"time\":")
                w.string(Timestamps.format(point.time))
                w.raw(",\"count\":")
                w.number(Double(point.count))
                if retries {
                    w.raw(",\"retryCount\":")
                    w.number(Double(point.retryCount))
                }
                w.raw("}")
            }
            w.raw("]")
            if retries {
                w.raw(",\"totalRetryCount\":")
                w.number(Double(dataset.totalRetryCount))
            }
            w.raw("}")
        }
        w.raw("],")
        Responses.pagination(datasets, into: &w)
    }
}
