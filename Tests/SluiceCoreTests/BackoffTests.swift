import Foundation
import Testing

@testable import SluiceCore

@Suite struct BackoffTests {
    static let t0 = Date(timeIntervalSince1970: 1_700_000_000)

    @Test func defaultsAreSegmentsFourHourWindowAndOneSecondToTenMinutes() {
        // Given the standard policy
        let policy = RetryPolicy.standard

        // When its settings are read
        // Then they are the documented ones
        #expect(policy.window == .seconds(14_400))
        #expect(policy.initialDelay == .seconds(1))
        #expect(policy.multiplier == 2)
        #expect(policy.maxDelay == .seconds(600))
    }

    @Test func ceilingsDoubleThenCap() {
        // Given the standard policy
        let policy = RetryPolicy.standard

        // When the ceilings of the first attempts are read
        let ceilings = (1...13).map { policy.ceiling(afterAttempt: $0) }

        // Then they double from 1 s and stop at 10 minutes
        let expected: [Duration] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 600, 600, 600].map { .seconds($0) }
        #expect(ceilings == expected)
    }

    @Test func ceilingsNeverDecreaseAndNeverOverflow() {
        // Given the standard policy and a steep custom one
        let policies = [RetryPolicy.standard, RetryPolicy(initialDelay: .milliseconds(250), multiplier: 7.5, maxDelay: .seconds(3600))]

        for policy in policies {
            // When ceilings are read for attempts far past the cap
            let ceilings = [0, 1, 2, 3, 10, 40, 64, 65, 1000, 10_000, Int.max].map { policy.ceiling(afterAttempt: $0) }

            // Then they never decrease and never pass the cap
            #expect(zip(ceilings, ceilings.dropFirst()).allSatisfy { $0 <= $1 })
            #expect(ceilings.allSatisfy { $0 <= policy.maxDelay && $0 > .zero })
            #expect(ceilings.last == policy.maxDelay)
        }
    }

    @Test func delaysStayWithinHalfToFullCeilingOverManySeeds() {
        // Given the standard policy
        let policy = RetryPolicy.standard

        for seed in UInt64(0)..<500 {
            var generator = SeededRandom(seed: seed)
            for attempt in 1...20 {
                // When a delay is drawn
                let delay = policy.delay(afterAttempt: attempt, using: &generator)

                // Then it lies in [ceiling / 2, ceiling]
                let ceiling = policy.ceiling(afterAttempt: attempt)
                #expect(delay >= ceiling / 2 && delay <= ceiling, "seed \(seed) attempt \(attempt): \(delay)")
            }
        }
    }

    @Test func delaysAreSpreadNotFixed() {
        // Given many draws after the 11th attempt (ceiling 10 minutes)
        let policy = RetryPolicy.standard
        var generator = SeededRandom(seed: 42)
        let delays = (0..<2000).map { _ in RetryPolicy.milliseconds(policy.delay(afterAttempt: 11, using: &generator)) }

        // When their spread is measured
        let low = delays.min()!
        let high = delays.max()!
        let mean = Double(delays.reduce(0, +)) / Double(delays.count)

        // Then they cover the jitter range, centred on three quarters of the ceiling
        #expect(low < 310_000 && high > 590_000)
        #expect(abs(mean - 450_000) < 10_000)
    }

    @Test func sameSeedSameSchedule() {
        // Given two generators with the same seed
        var a = SeededRandom(seed: 7)
        var b = SeededRandom(seed: 7)

        // When schedules are drawn from each
        let first = (1...15).map { RetryPolicy.standard.delay(afterAttempt: $0, using: &a) }
        let second = (1...15).map { RetryPolicy.standard.delay(afterAttempt: $0, using: &b) }

        // Then they are the same
        #expect(first == second)
    }

    @Test func expiryAtTheEndOfTheWindow() {
        // Given an event received at t0 and the standard window
        let policy = RetryPolicy.standard

        // When expiry is checked around four hours later
        // Then it is live up to the deadline and expired from it on
        #expect(!policy.isExpired(receivedAt: Self.t0, now: Self.t0))
        #expect(!policy.isExpired(receivedAt: Self.t0, now: Self.t0.addingTimeInterval(14_399.999)))
        #expect(policy.isExpired(receivedAt: Self.t0, now: Self.t0.addingTimeInterval(14_400)))
        #expect(policy.isExpired(receivedAt: Self.t0, now: Self.t0.addingTimeInterval(90_000)))
    }

    @Test func configurableWindow() {
        // Given a 90-second window
        let policy = RetryPolicy(window: .seconds(90))

        // When expiry is checked
        // Then the shorter window applies
        #expect(!policy.isExpired(receivedAt: Self.t0, now: Self.t0.addingTimeInterval(89)))
        #expect(policy.isExpired(receivedAt: Self.t0, now: Self.t0.addingTimeInterval(90)))
    }

    @Test func noAttemptIsScheduledPastTheDeadline() {
        // Given a failure 5 minutes before the deadline, when the wait is at least 5 minutes (attempt 11)
        let policy = RetryPolicy.standard
        var generator = SeededRandom(seed: 1)
        let now = Self.t0.addingTimeInterval(14_400 - 300)

        // When the next attempt is asked for
        let next = policy.nextAttempt(afterAttempt: 11, receivedAt: Self.t0, now: now, using: &generator)

        // Then there is none: the event expires now
        #expect(next == nil)
    }

    @Test func nextAttemptIsTheDelayLater() throws {
        // Given a first failure right after receipt
        let policy = RetryPolicy.standard
        var generator = SeededRandom(seed: 3)

        // When the next attempt is asked for
        let next = try #require(policy.nextAttempt(afterAttempt: 1, receivedAt: Self.t0, now: Self.t0, using: &generator))

        // Then it lies 0.5 to 1 s later
        let wait = next.timeIntervalSince(Self.t0)
        #expect(wait >= 0.5 && wait <= 1)
    }

    @Test func aFailingEventIsTriedAboutFortyTimesInFourHours() {
        // Given an event that fails every time, simulated over many seeds
        let policy = RetryPolicy.standard
        var counts: [Int] = []
        for seed in UInt64(0)..<200 {
            var generator = SeededRandom(seed: seed)
            var now = Self.t0
            var attempts = 1
            // When it is retried until it expires
            while let next = policy.nextAttempt(afterAttempt: attempts, receivedAt: Self.t0, now: now, using: &generator) {
                #expect(next > now && next < policy.deadline(receivedAt: Self.t0))
                now = next
                attempts += 1
            }
            counts.append(attempts)
        }

        // Then it is tried 36 to 48 times, every attempt inside the window
        #expect(counts.min()! >= 36 && counts.max()! <= 48, "\(counts.min()!)...\(counts.max()!)")
    }

    @Test func nonsenseSettingsAreRaisedToTheirMinimum() {
        // Given a policy built from zero and negative values
        let policy = RetryPolicy(window: .zero, initialDelay: .seconds(-5), multiplier: -.infinity, maxDelay: .zero)

        // When it is used
        var generator = SeededRandom(seed: 9)
        let delay = policy.delay(afterAttempt: 3, using: &generator)

        // Then it still gives a positive, bounded schedule
        #expect(policy.multiplier == 1)
        #expect(delay >= .zero && delay <= .milliseconds(1))
        #expect(policy.isExpired(receivedAt: Self.t0, now: Self.t0.addingTimeInterval(0.001)))
    }

    @Test func decisionsFollowTheOutcome() throws {
        // Given an attempt at t0 + 1 s for an event received at t0
        let policy = RetryPolicy.standard
        var generator = SeededRandom(seed: 11)
        let now = Self.t0.addingTimeInterval(1)

        // When each kind of outcome is decided
        let success = policy.decide(.success(status: 200), attempt: 1, receivedAt: Self.t0, now: now, using: &generator)
        let discard = policy.decide(.discarded(reason: "HTTP 400"), attempt: 2, receivedAt: Self.t0, now: now, using: &generator)
        let retry = policy.decide(.timedOut, attempt: 1, receivedAt: Self.t0, now: now, using: &generator)
        let late = policy.decide(.timedOut, attempt: 30, receivedAt: Self.t0, now: Self.t0.addingTimeInterval(14_399), using: &generator)

        // Then successes and discards end the event, a retryable failure is retried inside the window or expires
        #expect(success == DeliveryDecision(disposition: .succeeded))
        #expect(discard == DeliveryDecision(disposition: .discarded))
        #expect(retry.disposition == .retried)
        let next = try #require(retry.nextAttemptAt)
        #expect(next.timeIntervalSince(now) >= 0.5 && next.timeIntervalSince(now) <= 1)
        #expect(late == DeliveryDecision(disposition: .expired))
    }

    @Test func retryAfterDelaysTheNextAttemptWithinTheWindow() {
        // Given the standard policy and a 429 asking for 10 minutes
        let policy = RetryPolicy.standard
        var generator = SystemRandomNumberGenerator()
        let received = Date(timeIntervalSince1970: 1_700_000_000)
        let outcome = DeliveryOutcome.retryableAfter(reason: "HTTP 429 (rate limited)", seconds: 600)

        // When the first attempt fails with it
        let decision = policy.decide(outcome, attempt: 1, receivedAt: received, now: received, using: &generator)

        // Then the next attempt waits the 10 minutes; asked to wait past the window, the event expires now
        #expect(decision.disposition == .retried)
        #expect(decision.nextAttemptAt.map { $0.timeIntervalSince(received) >= 600 } == true)
        let late = policy.decide(
            .retryableAfter(reason: "HTTP 503", seconds: 5 * 3600), attempt: 1, receivedAt: received, now: received, using: &generator)
        #expect(late.disposition == .expired)
    }
}
