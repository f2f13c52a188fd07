import Foundation
import SluiceCore
import Testing

@testable import SluiceApp

/// Shapes written by the `<Resource>+Wire.swift` files, byte for byte where Segment's documents give the bytes.
@Suite struct WireTests {
    @Test func summaryHasTheSeedsShapeAndOrder() throws {
        // Given the seed's counts: 60 and 60 successes, nothing else, ten measured deliveries of 0 ms
        var counters = DeliveryCounters(successesOnFirstAttempt: 60, successesAfterRetry: 60, expired: 0, discarded: 0, retried: 0)
        for _ in 0..<10 {
            counters.timeToSuccess.record(milliseconds: 0)
            counters.timeToFirstAttempt.record(milliseconds: 0)
        }

        // When it is encoded
        var writer = JSONWriter(capacity: 1024)
        WireEncoder.deliveryMetricsSummary(
            sourceID: "rh5BDZp6QDHvXFCkibm1pR", destinationMetadataID: "destination-id", counters: counters, into: &writer)
        let bytes = writer.bytes

        // Then the bytes are the seed's example, key for key
        let expected = """
            {"sourceId":"rh5BDZp6QDHvXFCkibm1pR","destinationMetadataId":"destination-id","metrics":[\
            {"metricName":"successes","total":120,"breakdown":[{"metricName":"successes_on_first_attempt","value":60},\
            {"metricName":"successes_after_retry","value":60}]},\
            {"metricName":"expired","total":0},{"metricName":"discarded","total":0},{"metricName":"retried","total":0},\
            {"metricName":"time_to_success","total":10,"breakdown":[{"metricName":"time_to_success_average","value":0},\
            {"metricName":"time_to_success_p95","value":0}]},\
            {"metricName":"time_to_first_attempt","total":10,"breakdown":[{"metricName":"time_to_first_attempt_average","value":0},\
            {"metricName":"time_to_first_attempt_p95","value":0}]}]}
            """
        #expect(String(decoding: bytes, as: UTF8.self) == expected)
    }
}
