import SluiceCore
import Testing

@Suite struct DeliveryOutcomeTests {
    @Test func outcomeAccessors() {
        // Given one outcome of each kind
        // When they are read
        // Then the accessors agree with the case
        #expect(DeliveryOutcome.success(status: 200).isSuccess && DeliveryOutcome.success(status: 200).reason == "HTTP 200")
        #expect(DeliveryOutcome.timedOut.isRetryable && !DeliveryOutcome.timedOut.isSuccess)
        #expect(!DeliveryOutcome.discarded(reason: "HTTP 400").isRetryable)
        #expect(DeliveryOutcome.invalidSettings("url is required").reason == "invalid settings: url is required")
    }
}
