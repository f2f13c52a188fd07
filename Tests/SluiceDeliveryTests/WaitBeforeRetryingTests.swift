import Testing

@testable import SluiceDelivery

/// The pipeline's wait after a failed store call (`waitBeforeRetrying`). Graceful shutdown ending it is tested with a
/// router and a worker in `PipelineShutdownTests`.
@Suite struct WaitBeforeRetryingTests {
    @Test(.timeLimit(.minutes(1))) func itEndsWhenItsTaskIsCancelled() async {
        let wait = Task { await waitBeforeRetrying(.seconds(3600)) }
        wait.cancel()
        await wait.value
    }

    @Test func itWaitsItsDurationOtherwise() async {
        let clock = ContinuousClock()
        let start = clock.now
        await waitBeforeRetrying(.milliseconds(50))
        #expect(clock.now - start >= .milliseconds(50))
    }
}
